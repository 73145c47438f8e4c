import type { PersistedSagaSnapshot } from './persisted-saga-snapshot';
import type { SagaContext, SagaError, SagaStatus, StepRecord } from './saga-context';
import type { SagaDefinition } from './saga-definition';
import { sagaStatePath, statusOfPath } from './saga-state-path';

/** What the API shows of a saga's progress, derived from its snapshot alone. */
export interface SagaView {
  status: SagaStatus;
  /** The full statechart state as a dotted path, e.g. `EXECUTING.process_payment`. */
  state: string;
  steps: StepRecord[];
  /** When FAILED: the compensation that failed; otherwise what made the saga compensate. */
  error: SagaError | null;
  requiresManualIntervention: boolean;
  /** When COMPLETED: each step's output by step name; otherwise null. */
  output: Record<string, unknown> | null;
  deadlineAt: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  cancel: SagaContext['cancel'];
}

/** The outputs of a completed saga's steps, by step name. */
export function sagaOutput(context: SagaContext): Record<string, unknown> {
  return Object.fromEntries(context.steps.map((step) => [step.name, step.output]));
}

/** The API view of a persisted saga snapshot (pure; the definition orders parallel states). */
export function sagaView(definition: SagaDefinition, persisted: PersistedSagaSnapshot): SagaView {
  const { context } = persisted;
  const state = sagaStatePath(
    persisted.value,
    definition.steps.map((s) => s.name),
  );
  const status = statusOfPath(state);
  return {
    status,
    state,
    steps: context.steps,
    error: status === 'FAILED' ? (context.compensationError ?? context.error) : context.error,
    requiresManualIntervention: context.requiresManualIntervention,
    output: status === 'COMPLETED' ? sagaOutput(context) : null,
    deadlineAt: context.deadlineAt,
    createdAt: context.createdAt,
    updatedAt: context.updatedAt,
    finishedAt: context.finishedAt,
    cancel: context.cancel,
  };
}
