import { sagaView, type SagaDefinition } from '@app/saga-machines';
import type { SagaEventEntity } from '../database/saga-event.entity';
import type { SagaInstanceEntity } from '../database/saga-instance.entity';

/** The saga as `GET /api/v1/sagas/:id` shows it (API.md). */
export function toSagaResponse(saga: SagaInstanceEntity, definition: SagaDefinition) {
  const v = sagaView(definition, saga.snapshot as never);
  const ctx = (saga.snapshot as { context?: { input?: unknown } }).context;
  return {
    id: saga.id,
    definition: saga.definition,
    definitionVersion: saga.definitionVersion,
    status: v.status,
    state: v.state,
    input: ctx?.input ?? null,
    output: v.output ?? null,
    steps: v.steps.map((s, i) => ({
      name: s.name,
      status: s.status,
      attempts: s.attempts,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      output: s.output ?? null,
      error: s.error,
      compensation: s.compensation
        ? {
            status: s.compensation.status,
            attempts: s.compensation.attempts,
            startedAt: s.compensation.startedAt,
            finishedAt: s.compensation.finishedAt,
            output: s.compensation.output ?? null,
            error: s.compensation.error,
          }
        : null,
      // forEach steps: one entry per item, from the step's start on.
      ...(definition.steps[i]?.forEach !== undefined
        ? {
            items: (s.items ?? []).map((item) => ({
              index: item.index,
              status: item.status,
              attempts: item.attempts,
              output: item.output ?? null,
              error: item.error,
              compensation: item.compensation
                ? { status: item.compensation.status, attempts: item.compensation.attempts }
                : null,
            })),
          }
        : {}),
    })),
    error: v.error,
    requiresManualIntervention: v.requiresManualIntervention,
    cancel: v.cancel ?? null,
    deadlineAt: v.deadlineAt,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    finishedAt: v.finishedAt,
  };
}

export type SagaResponse = ReturnType<typeof toSagaResponse>;

/** One history entry as `GET /api/v1/sagas/:id/events` shows it. */
export function toEventResponse(e: SagaEventEntity) {
  return {
    seq: e.seq,
    at: e.at.toISOString(),
    type: e.type,
    step: e.step,
    attempt: e.attempt,
    data: e.data,
  };
}
