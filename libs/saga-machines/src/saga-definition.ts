/** How often a step (or its compensation) is attempted, and how long to wait between attempts. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1 = never retried). 1–20. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles after each further attempt (with jitter). */
  backoffMs: number;
  /** Upper bound of the delay between two attempts. */
  maxBackoffMs: number;
}

/** One step of a saga: an action in a participant service and the compensation that undoes it. */
export interface SagaStepDefinition {
  /** Unique within the definition; snake_case; becomes a statechart state name. */
  name: string;
  /** The participant service that runs the action and the compensation (e.g. `payment`). */
  participant: string;
  /** The participant's action (e.g. `charge`). */
  action: string;
  /** The participant's compensation that semantically undoes `action` (e.g. `refund`). */
  compensation: string;
  /** One attempt that runs longer than this counts as a retryable failed attempt. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Retry policy of the compensation. @default the step's `retry` */
  compensationRetry?: RetryPolicy;
}

/** A saga definition: a named, versioned list of steps run in order, compensated in reverse. */
export interface SagaDefinition {
  name: string;
  version: number;
  description: string;
  /** Whole-saga deadline: a saga not final after this long is cancelled and compensates. */
  deadlineMs: number;
  steps: SagaStepDefinition[];
}
