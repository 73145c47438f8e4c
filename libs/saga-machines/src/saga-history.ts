import type { SagaEvent } from './saga-events';

/** The history entry types of the API (`GET /sagas/:id/events`). */
export type HistoryType =
  | 'SAGA_STARTED'
  | 'STEP_STARTED'
  | 'STEP_SUCCEEDED'
  | 'STEP_FAILED'
  | 'COMPENSATION_STARTED'
  | 'COMPENSATION_SUCCEEDED'
  | 'COMPENSATION_FAILED'
  | 'CANCEL_REQUESTED'
  | 'DEADLINE_EXCEEDED'
  | 'RETRY_REQUESTED'
  | 'SAGA_COMPLETED'
  | 'SAGA_COMPENSATED'
  | 'SAGA_FAILED'
  | 'EVENT_IGNORED'
  /** An async participant accepted the attempt; its outcome arrives by callback. */
  | 'STEP_ACCEPTED'
  | 'COMPENSATION_ACCEPTED';

/**
 * One history entry, as the runtime appends it in the same transaction as the snapshot.
 * Entries with `event` set are machine events: folding them through the machine in order
 * reproduces the stored snapshot (replay). The others are derived, for people to read.
 */
export interface HistoryRecord {
  type: HistoryType;
  step: string | null;
  attempt: number | null;
  data: Record<string, unknown>;
  at: string;
  /** The machine event this entry records, or null for a derived entry. */
  event: SagaEvent | null;
}
