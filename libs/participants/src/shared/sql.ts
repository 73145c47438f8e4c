/**
 * SQL that renders a timestamptz column as ISO-8601 UTC with milliseconds
 * (`2026-11-26T12:00:00.000Z`), whatever the session's TimeZone: the API's timestamp format.
 */
export function isoUtc(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** A participant record as the read-only records view returns it (API.md). */
export interface ParticipantRecord {
  kind: string;
  status: string;
  idempotencyKey: string;
  /** ISO-8601 UTC. */
  at: string;
  data: Record<string, unknown>;
}

/** The columns every records query selects, in the shape of {@link ParticipantRecord}. */
export function recordColumns(kind: string, dataSql: string): string {
  return `'${kind}' AS kind, status, idempotency_key AS "idempotencyKey",
    ${isoUtc('created_at')} AS at, created_at AS sort_at, ${dataSql} AS data`;
}
