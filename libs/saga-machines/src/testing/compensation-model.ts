import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent, StepError } from '../saga-events';
import type { PersistedSagaSnapshot } from '../persisted-saga-snapshot';
import { sagaStatePath, statusOfPath } from '../saga-state-path';
import { isFlowDefinition } from '../step-graph';

// THE BOUND, and why it is enough. The model explores every interleaving of the outcomes of
// what is in flight, with: (a) at most `maxAttemptFailures` (1) retryable failed attempts per
// step, item and compensation per round, except that after a cancel of a sequential saga an
// attempt failure is always explored, since it then ends the step in flight;
// (b) at most `maxRetryRounds` (1) RETRY; (c) `cancelReasons` (requested); (d) for a forEach
// step, concurrency + 1 items (`compensationModelInput`). Goal: every transition of the machine
// into COMPENSATING (and its regions), FAILED or COMPENSATED that some saga of the definition
// can take, some path takes; and the rules are checked on every path. Why the bound loses none:
// (a) no guard of either machine reads an attempt count: the runtime, not the machine, turns the
//     last attempt's failure into STEP_FAILED / COMPENSATION_FAILED. A second attempt failure is
//     the same targetless transition as the first (or, in a cancelled sequential saga, the same
//     step-ending one, always explored), and settled attempt counts are not part of a state.
// (b) the RETRY guards (`compensationFailedAt`, `undoFailedSomewhere`, `stuckForward`) read
//     statuses only, and retryRound feeds nothing but dispatch ids. A FAILED state of round
//     r > 0 is, up to retryRound and attempts, a FAILED state of round 0: which compensations
//     are done, failed or still to run obeys the same order rules in every round, and round 0
//     reaches each such combination by letting exactly those compensations fail (forward: which
//     steps past the pivot succeeded and failed). The model sends RETRY from every FAILED state
//     of round 0, so a second round repeats transitions the first one took.
// (c) the reason is only recorded: both reasons take the same transitions.
// (d) the machine sees a forEach step's items only through step-level facts: some item still
//     runs; every item succeeded; one failed (the saga stops); one succeeded (there is an effect
//     to undo); the lowest succeeded item was undone (the step is compensated); an item's undo
//     failed. Every other item event is one targetless transition of the step's `running` state,
//     the same for every item. c + 1 items reach every combination and order of these facts
//     relative to other steps: all succeed or one fails while others run; with the (c + 1)th
//     item the saga can stop while an item waits for a free slot and so never starts; a failed
//     item can sit between two that succeeded (0 succeeds, so 2 starts, 1 fails, 2 succeeds),
//     whose undo skips it. A longer list only repeats those targetless transitions in between.
// What the bound does not promise: that a rule holding for c + 1 items holds for 1000 (the
// fast-check suite over random graphs and item counts covers that side).

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
  /**
   * The saga input the model starts from. Only forEach pointers matter to the machine.
   * @default {@link compensationModelInput}: concurrency + 1 items per forEach step
   */
  input?: unknown;
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
  definition: SagaDefinition,
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
    // After a cancel the sequential machine ends the step in flight at its first failed
    // attempt, so an attempt failure is always worth exploring then. A flow step keeps its
    // retries while the saga stops (its outcome decides whether it is undone).
    const settling =
      !isFlowDefinition(definition) && (status !== 'EXECUTING' || context.cancel !== null);
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
      // Like a step's, an item's attempts only count while it (or its undo) is in progress.
      const items = (s.items ?? [])
        .map((i) => {
          const n =
            i.status === 'running'
              ? `/${i.attempts}`
              : i.status === 'compensating'
                ? `/${i.compensation?.attempts ?? 0}`
                : '';
          return `${i.status}/${i.compensation?.status ?? '-'}${n}`;
        })
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
