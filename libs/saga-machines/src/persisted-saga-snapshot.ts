import type { SagaContext } from './saga-context';

/**
 * A saga machine's state value: a top-level state, `{ EXECUTING: step }` and the like, or for
 * a flow definition (parallel regions) `{ EXECUTING: { <step>: 'running' | … } }`.
 */
export type SagaStateValue = string | { [state: string]: string | { [region: string]: string } };

/**
 * The JSON-safe persisted snapshot of a saga machine (xstate's `getPersistedSnapshot`, passed
 * through JSON once so that what is stored is exactly what is returned). Restore it with
 * `machine.resolveState(snapshot)`, or just hand it back to `applySagaEvent`.
 */
export interface PersistedSagaSnapshot {
  status: 'active' | 'done' | 'error' | 'stopped';
  value: SagaStateValue;
  context: SagaContext;
  historyValue?: Record<string, unknown>;
  children?: Record<string, unknown>;
  output?: unknown;
  error?: unknown;
}
