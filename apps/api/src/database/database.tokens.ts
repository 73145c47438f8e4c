/** The resolved PostgreSQL URL (given, or the embedded database's). */
export const DATABASE_URL = Symbol('DATABASE_URL');
