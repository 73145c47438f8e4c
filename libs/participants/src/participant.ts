// The small interface a participant service presents to the saga runtime (DESIGN.md,
// "Boundaries"). The runtime calls `invoke`; the participant owns its tables and effects.

/** What a participant is told about the call it is asked to make. */
export interface ParticipantCallContext {
  sagaId: string;
  /** The saga step this call belongs to. */
  step: string;
  /** `execute` for the step's action, `compensate` for its compensation. */
  kind: 'execute' | 'compensate';
  /** Stable for every attempt and redelivery of this call: `sagaId:step:kind`. */
  idempotencyKey: string;
  /** The saga's input. */
  input: unknown;
  /** Outputs of the steps that succeeded before this one, by step name. */
  outputs: Record<string, unknown>;
  /** When compensating: the output of the action being undone (undefined if it has none). */
  forwardOutput?: unknown;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the attempt's timeout passes or the worker shuts down. */
  signal: AbortSignal;
}

export type ParticipantOperation = (ctx: ParticipantCallContext) => Promise<unknown>;

/** A participant service: its name and its operations (actions and compensations), by name. */
export interface Participant {
  readonly name: string;
  readonly operations: Readonly<Record<string, ParticipantOperation>>;
}

/**
 * A failure no retry can fix (card declined, unknown SKU): the step fails at once and the
 * saga compensates. `name` is set so the kind survives serialization through the queue.
 */
export class TerminalStepError extends Error {
  override readonly name = 'TerminalStepError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A failure another attempt may fix (a flaky dependency): retried with backoff. */
export class RetryableStepError extends Error {
  override readonly name = 'RetryableStepError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
