// The only code that writes saga rows. Every write is one transaction: snapshot + history,
// guarded by the row's version (compare-and-swap), with a NOTIFY that fires on commit.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { HistoryRecord, SagaStepResult } from '@app/saga-machines';
import { DataSource, EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { CreateRequestEntity } from '../database/create-request.entity';
import { FaultEntity } from '../database/fault.entity';
import { SagaEventEntity } from '../database/saga-event.entity';
import { SagaInstanceEntity } from '../database/saga-instance.entity';

/** The channel on which every committed history write is announced (payload: saga id). */
export const SAGA_EVENTS_CHANNEL = 'saga_events';

export interface NewSaga {
  id: string;
  definition: string;
  definitionVersion: number;
  result: SagaStepResult;
  createRequest?: { key: string; bodyHash: string };
  faults?: NewSagaFault[];
  /** A registered definition: its version must still be active (not retired) at commit. */
  registered?: boolean;
}

export interface NewSagaFault {
  participant: string;
  action: string;
  mode: 'fail' | 'transient' | 'timeout' | 'delay';
  times: number;
  delayMs?: number;
}

export type CreateOutcome =
  { created: true } | { created: false; existingSagaId: string; bodyHash: string };

export interface SagaPage {
  items: SagaInstanceEntity[];
  next: { createdAt: Date; id: string } | null;
}

function rowFields(result: SagaStepResult) {
  const v = result.view;
  return {
    status: v.status,
    state: v.state,
    snapshot: result.snapshot as object,
    errorStep: v.error?.step ?? null,
    errorCode: v.error?.code ?? null,
    requiresManualIntervention: v.requiresManualIntervention,
    updatedAt: new Date(v.updatedAt),
    finishedAt: v.finishedAt ? new Date(v.finishedAt) : null,
  };
}

/** $1..$11 of UPDATE_SNAPSHOT_SQL and INSERT_SQL: the row's fields, its id and its version. */
function snapshotParams(result: SagaStepResult, id: string, version: number): unknown[] {
  const f = rowFields(result);
  return [
    f.status,
    f.state,
    JSON.stringify(f.snapshot),
    f.errorStep,
    f.errorCode,
    f.requiresManualIntervention,
    f.updatedAt,
    f.finishedAt,
    result.history.length,
    id,
    version,
  ];
}

/** The version-guarded snapshot write ($1..$11, see commit()). */
const UPDATE_SNAPSHOT_SQL = `UPDATE saga.saga_instance
    SET status = $1, state = $2, snapshot = $3::jsonb, error_step = $4, error_code = $5,
        requires_manual_intervention = $6, updated_at = $7, finished_at = $8,
        version = version + 1, last_seq = last_seq + $9
  WHERE id = $10 AND version = $11`;

/**
 * The history rows (a JSON array in $12) and the NOTIFY of a guarded write in CTE `guarded`
 * (its row's id and the seq the rows come after; no row when the guard matched nothing, and
 * then nothing is written). Appended to each one-statement write below.
 */
const HISTORY_AND_NOTIFY_SQL = `
  history AS (
    INSERT INTO saga.saga_event (saga_id, seq, type, step, attempt, data, event, at)
    SELECT g.id, g.after_seq + r.ord, r.v->>'type', r.v->>'step', (r.v->>'attempt')::int,
           r.v->'data', NULLIF(r.v->'event', 'null'::jsonb), (r.v->>'at')::timestamptz
      FROM guarded g, jsonb_array_elements($12::jsonb) WITH ORDINALITY AS r(v, ord)),
  notified AS (SELECT pg_notify('saga_events', g.id::text) FROM guarded g)
SELECT (SELECT count(*) FROM guarded)::int AS n, (SELECT count(*) FROM notified)::int AS notified`;

/** commit() without more work: the snapshot UPDATE, its history and the NOTIFY. */
const COMMIT_SQL = `WITH guarded AS (${UPDATE_SNAPSHOT_SQL} RETURNING id, last_seq - $9 AS after_seq),
${HISTORY_AND_NOTIFY_SQL}`;

/** appendOnly(): the entries in $4 after a version-guarded bump, and the NOTIFY. */
const APPEND_SQL = `WITH guarded AS (
    UPDATE saga.saga_instance SET version = version + 1, last_seq = last_seq + $1
     WHERE id = $2 AND version = $3
     RETURNING id, last_seq - $1 AS after_seq),
  history AS (
    INSERT INTO saga.saga_event (saga_id, seq, type, step, attempt, data, event, at)
    SELECT g.id, g.after_seq + r.ord, r.v->>'type', r.v->>'step', (r.v->>'attempt')::int,
           r.v->'data', NULLIF(r.v->'event', 'null'::jsonb), (r.v->>'at')::timestamptz
      FROM guarded g, jsonb_array_elements($4::jsonb) WITH ORDINALITY AS r(v, ord)),
  notified AS (SELECT pg_notify('saga_events', g.id::text) FROM guarded g)
SELECT (SELECT count(*) FROM guarded)::int AS n, (SELECT count(*) FROM notified)::int AS notified`;

/** create() of a saga with nothing else to check: its row ($1..$11, $13..$16) and history. */
const INSERT_SQL = `WITH guarded AS (
    INSERT INTO saga.saga_instance
      (status, state, snapshot, error_step, error_code, requires_manual_intervention,
       updated_at, finished_at, last_seq, id, version, definition, definition_version,
       created_at, deadline_at)
    VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $13, $14, $15, $16)
    RETURNING id, 0 AS after_seq),
${HISTORY_AND_NOTIFY_SQL}`;

/** Every column of saga_instance under the entity's property names (see load()). */
const LOAD_SQL = `SELECT id, definition, definition_version AS "definitionVersion", status, state,
    snapshot, version, last_seq AS "lastSeq", error_step AS "errorStep",
    error_code AS "errorCode", requires_manual_intervention AS "requiresManualIntervention",
    created_at AS "createdAt", updated_at AS "updatedAt", finished_at AS "finishedAt",
    deadline_at AS "deadlineAt"
  FROM saga.saga_instance WHERE id = $1`;

function historyJson(records: HistoryRecord[]): string {
  return JSON.stringify(
    records.map((r) => ({
      type: r.type,
      step: r.step,
      attempt: r.attempt,
      data: r.data,
      event: r.event,
      at: r.at,
    })),
  );
}

@Injectable()
export class SagaStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Inserts a new saga with its first history entries, and the create request's
   * idempotency key when given. When that key already exists, nothing is written and the
   * saga it made is returned instead.
   */
  async create(saga: NewSaga): Promise<CreateOutcome> {
    if (!saga.createRequest && !saga.registered && !saga.faults?.length) {
      await this.insertInOneStatement(saga);
      return { created: true };
    }
    return this.ds.transaction(async (m) => {
      if (saga.createRequest) {
        const existing = await m.findOne(CreateRequestEntity, {
          where: { idempotencyKey: saga.createRequest.key },
        });
        if (existing) {
          return { created: false, existingSagaId: existing.sagaId, bodyHash: existing.bodyHash };
        }
      }
      if (saga.registered) {
        // FOR SHARE: a concurrent DELETE (retire) of this version waits for this saga, then
        // sees it; a retire that committed first makes this create fail.
        const rows: { retired_at: Date | null }[] = await m.query(
          `SELECT retired_at FROM saga.saga_definition WHERE name = $1 AND version = $2 FOR SHARE`,
          [saga.definition, saga.definitionVersion],
        );
        if (!rows[0] || rows[0].retired_at) throw new DefinitionRetiredError();
      }
      const v = saga.result.view;
      await m.insert(SagaInstanceEntity, {
        id: saga.id,
        definition: saga.definition,
        definitionVersion: saga.definitionVersion,
        version: 1,
        lastSeq: saga.result.history.length,
        createdAt: new Date(v.createdAt),
        deadlineAt: new Date(v.deadlineAt),
        ...rowFields(saga.result),
      });
      await this.appendHistory(m, saga.id, 0, saga.result.history);
      if (saga.faults?.length) {
        const now = Date.now();
        await m.insert(
          FaultEntity,
          saga.faults.map((f, i) => ({
            id: randomUUID(),
            participant: f.participant,
            action: f.action,
            mode: f.mode,
            times: f.times,
            remaining: f.times,
            sagaId: saga.id,
            delayMs: f.delayMs ?? null,
            // Distinct times keep the given order: faults are consumed oldest first.
            createdAt: new Date(now + i),
          })),
        );
      }
      if (saga.createRequest) {
        const rows: unknown[] = await m.query(
          `INSERT INTO saga.create_request (idempotency_key, body_hash, saga_id, created_at)
           VALUES ($1, $2, $3, now()) ON CONFLICT (idempotency_key) DO NOTHING RETURNING saga_id`,
          [saga.createRequest.key, saga.createRequest.bodyHash, saga.id],
        );
        if (rows.length === 0) {
          // Lost a race with a concurrent request carrying the same key: undo our insert.
          throw new CreateRequestRaceError();
        }
      }
      await m.query('SELECT pg_notify($1, $2)', [SAGA_EVENTS_CHANNEL, saga.id]);
      return { created: true };
    });
  }

  /** A saga with nothing else to check or write: its row, history and NOTIFY in one statement. */
  private async insertInOneStatement(saga: NewSaga): Promise<void> {
    const v = saga.result.view;
    await this.ds.query(INSERT_SQL, [
      ...snapshotParams(saga.result, saga.id, 1),
      historyJson(saga.result.history),
      saga.definition,
      saga.definitionVersion,
      new Date(v.createdAt),
      new Date(v.deadlineAt),
    ]);
  }

  async hasCallbackReceipt(receiptKey: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `SELECT 1 FROM saga.callback_receipt WHERE receipt_key = $1`,
      [receiptKey],
    );
    return rows.length > 0;
  }

  /** Inside a commit: records a callback as received; false when it was received before. */
  async insertCallbackReceipt(
    m: EntityManager,
    receiptKey: string,
    b: { sagaId: string; step: string; kind: string },
  ): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO saga.callback_receipt (receipt_key, saga_id, step, kind, received_at)
       VALUES ($1, $2, $3, $4, now()) ON CONFLICT (receipt_key) DO NOTHING RETURNING 1`,
      [receiptKey, b.sagaId, b.step, b.kind],
    );
    return rows.length === 1;
  }

  async findCreateRequest(key: string): Promise<CreateRequestEntity | null> {
    return this.ds.getRepository(CreateRequestEntity).findOne({ where: { idempotencyKey: key } });
  }

  /**
   * One row by id, by a plain SELECT (LOAD_SQL): every step reads its saga first, and TypeORM's
   * query builder costs more CPU than the query (pg already gives the column types the entity
   * has: uuid/text strings, int numbers, jsonb objects, timestamptz Dates).
   */
  async load(id: string): Promise<SagaInstanceEntity | null> {
    const rows = (await this.ds.query(LOAD_SQL, [id])) as Partial<SagaInstanceEntity>[];
    return rows[0] ? Object.assign(new SagaInstanceEntity(), rows[0]) : null;
  }

  /**
   * Writes the result of applying one event to the saga read at `saga.version`.
   * Returns false, writing nothing, when another writer got there first.
   */
  async commit(
    saga: SagaInstanceEntity,
    result: SagaStepResult,
    /** More work of the same transaction; returning false rolls it all back (CommitVetoedError). */
    also?: (m: EntityManager) => Promise<boolean>,
  ): Promise<boolean> {
    const params = snapshotParams(result, saga.id, saga.version);
    if (!also) {
      // The hot path: snapshot, history and NOTIFY in ONE statement (one round trip, its own
      // implicit transaction) instead of BEGIN/UPDATE/INSERT/NOTIFY/COMMIT. The history rows
      // and the NOTIFY hang off the UPDATE's RETURNING, so a lost version race writes nothing.
      const [row] = (await this.ds.query(COMMIT_SQL, [...params, historyJson(result.history)])) as {
        n: number;
      }[];
      return row?.n === 1;
    }
    return this.ds.transaction(async (m) => {
      const [, affected] = (await m.query(UPDATE_SNAPSHOT_SQL, params)) as [unknown, number];
      if (affected !== 1) return false;
      if (!(await also(m))) throw new CommitVetoedError();
      await this.appendHistory(m, saga.id, saga.lastSeq, result.history);
      await m.query('SELECT pg_notify($1, $2)', [SAGA_EVENTS_CHANNEL, saga.id]);
      return true;
    });
  }

  /** Appends history entries without changing the snapshot (an ignored event), version-guarded. */
  async appendOnly(saga: SagaInstanceEntity, records: HistoryRecord[]): Promise<boolean> {
    // One statement, like commit(): the version guard, the rows and the NOTIFY together.
    const [row] = (await this.ds.query(APPEND_SQL, [
      records.length,
      saga.id,
      saga.version,
      historyJson(records),
    ])) as { n: number }[];
    return row?.n === 1;
  }

  private async appendHistory(
    m: EntityManager,
    sagaId: string,
    afterSeq: number,
    records: HistoryRecord[],
  ): Promise<void> {
    if (records.length === 0) return;
    await m.insert(
      SagaEventEntity,
      records.map((r, i) => ({
        sagaId,
        seq: afterSeq + i + 1,
        type: r.type,
        step: r.step,
        attempt: r.attempt,
        data: r.data,
        event: r.event,
        at: new Date(r.at),
      })) as never,
    );
  }

  async history(sagaId: string, afterSeq = 0): Promise<SagaEventEntity[]> {
    return this.ds
      .getRepository(SagaEventEntity)
      .createQueryBuilder('e')
      .where('e.sagaId = :sagaId AND e.seq > :afterSeq', { sagaId, afterSeq })
      .orderBy('e.seq', 'ASC')
      .getMany();
  }

  /** Newest first; `after` is the last item of the previous page (stable under inserts). */
  async list(filter: {
    status?: string;
    definition?: string;
    limit: number;
    after?: { createdAt: Date; id: string };
  }): Promise<SagaPage> {
    const qb = this.ds.getRepository(SagaInstanceEntity).createQueryBuilder('s');
    if (filter.status) qb.andWhere('s.status = :status', { status: filter.status });
    if (filter.definition)
      qb.andWhere('s.definition = :definition', { definition: filter.definition });
    if (filter.after) {
      qb.andWhere('(s.createdAt, s.id) < (:ac, :ai)', {
        ac: filter.after.createdAt,
        ai: filter.after.id,
      });
    }
    const rows = await qb
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(filter.limit + 1)
      .getMany();
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return {
      items,
      next: rows.length > filter.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
    };
  }

  /**
   * How many sagas are in each status (optionally of one definition), by one `GROUP BY`.
   * Every status is present, 0 when no saga has it.
   */
  async countByStatus<S extends string>(
    statuses: readonly S[],
    definition?: string,
  ): Promise<Record<S, number>> {
    const rows: { status: string; n: number }[] = await this.ds.query(
      `SELECT status, count(*)::int AS n FROM saga.saga_instance
        WHERE ($1::text IS NULL OR definition = $1) GROUP BY status`,
      [definition ?? null],
    );
    const counts = Object.fromEntries(statuses.map((st) => [st, 0])) as Record<S, number>;
    for (const r of rows) if (r.status in counts) counts[r.status as S] = r.n;
    return counts;
  }

  /** Sagas not final and untouched since `before`: candidates for the recovery sweep. */
  async findStale(before: Date, limit: number): Promise<SagaInstanceEntity[]> {
    return this.ds
      .getRepository(SagaInstanceEntity)
      .createQueryBuilder('s')
      .where(`s.status IN ('STARTED', 'EXECUTING', 'COMPENSATING')`)
      .andWhere('s.updatedAt < :before', { before })
      .orderBy('s.updatedAt', 'ASC')
      .limit(limit)
      .getMany();
  }
}

/** The registered definition version was retired while the saga was being created. */
export class DefinitionRetiredError extends Error {
  override readonly name = 'DefinitionRetiredError';
  constructor() {
    super('the definition version was retired while the saga was being created');
  }
}

/** The `also` step of a commit said no: nothing was written. */
export class CommitVetoedError extends Error {
  override readonly name = 'CommitVetoedError';
  constructor() {
    super('the commit was vetoed by its own transaction step');
  }
}

/** A concurrent create with the same Idempotency-Key committed first; the caller retries. */
export class CreateRequestRaceError extends Error {
  override readonly name = 'CreateRequestRaceError';
  constructor() {
    super('a concurrent request with the same Idempotency-Key won');
  }
}
