// The events a saga machine accepts. Step outcomes arrive as plain events (never `invoke` or
// `after`), so that the machine stays pure, replayable and testable with xstate/graph.
// Every event carries `at`: the machine never reads a clock, which keeps replay exact.

/** A participant's error as the saga records it. */
export interface StepError {
  /** Machine-readable code, e.g. `CARD_DECLINED`, `TIMEOUT`. */
  code: string;
  message: string;
  /** Whether another attempt could help. */
  retryable: boolean;
}

export interface StartEvent {
  type: 'START';
  at: string;
}
export interface StepSucceededEvent {
  type: 'STEP_SUCCEEDED';
  step: string;
  /** `forEach` steps: the item's index. */
  item?: number;
  attempt: number;
  output: unknown;
  at: string;
}
/** A retryable attempt failed and another attempt will follow: counted, no state change. */
export interface StepAttemptFailedEvent {
  type: 'STEP_ATTEMPT_FAILED';
  step: string;
  /** `forEach` steps: the item's index. */
  item?: number;
  attempt: number;
  error: StepError;
  at: string;
}
/** The step failed for good (not retryable, or attempts spent): compensation begins. */
export interface StepFailedEvent {
  type: 'STEP_FAILED';
  step: string;
  /** `forEach` steps: the item's index. */
  item?: number;
  attempt: number;
  error: StepError;
  at: string;
}
export interface CompensationSucceededEvent {
  type: 'COMPENSATION_SUCCEEDED';
  step: string;
  /** `forEach` steps: the item's index. */
  item?: number;
  attempt: number;
  output: unknown;
  at: string;
}
export interface CompensationAttemptFailedEvent {
  type: 'COMPENSATION_ATTEMPT_FAILED';
  step: string;
  /** `forEach` steps: the item's index. */
  item?: number;
  attempt: number;
  error: StepError;
  at: string;
}
/** A compensation failed for good: the saga is FAILED and needs a person. */
export interface CompensationFailedEvent {
  type: 'COMPENSATION_FAILED';
  step: string;
  /** `forEach` steps: the item's index. */
  item?: number;
  attempt: number;
  error: StepError;
  at: string;
}
export interface CancelEvent {
  type: 'CANCEL';
  /** `requested` by a client, or the saga's `deadline` passed. */
  reason: 'requested' | 'deadline';
  at: string;
}
/** From FAILED: the failed compensation runs again with fresh attempts. */
export interface RetryEvent {
  type: 'RETRY';
  at: string;
}

export type SagaEvent =
  | StartEvent
  | StepSucceededEvent
  | StepAttemptFailedEvent
  | StepFailedEvent
  | CompensationSucceededEvent
  | CompensationAttemptFailedEvent
  | CompensationFailedEvent
  | CancelEvent
  | RetryEvent;

export type SagaEventType = SagaEvent['type'];
