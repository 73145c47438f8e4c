import { Inject, Injectable } from '@nestjs/common';
import { forEachInputIssues, MAX_ITEMS, SAGA_STATUSES, type SagaStatus } from '@app/saga-machines';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ParticipantRegistry } from '../participants/participant-registry';
import { canonicalHash } from '../common/canonical-json';
import { SagaException } from '../errors/saga-exception';
import { parseRequest } from '../http/zod-request';
import { DefinitionRegistry } from '../runtime/definition-registry';
import { SagaRuntime } from '../runtime/saga-runtime.service';
import { SagaStore } from '../runtime/saga-store';
import { toEventResponse, toSagaResponse, type SagaResponse } from './saga-response';
import {
  createSagaBodySchema,
  createSagaBodyWithFaultsSchema,
  decodeCursor,
  encodeCursor,
  listSagasQuerySchema,
  sagaCountsQuerySchema,
  sagaIdSchema,
} from './saga-queries';

/** What the saga routes do, between HTTP and the runtime. */
@Injectable()
export class SagasService {
  constructor(
    private readonly runtime: SagaRuntime,
    private readonly store: SagaStore,
    private readonly definitions: DefinitionRegistry,
    private readonly participants: ParticipantRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  parseId(id: string): string {
    return parseRequest(sagaIdSchema, id, 'id', 'saga id');
  }

  async create(
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<{ created: boolean; saga: SagaResponse }> {
    const req = this.config.faultsEnabled
      ? parseRequest(createSagaBodyWithFaultsSchema, body, '', 'request body')
      : { ...parseRequest(createSagaBodySchema, body, '', 'request body'), faults: undefined };
    req.faults?.forEach((f, i) => this.participants.assertFaultTarget(f, `faults.${i}`));
    if (
      idempotencyKey !== undefined &&
      (idempotencyKey.length < 1 || idempotencyKey.length > 200)
    ) {
      throw new SagaException('INVALID_REQUEST', 'Idempotency-Key must be 1 to 200 characters.', [
        { path: 'headers.idempotency-key', message: 'must be 1 to 200 characters' },
      ]);
    }
    const entry = await this.definitions.forNewSaga(req.definition, req.version);
    const input = entry.parseInput(req.input);
    const itemIssues = forEachInputIssues(entry.definition, input, MAX_ITEMS);
    if (itemIssues.length > 0) {
      throw new SagaException(
        'INVALID_REQUEST',
        `Invalid input: ${itemIssues.map((i) => i.message).join('; ')}`,
        itemIssues,
      );
    }
    const outcome = await this.runtime.start({
      definition: entry.definition,
      registered: entry.source === 'registered',
      input,
      faults: req.faults,
      idempotency:
        idempotencyKey === undefined
          ? undefined
          : {
              key: idempotencyKey,
              bodyHash: canonicalHash(body),
            },
    });
    return { created: outcome.created, saga: await this.get(outcome.sagaId) };
  }

  async get(id: string): Promise<SagaResponse> {
    const saga = await this.runtime.load(this.parseId(id));
    return toSagaResponse(saga, await this.runtime.definitionOf(saga));
  }

  async list(query: unknown) {
    const q = parseRequest(listSagasQuerySchema, query, 'query', 'query');
    let after: { createdAt: Date; id: string } | undefined;
    if (q.cursor !== undefined) {
      const decoded = decodeCursor(q.cursor);
      if (!decoded) {
        throw new SagaException(
          'INVALID_REQUEST',
          'Invalid query: cursor is not one this service issued.',
          [{ path: 'query.cursor', message: 'not a cursor issued by this service' }],
        );
      }
      after = decoded;
    }
    const page = await this.store.list({
      status: q.status,
      definition: q.definition,
      limit: q.limit ?? 50,
      after,
    });
    const items = [];
    for (const s of page.items) items.push(toSagaResponse(s, await this.runtime.definitionOf(s)));
    return {
      items,
      nextCursor: page.next ? encodeCursor(page.next) : null,
    };
  }

  /** Sagas per status (all six always present), optionally of one definition. */
  async counts(query: unknown): Promise<Record<SagaStatus, number>> {
    const q = parseRequest(sagaCountsQuerySchema, query ?? {}, 'query', 'query');
    return this.store.countByStatus(SAGA_STATUSES, q.definition);
  }

  async history(id: string, afterSeq = 0) {
    const sagaId = this.parseId(id);
    await this.runtime.load(sagaId);
    return (await this.store.history(sagaId, afterSeq)).map(toEventResponse);
  }

  async cancel(id: string): Promise<SagaResponse> {
    const sagaId = this.parseId(id);
    const outcome = await this.runtime.apply(
      sagaId,
      { type: 'CANCEL', reason: 'requested', at: new Date().toISOString() },
      'client',
    );
    if (!outcome.applied) {
      throw new SagaException(
        'STATE_CONFLICT',
        `The saga cannot be cancelled in status ${outcome.saga.status}.`,
      );
    }
    return this.get(sagaId);
  }

  async retry(id: string): Promise<SagaResponse> {
    const sagaId = this.parseId(id);
    const outcome = await this.runtime.apply(
      sagaId,
      { type: 'RETRY', at: new Date().toISOString() },
      'client',
    );
    if (!outcome.applied) {
      throw new SagaException(
        'STATE_CONFLICT',
        `Only a FAILED saga can be retried; this one is ${outcome.saga.status}.`,
      );
    }
    return this.get(sagaId);
  }
}
