// The statechart of a flow definition (one with dependsOn, forEach or pivot): EXECUTING and
// COMPENSATING are parallel states with one region per step, so independent steps (and their
// compensations) are active at once. Each region mirrors its step's record; eventless
// (`always`) transitions move a region once the context allows it: a step starts when its
// dependencies have succeeded, its compensation once every step that depends on it is undone.
// Like the sequential machine it has no invoke, after or delay: pure, replayable, explorable.
import { assign, setup } from 'xstate';
import * as can from './flow-guards';
import * as update from './flow-context-updates';
import * as single from './saga-context-updates';
import { initialSagaContext } from './initial-saga-context';
import type { SagaContext, SagaMachineInput } from './saga-context';
import type { SagaDefinition } from './saga-definition';
import type { SagaEvent } from './saga-events';
import { stepGraph } from './step-graph';

type StepEvent = Extract<SagaEvent, { step: string }>;
type StepParams = { step: string };

/** Region states of a step while EXECUTING, and of its compensation while COMPENSATING. */
export const FLOW_STEP_STATES = ['pending', 'running', 'succeeded', 'failed'] as const;
export const FLOW_UNDO_STATES = ['waiting', 'running', 'done', 'failed'] as const;

function flowSetup(definition: SagaDefinition) {
  // The event addresses an invocation that is in flight: the step itself, or one of its items.
  const addresses = (context: SagaContext, event: SagaEvent, step: string, undo: boolean) => {
    if (!('step' in event) || event.step !== step) return false;
    const record = can.recordOf(context, step);
    const forEach = definition.steps.find((s) => s.name === step)?.forEach !== undefined;
    if (!forEach) return event.item === undefined;
    const item = record.items?.find((i) => i.index === event.item);
    return item !== undefined && item.status === (undo ? 'compensating' : 'running');
  };
  return setup({
    types: {
      context: {} as SagaContext,
      events: {} as SagaEvent,
      input: {} as SagaMachineInput,
    },
    actions: {
      startStep: assign(({ context, event }, p: StepParams) =>
        update.startStep(definition, context, event, p.step),
      ),
      stepSucceeded: assign(({ context, event }) =>
        update.stepSucceeded(definition, context, event as StepEvent),
      ),
      stepAttemptFailed: assign(({ context, event }) =>
        update.stepAttemptFailed(context, event as StepEvent),
      ),
      stepFailed: assign(({ context, event }) => update.stepFailed(context, event as StepEvent)),
      cancelled: assign(({ context, event }) => single.markCancelled(context, event)),
      stoppedPastPivot: assign(({ context, event }) => update.stoppedPastPivot(context, event)),
      startUndo: assign(({ context, event }, p: StepParams) =>
        update.startUndo(definition, context, event, p.step),
      ),
      undoSucceeded: assign(({ context, event }) =>
        update.undoSucceeded(context, event as StepEvent),
      ),
      undoAttemptFailed: assign(({ context, event }) =>
        update.undoAttemptFailed(context, event as StepEvent),
      ),
      undoFailed: assign(({ context, event }) => update.undoFailed(context, event as StepEvent)),
      retriedForward: assign(({ context, event }) => update.retriedForward(context, event)),
      retriedUndo: assign(({ context, event }) => update.retriedUndo(context, event)),
      finished: assign(({ event }) => ({ updatedAt: event.at, finishedAt: event.at })),
    },
    guards: {
      runs: ({ context, event }, p: StepParams) => addresses(context, event, p.step, false),
      undoes: ({ context, event }, p: StepParams) => addresses(context, event, p.step, true),
      canStart: ({ context }, p: StepParams) => can.canStart(definition, context, p.step),
      stepIs: ({ context }, p: StepParams & { status: string }) =>
        can.recordOf(context, p.step).status === p.status,
      canUndo: ({ context }, p: StepParams) => can.canUndo(definition, context, p.step),
      isUndone: ({ context }, p: StepParams) => can.isUndone(can.recordOf(context, p.step)),
      cancellable: ({ context }) =>
        !can.isHalting(context) && !can.hasPivotStarted(definition, context),
      // A cancel that was accepted is honoured: the last steps in flight succeeding undoes them
      // too (as the sequential machine does) rather than completing the saga.
      allSucceeded: ({ context }) => can.allSucceeded(context) && context.cancel === null,
      settledPastPivot: ({ context }) =>
        can.isHalting(context) && !can.isRunning(context) && can.isPastPivot(definition, context),
      settled: ({ context }) => can.isHalting(context) && !can.isRunning(context),
      allUndone: ({ context }) => context.steps.every((s) => can.isUndone(s)),
      undoStuck: ({ context }) =>
        can.anyCompensationFailed(context) && !can.isCompensating(context),
      stuckForward: ({ context }) => can.isStuckForward(definition, context),
      undoFailedSomewhere: ({ context }) => can.anyCompensationFailed(context),
    },
  });
}

