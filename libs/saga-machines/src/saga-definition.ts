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
  /**
   * The participant's compensation that semantically undoes `action` (e.g. `refund`). Only the
   * pivot and the steps after it have none: nothing is compensated once the pivot succeeded.
   */
  compensation?: string;
  /** One attempt that runs longer than this counts as a retryable failed attempt. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Retry policy of the compensation. @default the step's `retry` */
  compensationRetry?: RetryPolicy;
  /**
   * The action succeeds or fails only when its participant calls back (its 2xx answer only
   * says the work was accepted); `timeoutMs` bounds the wait. @default false
   */
  async?: boolean;
  /** Likewise for the compensation. @default false */
  compensationAsync?: boolean;
  /**
   * The steps that must have succeeded before this one starts. When any step of a definition
   * has `dependsOn`, the steps form exactly the declared graph (a step without it starts at
   * once); otherwise each step depends on the one before.
   */
  dependsOn?: string[];
  /**
   * A JSON Pointer into the saga input naming an array of 1–1000 items: the step runs once
   * per item, and its output is the array of item outputs.
   */
  forEach?: string;
  /** With `forEach`: how many items run at once. @default 1 (one after another, in index order) */
  concurrency?: number;
  /**
   * The point of no return: once it has succeeded nothing is compensated; the steps after it
   * are retried and one that still fails ends the saga FAILED, to be resumed forward by RETRY.
   */
  pivot?: boolean;
}

/** A participant reached over HTTP: each attempt is `POST <url>/<operation>`. */
export interface HttpParticipantDefinition {
  /** Base URL (http or https), e.g. `http://127.0.0.1:4001`. */
  url: string;
}

/**
 * A saga definition: named, versioned steps run in order (or as the graph their `dependsOn`
 * declares), compensated in reverse.
 */
export interface SagaDefinition {
  name: string;
  version: number;
  description: string;
  /** Whole-saga deadline: a saga not final after this long is cancelled and compensates. */
  deadlineMs: number;
  steps: SagaStepDefinition[];
  /** HTTP participants by name; a step's `participant` not listed here is a built-in one. */
  participants?: Record<string, HttpParticipantDefinition>;
  /** JSON Schema (draft 2020-12) that a saga's input must satisfy. The engine does not read it. */
  inputSchema?: Record<string, unknown>;
}
