import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FaultEntity } from '../database/fault.entity';

export type FaultMode = 'fail' | 'transient' | 'timeout' | 'delay';

export interface ConsumedFault {
  mode: FaultMode;
  delayMs: number | null;
}

export interface FaultView {
  id: string;
  participant: string;
  action: string;
  mode: FaultMode;
  times: number;
  remaining: number;
  sagaId: string | null;
  delayMs: number | null;
  createdAt: string;
}

function toView(f: FaultEntity): FaultView {
  return {
    id: f.id,
    participant: f.participant,
    action: f.action,
    mode: f.mode,
    times: f.times,
    remaining: f.remaining,
    sagaId: f.sagaId,
    delayMs: f.delayMs,
    createdAt: f.createdAt.toISOString(),
  };
}

/**
 * Injected faults live in the database, not in memory, so that every process of a cluster
 * (the API that takes the request, the workers that run the steps) sees the same ones.
 */
@Injectable()
export class FaultStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async create(f: {
    participant: string;
    action: string;
    mode: FaultMode;
    times: number;
    sagaId?: string;
    delayMs?: number;
  }): Promise<FaultView> {
    const entity: FaultEntity = {
      id: randomUUID(),
      participant: f.participant,
      action: f.action,
      mode: f.mode,
      times: f.times,
      remaining: f.times,
      sagaId: f.sagaId ?? null,
      delayMs: f.delayMs ?? null,
      createdAt: new Date(),
    };
    await this.ds.getRepository(FaultEntity).insert(entity);
    return toView(entity);
  }

  async list(): Promise<FaultView[]> {
    const rows = await this.ds.getRepository(FaultEntity).find({ order: { createdAt: 'ASC' } });
    return rows.map(toView);
  }

  async clear(): Promise<number> {
    const r = await this.ds.query('DELETE FROM saga.fault');
    return (r as [unknown, number])[1] ?? 0;
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.ds.getRepository(FaultEntity).delete({ id });
    return (r.affected ?? 0) > 0;
  }

  /** Takes one use of the oldest active fault for participant.action (and this saga), if any. */
  async consume(
    participant: string,
    action: string,
    sagaId: string,
  ): Promise<ConsumedFault | null> {
    // SKIP LOCKED: two workers never take the same last use of a fault.
    // TypeORM answers an UPDATE with [rows, affectedCount].
    const [rows] = (await this.ds.query(
      `UPDATE saga.fault SET remaining = remaining - 1
        WHERE id = (SELECT id FROM saga.fault
                     WHERE participant = $1 AND action = $2 AND remaining > 0
                       AND (saga_id IS NULL OR saga_id = $3)
                     ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING mode, delay_ms`,
      [participant, action, sagaId],
    )) as [{ mode: FaultMode; delay_ms: number | null }[], number];
    return rows[0] ? { mode: rows[0].mode, delayMs: rows[0].delay_ms } : null;
  }
}