/** The XState machine of a flow definition. */
export function buildFlowMachine(definition: SagaDefinition) {
  const { steps } = stepGraph(definition);
  const names = [...steps.keys()];
  const forEach = (name: string) => steps.get(name)?.forEach !== undefined;
  const p = (step: string) => ({ step });
  type StepGuard = 'runs' | 'undoes' | 'canStart' | 'canUndo' | 'isUndone';
  const when = <T extends StepGuard>(type: T, step: string) =>
    ({ type, params: { step } }) as const;
  const is = (step: string, status: string) =>
    ({ type: 'stepIs', params: { step, status } }) as const;

  const stepRegion = (name: string) => ({
    initial: 'pending',
    states: {
      pending: {
        always: [
          { guard: is(name, 'succeeded'), target: 'succeeded' },
          { guard: is(name, 'failed'), target: 'failed' },
          { guard: when('canStart', name), target: 'running' },
        ],
      },
      running: {
        entry: [{ type: 'startStep', params: p(name) } as const],
        on: {
          STEP_SUCCEEDED: {
            guard: when('runs', name),
            actions: ['stepSucceeded'] as const,
            ...(forEach(name) ? {} : { target: 'succeeded' }),
          },
          // Also while the saga stops (a cancel, another step's failure): a failed attempt,
          // a timeout above all, may have been applied by the participant, and only its retry
          // (same idempotency key) tells. Cut short, an applied step would be recorded failed
          // and never undone; retried, it ends succeeded (and is compensated) or failed.
          STEP_ATTEMPT_FAILED: {
            guard: when('runs', name),
            actions: ['stepAttemptFailed'] as const,
          },
          STEP_FAILED: {
            guard: when('runs', name),
            actions: ['stepFailed'] as const,
            ...(forEach(name) ? {} : { target: 'failed' }),
          },
        },
        // A forEach step settles when its last item in flight reports.
        always: forEach(name)
          ? [
              { guard: is(name, 'succeeded'), target: 'succeeded' },
              { guard: is(name, 'failed'), target: 'failed' },
            ]
          : [],
      },
      succeeded: {},
      failed: {},
    },
  });

  const undoRegion = (name: string) => ({
    initial: 'waiting',
    states: {
      waiting: {
        always: [
          { guard: when('isUndone', name), target: 'done' },
          { guard: is(name, 'compensation_failed'), target: 'failed' },
          { guard: when('canUndo', name), target: 'running' },
        ],
      },
      running: {
        entry: [{ type: 'startUndo', params: p(name) } as const],
        on: {
          COMPENSATION_SUCCEEDED: {
            guard: when('undoes', name),
            actions: ['undoSucceeded'] as const,
            ...(forEach(name) ? {} : { target: 'done' }),
          },
          COMPENSATION_ATTEMPT_FAILED: {
            guard: when('undoes', name),
            actions: ['undoAttemptFailed'] as const,
          },
          COMPENSATION_FAILED: {
            guard: when('undoes', name),
            actions: ['undoFailed'] as const,
            target: 'failed',
          },
        },
        always: forEach(name) ? [{ guard: is(name, 'compensated'), target: 'done' }] : [],
      },
      done: {},
      failed: {},
    },
  });

  return flowSetup(definition).createMachine({
    id: 'saga',
    context: ({ input }) => initialSagaContext(definition, input),
    initial: 'STARTED',
    states: {
      STARTED: {
        on: {
          START: { target: '#saga.EXECUTING' },
          CANCEL: { target: '#saga.COMPENSATED', actions: ['cancelled'] as const },
        },
      },
      EXECUTING: {
        type: 'parallel',
        states: Object.fromEntries(names.map((n) => [n, stepRegion(n)])),
        // The steps in flight cannot be recalled: they finish, then whatever succeeded is undone.
        on: { CANCEL: { guard: 'cancellable', actions: ['cancelled'] as const } },
        always: [
          { guard: 'allSucceeded', target: '#saga.COMPLETED' },
          {
            guard: 'settledPastPivot',
            target: '#saga.FAILED',
            actions: ['stoppedPastPivot'] as const,
          },
          { guard: 'settled', target: '#saga.COMPENSATING' },
        ],
      },
      COMPENSATING: {
        type: 'parallel',
        states: Object.fromEntries(names.map((n) => [n, undoRegion(n)])),
        always: [
          { guard: 'allUndone', target: '#saga.COMPENSATED' },
          // In-flight compensations finish; none starts after one failed (it would break order).
          { guard: 'undoStuck', target: '#saga.FAILED' },
        ],
      },
      COMPLETED: { type: 'final', entry: ['finished'] },
      COMPENSATED: { type: 'final', entry: ['finished'] },
      FAILED: {
        entry: ['finished'],
        on: {
          RETRY: [
            {
              guard: 'stuckForward',
              target: '#saga.EXECUTING',
              actions: ['retriedForward'] as const,
            },
            {
              guard: 'undoFailedSomewhere',
              target: '#saga.COMPENSATING',
              actions: ['retriedUndo'] as const,
            },
          ],
        },
      },
    },
  });
}
