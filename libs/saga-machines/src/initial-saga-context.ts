import type { SagaDefinition } from './saga-definition';
import type { SagaContext, SagaMachineInput } from './saga-context';

/**
 * Thrown, always this one object, for a machine asked for its initial context without input.
 * XState's pure `transition()` builds a throwaway actor for every event, and that actor's
 * constructor computes an initial snapshot with no input, which is then discarded; a fresh
 * TypeError (stack trace and all) for each was a sixth of the CPU of applying an event.
 */
const NO_INPUT = new TypeError('a saga machine needs its input (sagaId, input, createdAt)');

/**
 * The context of a saga that has not started: every step pending, nothing attempted.
 * `deadlineAt` is computed from `createdAt` (date arithmetic only: no clock is read).
 */
export function initialSagaContext(
  definition: SagaDefinition,
  input: SagaMachineInput,
): SagaContext {
  if (input === undefined) throw NO_INPUT;
  const created = Date.parse(input.createdAt);
  if (Number.isNaN(created)) {
    throw new TypeError(
      `createdAt must be an ISO-8601 timestamp, got ${JSON.stringify(input.createdAt)}.`,
    );
  }
  return {
    sagaId: input.sagaId,
    definition: definition.name,
    definitionVersion: definition.version,
    input: input.input,
    steps: definition.steps.map((step) => ({
      name: step.name,
      status: 'pending',
      attempts: 0,
      startedAt: null,
      finishedAt: null,
      output: null,
      error: null,
      compensation: null,
    })),
    error: null,
    compensationError: null,
    requiresManualIntervention: false,
    cancel: null,
    retryRound: 0,
    createdAt: input.createdAt,
    deadlineAt: new Date(created + definition.deadlineMs).toISOString(),
    updatedAt: input.createdAt,
    finishedAt: null,
  };
}
