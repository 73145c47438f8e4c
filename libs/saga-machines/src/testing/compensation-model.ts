import type { SagaContext } from '../saga-context';
import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent, StepError } from '../saga-events';
import type { PersistedSagaSnapshot } from '../persisted-saga-snapshot';
import { AWAITING_IN_FLIGHT_STEP } from '../create-saga-machine';
import { childOfPath, sagaStatePath, statusOfPath } from '../saga-state-path';

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
 * The events worth sending in a state: only those about the step the saga waits for, so that
 * the traversal explores outcomes rather than junk (junk is for the property tests).
 */
export function compensationModelEvents(
  _definition: SagaDefinition,
  options?: CompensationModelOptions,
): (snapshot: Snapshotish) => SagaEvent[] {
  const o = resolve(options);
  return (snapshot) => {
    const { context } = snapshot;
    const path = sagaStatePath(snapshot.value);
    const status = statusOfPath(path);
    const child = childOfPath(path);
    const at = o.at;
    const cancels = o.cancelReasons.map((reason): SagaEvent => ({ type: 'CANCEL', reason, at }));
    if (status === 'STARTED') return [{ type: 'START', at }, ...cancels];
    if (status === 'FAILED') {
      return context.retryRound < o.maxRetryRounds ? [{ type: 'RETRY', at }] : [];
    }
    if (child === null) return [];
    if (status === 'EXECUTING' || child === AWAITING_IN_FLIGHT_STEP) {
      const step = status === 'EXECUTING' ? child : runningStep(context);
      if (!step) return [];
      const attempts = context.steps.find((s) => s.name === step)?.attempts ?? 0;
      const attempt = attempts + 1;
      const events: SagaEvent[] = [
        { type: 'STEP_SUCCEEDED', step, attempt, output: { by: step }, at },
        { type: 'STEP_FAILED', step, attempt, error: fatal, at },
      ];
      // After a cancel an attempt failure ends the step, so it is always worth exploring then.
      if (attempts < o.maxAttemptFailures || status !== 'EXECUTING') {
        events.push({ type: 'STEP_ATTEMPT_FAILED', step, attempt, error: transient, at });
      }
      return status === 'EXECUTING' ? [...events, ...cancels] : events;
    }
    const attempts = context.steps.find((s) => s.name === child)?.compensation?.attempts ?? 0;
    const attempt = attempts + 1;
    const events: SagaEvent[] = [
      { type: 'COMPENSATION_SUCCEEDED', step: child, attempt, output: { undid: child }, at },
      { type: 'COMPENSATION_FAILED', step: child, attempt, error: fatal, at },
    ];
    if (attempts < o.maxAttemptFailures) {
      events.push({
        type: 'COMPENSATION_ATTEMPT_FAILED',
        step: child,
        attempt,
        error: transient,
        at,
      });
    }
    return events;
  };
}

function runningStep(context: SagaContext): string | undefined {
  return context.steps.find((s) => s.status === 'running')?.name;
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
      return `${s.status}/${s.compensation?.status ?? '-'}${inProgress ? `/${attempts}` : ''}`;
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
