/**
 * The PostgreSQL schema each demo participant owns, by participant name. Separate services
 * would have separate databases; one schema each keeps that boundary inside one database.
 */
export const participantSchemas = {
  order: 'order_svc',
  inventory: 'inventory',
  payment: 'payment',
  shipping: 'shipping',
  notification: 'notification',
} as const;

/** The name of a demo participant (`order`, `inventory`, `payment`, `shipping`, `notification`). */
export type DemoParticipantName = keyof typeof participantSchemas;

/** A schema owned by a demo participant. */
export type ParticipantSchema = (typeof participantSchemas)[DemoParticipantName];
