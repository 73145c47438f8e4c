import { assign, setup } from 'xstate';
import { initialSagaContext } from './initial-saga-context';
import type { SagaDefinition } from './saga-definition';
import type { SagaContext, SagaMachineInput } from './saga-context';
import * as update from './saga-context-updates';
import type { SagaEvent } from './saga-events';
import { validateSagaDefinition } from './validate-saga-definition';
import { buildFlowMachine } from './create-flow-machine';
import { isFlowDefinition } from './step-graph';

/** The COMPENSATING child that waits for the step in flight when a CANCEL arrived. */
export const AWAITING_IN_FLIGHT_STEP = 'awaiting_in_flight_step';

/** The id of every saga machine's root state (targets below are written `#saga.…`). */
export const SAGA_MACHINE_ID = 'saga';

type StepEvent = Extract<SagaEvent, { step: string }>;
type StepParams = { step: string };

const stepOf = (event: SagaEvent): string | undefined => ('step' in event ? event.step : undefined);

function sagaSetup() {
  return setup({
    types: {
      context: {} as SagaContext,
      events: {} as SagaEvent,
      input: {} as SagaMachineInput,
    },
    actions: {
      stepRunning: assign(({ context, event }, p: StepParams) =>
        update.markStepRunning(context, event, p.step),
      ),
      stepSucceeded: assign(({ context, event }) =>
        update.markStepSucceeded(context, event as StepEvent),
      ),
      stepAttemptFailed: assign(({ context, event }) =>
        update.markStepAttemptFailed(context, event as StepEvent),
      ),
      stepFailed: assign(({ context, event }, p: { asCause: boolean }) =>
        update.markStepFailed(context, event as StepEvent, p.asCause),
      ),
      cancelled: assign(({ context, event }) => update.markCancelled(context, event)),
      compensationRunning: assign(({ context, event }, p: StepParams) =>
        update.markCompensationRunning(context, event, p.step),
      ),
      compensationSucceeded: assign(({ context, event }) =>
        update.markCompensationSucceeded(context, event as StepEvent),
      ),
      compensationAttemptFailed: assign(({ context, event }) =>
        update.markCompensationAttemptFailed(context, event as StepEvent),
      ),
      compensationFailed: assign(({ context, event }) =>
        update.markCompensationFailed(context, event as StepEvent),
      ),
      retried: assign(({ context, event }) => update.markRetried(context, event)),
      finished: assign(({ context, event }) => update.markFinished(context, event)),
    },
    guards: {
      // Events name their step; one that names another step is unhandled, hence ignored.
      isStep: ({ event }, p: StepParams) => stepOf(event) === p.step,
      isInFlight: ({ context, event }, p: StepParams) =>
        stepOf(event) === p.step &&
        context.steps.some((s) => s.name === p.step && s.status === 'running'),
      compensationFailedAt: ({ context }, p: StepParams) =>
        context.steps.some((s) => s.name === p.step && s.status === 'compensation_failed'),
    },
  });
}

/** The XState machine of a saga definition (what `createSagaMachine` returns). */
export type SagaMachine = ReturnType<typeof buildMachine>;

const machines = new WeakMap<SagaDefinition, SagaMachine>();

/**
 * Builds the statechart of `definition`: STARTED → EXECUTING.<step>… → COMPLETED, or
 * COMPENSATING.<step>… in reverse → COMPENSATED (FAILED when a compensation fails).
 * Step outcomes arrive as events; the machine has no invoke, after or delays, so it is pure
 * and `xstate/graph` can explore it. Machines are cached per definition object.
 *
 * @throws {@link SagaDefinitionError} when the definition is invalid.
 */
export function createSagaMachine(definition: SagaDefinition): SagaMachine {
  const cached = machines.get(definition);
  if (cached) return cached;
  validateSagaDefinition(definition);
  // Same context, events and input: the flow machine only arranges its states differently.
  const machine = isFlowDefinition(definition)
    ? (buildFlowMachine(definition) as unknown as SagaMachine)
    : buildMachine(definition);
  machines.set(definition, machine);
  return machine;
}

