import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent, StepError } from '../saga-events';
import type { PersistedSagaSnapshot } from '../persisted-saga-snapshot';
import { sagaStatePath, statusOfPath } from '../saga-state-path';

/** Bounds that keep the explored graph finite (and the number of paths reasonable). */
export interface CompensationModelOptions {
  /** Retryable failed attempts explored per step and per compensation round. @default 1 */
  maxAttemptFailures?: number;
  /** RETRY from FAILED explored at most this many times. @default 1 */
  maxRetryRounds?: number;
  /** Cancel reasons explored in STARTED and EXECUTING. @default ['requested'] */
  cancelReasons?: ReadonlyArray<'requested' | 'deadline'>;
  /** The `at` of every generated event (a constant keeps contexts, and so states, comparable). */
  at?: string;
}

export const DEFAULT_MODEL_AT = '2030-01-01T00:00:00.000Z';

type Snapshotish = Pick<PersistedSagaSnapshot, 'value' | 'context'>;

function resolve(options: CompensationModelOptions = {}) {
  return {
    maxAttemptFailures: options.maxAttemptFailures ?? 1,
    maxRetryRounds: options.maxRetryRounds ?? 1,
    cancelReasons: options.cancelReasons ?? (['requested'] as const),
    at: options.at ?? DEFAULT_MODEL_AT,
  };
}

const fatal: StepError = { code: 'MODEL_FATAL', message: 'fails for good', retryable: false };
const transient: StepError = { code: 'MODEL_TRANSIENT', message: 'flaky', retryable: true };

/**
 * The events worth sending in a state: outcomes of every invocation in flight (a step, an item
 * of a forEach step, or a compensation), read from the context, so that the traversal explores
 * outcomes rather than junk (junk is for the property tests). With parallel steps that means
 * every interleaving of their outcomes.
 */
export function compensationModelEvents(
  _definition: SagaDefinition,
  options?: CompensationModelOptions,
): (snapshot: Snapshotish) => SagaEvent[] {
  const o = resolve(options);
  return (snapshot) => {
    const { context } = snapshot;
    const status = statusOfPath(sagaStatePath(snapshot.value));
    const at = o.at;
    const cancels = o.cancelReasons.map((reason): SagaEvent => ({ type: 'CANCEL', reason, at }));
    if (status === 'STARTED') return [{ type: 'START', at }, ...cancels];
    if (status === 'FAILED') {
      return context.retryRound < o.maxRetryRounds ? [{ type: 'RETRY', at }] : [];
    }
    if (status !== 'EXECUTING' && status !== 'COMPENSATING') return [];
    // While a cancel (or, in a flow, a failure) is being settled, an attempt failure ends the
    // step, so it is always worth exploring then.
    const settling = status !== 'EXECUTING' || context.cancel !== null;
    const events: SagaEvent[] = [];
    for (const s of context.steps) {
      for (const inv of s.items ?? [s]) {
        const item = 'index' in inv ? { item: inv.index } : {};
        if (inv.status === 'running') {
          const attempt = inv.attempts + 1;
          const step = s.name;
          events.push(
            { type: 'STEP_SUCCEEDED', step, ...item, attempt, output: { by: step }, at },
            { type: 'STEP_FAILED', step, ...item, attempt, error: fatal, at },
          );
          if (inv.attempts < o.maxAttemptFailures || settling) {
            events.push({
              type: 'STEP_ATTEMPT_FAILED',
              step,
              ...item,
              attempt,
              error: transient,
              at,
            });
          }
        }
        if (inv.compensation?.status === 'running' && inv.status === 'compensating') {
          const attempts = inv.compensation.attempts;
          const attempt = attempts + 1;
          const step = s.name;
          events.push(
            { type: 'COMPENSATION_SUCCEEDED', step, ...item, attempt, output: { undid: step }, at },
            { type: 'COMPENSATION_FAILED', step, ...item, attempt, error: fatal, at },
          );
          if (attempts < o.maxAttemptFailures) {
            events.push({
              type: 'COMPENSATION_ATTEMPT_FAILED',
              step,
              ...item,
              attempt,
              error: transient,
              at,
            });
          }
        }
      }
    }
    if (status === 'EXECUTING' && context.cancel === null) events.push(...cancels);
    return events;
  };
}

/**
 * Serializes a state for the traversal by what matters to compensation: the state, each
 * step's status and compensation status, the retry round and the cancel. Attempt counts are
 * kept only for the step (or compensation) in progress, so that "one attempt failed, then it
 * succeeded" merges with "it succeeded" afterwards and the graph stays small.
 */
export function serializeCompensationState(snapshot: Snapshotish): string {
  const { context } = snapshot;
  return JSON.stringify({
    state: sagaStatePath(snapshot.value),
    steps: context.steps.map((s) => {
      const inProgress = s.status === 'running' || s.status === 'compensating';
      const attempts = s.status === 'compensating' ? s.compensation?.attempts : s.attempts;
      const items = (s.items ?? [])
        .map((i) => `${i.status}/${i.compensation?.status ?? '-'}/${i.attempts}`)
        .join(',');
      return `${s.status}/${s.compensation?.status ?? '-'}${inProgress ? `/${attempts}` : ''}${items ? `[${items}]` : ''}`;
    }),
    retryRound: context.retryRound,
    cancel: context.cancel?.reason ?? null,
  });
}

/** Where a compensation path may end: COMPENSATED, or FAILED (waiting for a person). */
export function isCompensationOutcome(snapshot: Snapshotish): boolean {
  const status = statusOfPath(sagaStatePath(snapshot.value));
  return status === 'COMPENSATED' || status === 'FAILED';
}
