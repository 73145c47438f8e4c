// The runtime loop of DESIGN.md: load snapshot -> pure transition -> commit (version-guarded)
// -> dispatch what the committed state asks for. Nothing is dispatched before its commit.
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  applySagaEvent,
  startSaga,
  type SagaCommand,
  type SagaDefinition,
  type HistoryRecord,
  type SagaEvent,
  type SagaStepResult,
} from '@app/saga-machines';
import { randomUUID } from 'node:crypto';
import type { SagaInstanceEntity } from '../database/saga-instance.entity';
import { SagaException } from '../errors/saga-exception';
import { DefinitionRegistry } from './definition-registry';
import { SagaObserver } from './saga-observer';
import type { EntityManager } from 'typeorm';
import {
  CommitVetoedError,
  CreateRequestRaceError,
  DefinitionRetiredError,
  SagaStore,
  type NewSagaFault,
} from './saga-store';
import { StepQueue } from './step-queue';

/** Who sent an event: a client's request, a step worker, or the system (deadline). */
export type EventSource = 'client' | 'worker' | 'system';

export type ApplyOutcome =
  | { applied: true; saga: SagaInstanceEntity; result: SagaStepResult }
  | { applied: false; reason: string; saga: SagaInstanceEntity };

export interface StartRequest {
  definition: SagaDefinition;
  input: unknown;
  idempotency?: { key: string; bodyHash: string };
  /** Faults for this saga, written with it (fault injection). */
  faults?: NewSagaFault[];
  /** A registered (not built-in) definition: checked to be still active at commit. */
  registered?: boolean;
}

export interface ApplyOptions {
  /** The row as the caller last read it: saves a read when nobody wrote since. */
  lastRead?: SagaInstanceEntity;
  /**
   * Runs inside the transaction that commits the event; false rolls everything back and
   * apply answers `{ applied: false, reason: 'vetoed' }` (e.g. a callback already received).
   */
  inTransaction?: (m: EntityManager) => Promise<boolean>;
}

export type StartOutcome = { created: true; sagaId: string } | { created: false; sagaId: string };

const MAX_CAS_ROUNDS = 20;

@Injectable()
export class SagaRuntime {
  private readonly log = new Logger(SagaRuntime.name);

  constructor(
    private readonly store: SagaStore,
    @Inject(StepQueue) private readonly queue: StepQueue,
    private readonly definitions: DefinitionRegistry,
    private readonly observer: SagaObserver,
  ) {}

  /** Creates a saga (or returns the one an earlier request with the same key created). */
  async start(req: StartRequest): Promise<StartOutcome> {
    for (let round = 0; round < 3; round++) {
      const sagaId = randomUUID();
      const result = startSaga(req.definition, {
        sagaId,
        input: req.input,
        createdAt: new Date().toISOString(),
      });
      try {
        const outcome = await this.store.create({
          id: sagaId,
          definition: req.definition.name,
          definitionVersion: req.definition.version,
          result,
          createRequest: req.idempotency,
          faults: req.faults,
          registered: req.registered,
        });
        if (!outcome.created) {
          if (outcome.bodyHash !== req.idempotency?.bodyHash) {
            throw new SagaException(
              'IDEMPOTENCY_CONFLICT',
              'This Idempotency-Key was used before with a different request body.',
            );
          }
          return { created: false, sagaId: outcome.existingSagaId };
        }
      } catch (err) {
        if (err instanceof CreateRequestRaceError) continue;
        if (err instanceof DefinitionRetiredError) {
          throw new SagaException(
            'STATE_CONFLICT',
            `Version ${req.definition.version} of '${req.definition.name}' was retired: start the saga on a current version.`,
          );
        }
        throw err;
      }
      // Committed: now, and only now, its effects.
      await this.dispatchCommitted(sagaId, result.commands, new Date(result.view.deadlineAt));
      this.observer.emit('started', { sagaId, definition: req.definition.name });
      this.observer.emit('transition', {
        sagaId,
        definition: req.definition.name,
        event: { type: 'START', at: result.view.createdAt },
        from: 'STARTED',
        result,
      });
      return { created: true, sagaId };
    }
    throw new Error('could not create the saga after 3 rounds of Idempotency-Key races');
  }

  /**
   * Applies one event to a saga. Lost version races are retried from a fresh read, so two
   * appliers never both advance a saga from the same snapshot. An event that does not fit
   * the state is ignored; from a worker it is recorded in the history, from a client it is
   * not (a rejected cancel or retry writes nothing).
   */
  async apply(
    sagaId: string,
    event: SagaEvent,
    source: EventSource,
    { lastRead, inTransaction }: ApplyOptions = {},
  ): Promise<ApplyOutcome> {
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const saga = round === 0 && lastRead ? lastRead : await this.store.load(sagaId);
      if (!saga) throw new SagaException('SAGA_NOT_FOUND', `No saga with id ${sagaId}.`);
      const definition = await this.definitionOf(saga);
      const result = applySagaEvent(definition, saga.snapshot as never, event);
      if (result.ignored) {
        if (source === 'worker' && !(await this.store.appendOnly(saga, result.history))) continue;
        return { applied: false, reason: result.ignored.reason, saga };
      }
      try {
        if (!(await this.store.commit(saga, result, inTransaction))) continue;
      } catch (err) {
        if (err instanceof CommitVetoedError) return { applied: false, reason: 'vetoed', saga };
        throw err;
      }
      await this.dispatchCommitted(sagaId, result.commands);
      this.observer.emit('transition', {
        sagaId,
        definition: saga.definition,
        event,
        from: saga.status,
        result,
      });
      return { applied: true, saga, result };
    }
    throw new Error(`saga ${sagaId}: gave up after ${MAX_CAS_ROUNDS} version conflicts`);
  }

  /**
   * Enqueues what a committed state asks for. A queue that is unreachable loses nothing: the
   * saga row says what it waits for, and the recovery sweep enqueues it again (same job ids)
   * once the queue is back. So the caller's answer does not depend on the queue.
   */
  private async dispatchCommitted(
    sagaId: string,
    commands: SagaCommand[],
    deadlineAt?: Date,
  ): Promise<void> {
    try {
      if (deadlineAt) await this.queue.scheduleDeadline(sagaId, deadlineAt);
      await this.queue.dispatch(commands);
    } catch (err) {
      this.log.warn(
        `saga ${sagaId}: committed, but enqueueing its next work failed (${(err as Error).message}); the recovery sweep will enqueue it`,
      );
    }
  }

  /**
   * Appends a derived history entry (no machine event, the snapshot stays) under the version
   * guard. Best effort against a saga that moves meanwhile: retried from a fresh read.
   */
  async note(sagaId: string, record: HistoryRecord): Promise<void> {
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const saga = await this.store.load(sagaId);
      if (!saga) return;
      if (await this.store.appendOnly(saga, [record])) return;
    }
  }

  async load(sagaId: string): Promise<SagaInstanceEntity> {
    const saga = await this.store.load(sagaId);
    if (!saga) throw new SagaException('SAGA_NOT_FOUND', `No saga with id ${sagaId}.`);
    return saga;
  }

  /** The definition (and version) the saga runs on, whichever process registered it. */
  definitionOf(
    saga: Pick<SagaInstanceEntity, 'definition' | 'definitionVersion'>,
  ): Promise<SagaDefinition> {
    return this.definitions.forSaga(saga.definition, saga.definitionVersion);
  }
}