function buildMachine(definition: SagaDefinition) {
  const names = definition.steps.map((s) => s.name);
  const first = names[0];
  // Steps run strictly in order, so when step i is done or failed, exactly the steps before it
  // have succeeded: "the previous step, or nothing to undo" is a static target.
  const compensateFrom = (i: number) =>
    i === 0 ? '#saga.COMPENSATED' : `#saga.COMPENSATING.${names[i - 1]}`;
  const isStep = (step: string) => ({ type: 'isStep', params: { step } }) as const;
  const isInFlight = (step: string) => ({ type: 'isInFlight', params: { step } }) as const;

  const executing = Object.fromEntries(
    names.map((name, i) => [
      name,
      {
        entry: [{ type: 'stepRunning', params: { step: name } } as const],
        on: {
          STEP_SUCCEEDED: {
            guard: isStep(name),
            target: i + 1 < names.length ? `#saga.EXECUTING.${names[i + 1]}` : '#saga.COMPLETED',
            actions: ['stepSucceeded'] as const,
          },
          STEP_ATTEMPT_FAILED: { guard: isStep(name), actions: ['stepAttemptFailed'] as const },
          STEP_FAILED: {
            guard: isStep(name),
            target: compensateFrom(i),
            actions: [{ type: 'stepFailed', params: { asCause: true } } as const],
          },
        },
      },
    ]),
  );

  // After a CANCEL the in-flight step still reports; which step that is decides the target.
  const failedInFlight = names.map((name, i) => ({
    guard: isInFlight(name),
    target: compensateFrom(i),
    actions: [{ type: 'stepFailed', params: { asCause: false } } as const],
  }));
  const awaiting = {
    on: {
      STEP_SUCCEEDED: names.map((name) => ({
        guard: isInFlight(name),
        target: `#saga.COMPENSATING.${name}`,
        actions: ['stepSucceeded'] as const,
      })),
      STEP_FAILED: failedInFlight,
      // No retries after a cancel: a failed attempt ends the step.
      STEP_ATTEMPT_FAILED: failedInFlight,
    },
  };

  const compensating = Object.fromEntries(
    names.map((name, i) => [
      name,
      {
        entry: [{ type: 'compensationRunning', params: { step: name } } as const],
        on: {
          COMPENSATION_SUCCEEDED: {
            guard: isStep(name),
            target: compensateFrom(i),
            actions: ['compensationSucceeded'] as const,
          },
          COMPENSATION_ATTEMPT_FAILED: {
            guard: isStep(name),
            actions: ['compensationAttemptFailed'] as const,
          },
          // Stop at the first failed compensation: running the earlier ones now would break
          // the reverse order (they may depend on this one having been undone).
          COMPENSATION_FAILED: {
            guard: isStep(name),
            target: '#saga.FAILED',
            actions: ['compensationFailed'] as const,
          },
        },
      },
    ]),
  );

  return sagaSetup().createMachine({
    id: SAGA_MACHINE_ID,
    context: ({ input }) => initialSagaContext(definition, input),
    initial: 'STARTED',
    states: {
      STARTED: {
        on: {
          START: { target: `#saga.EXECUTING.${first}` },
          // Nothing has run yet, so there is nothing to undo.
          CANCEL: { target: '#saga.COMPENSATED', actions: ['cancelled'] },
        },
      },
      EXECUTING: {
        initial: first,
        states: executing,
        on: {
          // The step in flight cannot be recalled: wait for its outcome, then undo it too.
          CANCEL: {
            target: `#saga.COMPENSATING.${AWAITING_IN_FLIGHT_STEP}`,
            actions: ['cancelled'],
          },
        },
      },
      COMPENSATING: {
        initial: AWAITING_IN_FLIGHT_STEP,
        states: { [AWAITING_IN_FLIGHT_STEP]: awaiting, ...compensating },
      },
      COMPLETED: { type: 'final', entry: ['finished'] },
      COMPENSATED: { type: 'final', entry: ['finished'] },
      // Final as a saga status, but not for xstate: RETRY must be able to leave it.
      FAILED: {
        entry: ['finished'],
        on: {
          RETRY: names.map((name) => ({
            guard: { type: 'compensationFailedAt', params: { step: name } } as const,
            target: `#saga.COMPENSATING.${name}`,
            actions: ['retried'] as const,
          })),
        },
      },
    },
  });
}
