/**
 * A command the runtime must carry out after it has committed the snapshot that asked for it.
 * The machine computes commands; it never performs them.
 */
export interface SagaCommand {
  kind: 'execute' | 'compensate';
  sagaId: string;
  step: string;
  /** Position of the step in the definition (0-based). */
  stepIndex: number;
  participant: string;
  /** The participant action or compensation to call. */
  operation: string;
  /** `forEach` steps: which item this invocation is for (its index and value in the input). */
  item?: { index: number; value: unknown };
  /** Stable across every attempt and every redelivery: `sagaId:step:kind` (`:index` for items). */
  idempotencyKey: string;
  /** Deterministic and unique per dispatch (a RETRY from FAILED makes a new one); no `:` (BullMQ). */
  dispatchId: string;
  timeoutMs: number;
  /** The participant answers "accepted" and reports the outcome later through a callback. */
  async: boolean;
  retry: { maxAttempts: number; backoffMs: number; maxBackoffMs: number };
}
