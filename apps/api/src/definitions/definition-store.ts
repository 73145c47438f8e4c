// Registered definitions in PostgreSQL (saga.saga_definition): every process of a cluster
// reads them from here, so a definition registered through one API process runs anywhere.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SagaDefinition } from '@app/saga-machines';
import { DataSource } from 'typeorm';

export interface StoredDefinition {
  definition: SagaDefinition;
  /** SHA-256 of the definition without its version: "the same content". */
  contentHash: string;
  registeredAt: Date;
  retiredAt: Date | null;
}

interface Row {
  document: SagaDefinition;
  content_hash: string;
  registered_at: Date;
  retired_at: Date | null;
}

function fromRow(r: Row): StoredDefinition {
  return {
    definition: r.document,
    contentHash: r.content_hash,
    registeredAt: r.registered_at,
    retiredAt: r.retired_at,
  };
}

@Injectable()
export class DefinitionStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async find(name: string, version: number): Promise<StoredDefinition | null> {
    const rows: Row[] = await this.ds.query(
      `SELECT document, content_hash, registered_at, retired_at FROM saga.saga_definition WHERE name = $1 AND version = $2`,
      [name, version],
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** The highest version, preferring versions that are not retired. */
  async latest(name: string, opts: { activeOnly: boolean }): Promise<StoredDefinition | null> {
    const rows: Row[] = await this.ds.query(
      `SELECT document, content_hash, registered_at, retired_at FROM saga.saga_definition
        WHERE name = $1 AND ($2::boolean = false OR retired_at IS NULL)
        ORDER BY (retired_at IS NULL) DESC, version DESC LIMIT 1`,
      [name, opts.activeOnly],
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** The highest version number ever registered under `name` (0: none). */
  async maxVersion(name: string): Promise<number> {
    const rows: { v: number | null }[] = await this.ds.query(
      `SELECT max(version) AS v FROM saga.saga_definition WHERE name = $1`,
      [name],
    );
    return rows[0]?.v ?? 0;
  }

  async list(): Promise<StoredDefinition[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT document, content_hash, registered_at, retired_at FROM saga.saga_definition ORDER BY name, version`,
    );
    return rows.map(fromRow);
  }

  /** Inserts a new version; false when that name and version exist already (a race or a repeat). */
  async insert(definition: SagaDefinition, contentHash: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `INSERT INTO saga.saga_definition (name, version, document, content_hash, registered_at)
       VALUES ($1, $2, $3::jsonb, $4, now()) ON CONFLICT (name, version) DO NOTHING RETURNING 1`,
      [definition.name, definition.version, JSON.stringify(definition), contentHash],
    );
    return rows.length === 1;
  }

  /**
   * Retires a version unless sagas on it are not final. One statement, so that a saga created
   * between the count and the update cannot slip through: creation re-checks `retired_at`.
   */
  async retire(
    name: string,
    version: number,
  ): Promise<{ retired: true; at: Date } | { retired: false; running: number }> {
    return this.ds.transaction(async (m) => {
      // Row lock: a concurrent create of a saga on this version waits for us (see lockActive).
      const locked: { retired_at: Date | null }[] = await m.query(
        `SELECT retired_at FROM saga.saga_definition WHERE name = $1 AND version = $2 FOR UPDATE`,
        [name, version],
      );
      if (locked[0]?.retired_at) return { retired: true as const, at: locked[0].retired_at };
      const running = await this.countNotFinalIn(m, name, version);
      if (running > 0) return { retired: false as const, running };
      // TypeORM answers an UPDATE … RETURNING with [rows, affected].
      const [rows] = (await m.query(
        `UPDATE saga.saga_definition SET retired_at = now() WHERE name = $1 AND version = $2
         RETURNING retired_at`,
        [name, version],
      )) as [{ retired_at: Date }[], number];
      return { retired: true as const, at: rows[0].retired_at };
    });
  }

  // "Not final" is read by status, so these rare counts use the status index the table has:
  // an index of their own would cost every saga transition one more index write.

  /** Sagas not final per version of `name`, for versions below `belowVersion`. */
  async inFlightBelow(name: string, belowVersion: number): Promise<Record<string, number>> {
    const rows: { v: number; n: number }[] = await this.ds.query(
      `SELECT definition_version AS v, count(*)::int AS n FROM saga.saga_instance
        WHERE definition = $1 AND definition_version < $2 AND status IN ('STARTED', 'EXECUTING', 'COMPENSATING')
        GROUP BY definition_version ORDER BY definition_version`,
      [name, belowVersion],
    );
    return Object.fromEntries(rows.map((r) => [String(r.v), r.n]));
  }

  private async countNotFinalIn(
    m: { query: DataSource['query'] },
    name: string,
    version: number,
  ): Promise<number> {
    const rows: { n: number }[] = await m.query(
      `SELECT count(*)::int AS n FROM saga.saga_instance
        WHERE definition = $1 AND definition_version = $2 AND status IN ('STARTED', 'EXECUTING', 'COMPENSATING')`,
      [name, version],
    );
    return rows[0]?.n ?? 0;
  }
}
