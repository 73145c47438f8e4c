// The 2PC coordinator of `npm run bench:2pc` (scripts/bench-2pc/coordinator.ts) against the
// real embedded PostgreSQL of the test run (global setup starts it with
// max_prepared_transactions): all services commit or none does, and a coordinator killed
// between the phases leaves prepared transactions that hold their row locks until recovery.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, Pool } from 'pg';
import {
  COORDINATOR_LOG_SQL,
  GID_PREFIX,
  TwoPhaseCoordinator,
  recover,
  rollbackAllPrepared,
} from '../../scripts/bench-2pc/coordinator';
import {
  OTHER_WRITER_SQL,
  RESOURCE_ROWS,
  prepareServiceDatabase,
} from '../../scripts/bench-2pc/service-databases';
import { coordinatorKill } from '../../scripts/bench-2pc/coordinator-kill';
import { createTestDatabase } from '../support/test-database';

const ROOT = path.resolve(__dirname, '../..');

describe('two-phase commit coordinator (bench:2pc) on real PostgreSQL', () => {
  let urls: string[];
  /** Three service databases; most tests use the first two. */
  let all: Pool[];
  let services: Pool[];
  let log: Pool;
  let logUrl: string;

  beforeAll(async () => {
    urls = [
      await createTestDatabase('tpc_a'),
      await createTestDatabase('tpc_b'),
      await createTestDatabase('tpc_c'),
    ];
    for (const url of urls) await prepareServiceDatabase(url);
    all = urls.map((url) => new Pool({ connectionString: url, max: 6 }));
    services = all.slice(0, 2);
    logUrl = await createTestDatabase('tpc_log');
    log = new Pool({ connectionString: logUrl, max: 2 });
    await log.query(COORDINATOR_LOG_SQL);
  });

  afterAll(async () => {
    // Never leave a prepared transaction behind: it would hold its locks past the test run.
    if (all) await rollbackAllPrepared(all);
    await Promise.all([...(all ?? []), log].filter(Boolean).map((p) => p.end()));
  });

  const amount = async (i: number, id: number) =>
    Number(
      (await services[i].query('SELECT amount FROM svc.resource WHERE id = $1', [id])).rows[0]
        .amount,
    );
  const records = async (i: number, gid: string) =>
    (await services[i].query('SELECT key FROM svc.record WHERE key LIKE $1', [`${gid}:%`]))
      .rowCount;
  const prepared = async (i: number) =>
    (
      await services[i].query<{ gid: string }>(
        'SELECT gid FROM pg_prepared_xacts WHERE database = current_database()',
      )
    ).rows.map((r) => r.gid);

  it('commits the work on both databases, leaving nothing prepared or logged', async () => {
    const before = [await amount(0, 1), await amount(1, 1)];
    const gid = `${GID_PREFIX}commit_1`;
    const f = await new TwoPhaseCoordinator(services, log).run(gid, [
      { resourceId: 1, amount: 3 },
      { resourceId: 1, amount: 5 },
    ]);
    expect([await amount(0, 1), await amount(1, 1)]).toEqual([before[0] - 3, before[1] - 5]);
    expect([await records(0, gid), await records(1, gid)]).toEqual([1, 1]);
    expect([await prepared(0), await prepared(1)]).toEqual([[], []]);
    expect((await log.query('SELECT gid FROM coordinator.decision')).rowCount).toBe(0);
    // BEGIN, the work, PREPARE, COMMIT PREPARED on each, plus the decision and its cleanup.
    expect(f.roundTrips).toBe(4 * 2 + 2);
    expect(f.lockMs).toHaveLength(2);
  });

  it('rolls back every database when one votes no at PREPARE', async () => {
    const before = [await amount(0, 2), await amount(1, 2)];
    const gid = `${GID_PREFIX}abort_1`;
    // Service 2's record names a resource that does not exist: its deferred foreign key fails
    // at PREPARE TRANSACTION, after service 1 may already have prepared.
    await expect(
      new TwoPhaseCoordinator(services, log).run(gid, [
        { resourceId: 2, amount: 1 },
        { resourceId: RESOURCE_ROWS + 1000, amount: 1 },
      ]),
    ).rejects.toThrow();
    expect([await amount(0, 2), await amount(1, 2)]).toEqual(before);
    expect([await records(0, gid), await records(1, gid)]).toEqual([0, 0]);
    expect([await prepared(0), await prepared(1)]).toEqual([[], []]);
    expect((await log.query('SELECT gid FROM coordinator.decision')).rowCount).toBe(0);
  });

  it('a coordinator killed between the phases blocks a writer on its row until recovery', async () => {
    const row = 3;
    const before = [await amount(0, row), await amount(1, row)];
    const gid = `${GID_PREFIX}killed_1`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'scripts/bench-2pc/coordinator-process.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TWOPC_SERVICE_URLS: urls.slice(0, 2).join(','),
          TWOPC_LOG_URL: logUrl,
          TWOPC_GID: gid,
          TWOPC_RESOURCE_ID: String(row),
          TWOPC_PAUSE_AFTER_DECISION: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(`DECIDED ${gid}`)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`coordinator exited ${code}: ${out}`)));
    });
    // Killed between the phases: the decision is logged, no COMMIT PREPARED was sent.
    expect(
      (await log.query('SELECT gid FROM coordinator.decision WHERE gid = $1', [gid])).rowCount,
    ).toBe(1);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    // Both parts outlive their coordinator, prepared, with their locks.
    expect([await prepared(0), await prepared(1)]).toEqual([[`${gid}_p1`], [`${gid}_p2`]]);

    // A writer that gives up after a lock timeout gets PostgreSQL's lock_not_available.
    const impatient = new Client({ connectionString: urls[0] });
    await impatient.connect();
    try {
      await impatient.query("SET lock_timeout = '200ms'");
      await expect(impatient.query(OTHER_WRITER_SQL, [row])).rejects.toMatchObject({
        code: '55P03',
      });
      // Another row of the same table is not locked.
      await expect(impatient.query(OTHER_WRITER_SQL, [row + 1])).resolves.toMatchObject({
        rowCount: 1,
      });
    } finally {
      await impatient.end();
    }

    // A patient writer waits: it is still waiting on the prepared transaction's lock...
    const writer = new Client({ connectionString: urls[0] });
    await writer.connect();
    try {
      let done = false;
      const write = writer.query(OTHER_WRITER_SQL, [row]).then((r) => ((done = true), r));
      const waiting = async () =>
        (
          await services[0].query(
            `SELECT 1 FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
            ['UPDATE svc.resource%'],
          )
        ).rowCount;
      for (let i = 0; i < 100 && (await waiting()) === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await waiting()).toBe(1);
      expect(done).toBe(false);

      // ...until recovery reads the logged decision and commits both parts.
      const r = await recover(services, log, `${GID_PREFIX}killed_`);
      expect(r).toEqual({ committed: [`${gid}_p1`, `${gid}_p2`], rolledBack: [] });
      await expect(write).resolves.toMatchObject({ rowCount: 1 });
    } finally {
      await writer.end();
    }
    expect([await prepared(0), await prepared(1)]).toEqual([[], []]);
    // The killed transaction committed (1 each), then the writer took 1 more on service 1.
    expect([await amount(0, row), await amount(1, row)]).toEqual([before[0] - 2, before[1] - 1]);
    expect((await log.query('SELECT gid FROM coordinator.decision')).rowCount).toBe(0);
  });

  it('recovery rolls back a prepared transaction with no logged decision (presumed abort)', async () => {
    const gid = `${GID_PREFIX}undecided_1_p2`;
    const before = await amount(1, 4);
    const c = await services[1].connect();
    try {
      await c.query('BEGIN');
      await c.query('INSERT INTO svc.record (key, resource_id, amount) VALUES ($1, 4, 1)', [
        `${gid}:1`,
      ]);
      await c.query('UPDATE svc.resource SET amount = amount - 1 WHERE id = 4');
      await c.query(`PREPARE TRANSACTION '${gid}'`);
    } finally {
      c.release();
    }
    expect(await recover(services, log)).toEqual({ committed: [], rolledBack: [gid] });
    expect(await amount(1, 4)).toBe(before);
    expect(await records(1, gid)).toBe(0);
  });

  it('sends 4 statements per service plus 2 to the log, for 1, 2 and 3 services', async () => {
    const counts: number[] = [];
    for (const n of [1, 2, 3]) {
      const f = await new TwoPhaseCoordinator(all.slice(0, n), log).run(
        `${GID_PREFIX}count_${n}`,
        all.slice(0, n).map(() => ({ resourceId: 5, amount: 1 })),
      );
      counts.push(f.roundTrips);
      expect(f.lockMs).toHaveLength(n);
    }
    // 2 × services protocol messages (PREPARE, COMMIT PREPARED) + BEGIN and the work each.
    expect(counts).toEqual([6, 10, 14]);
  });

  it("recovery with the dead coordinator's prefix leaves a live coordinator's prepared part alone", async () => {
    const prepare = async (gid: string, row: number) => {
      const c = await all[2].connect();
      try {
        await c.query('BEGIN');
        await c.query('UPDATE svc.resource SET amount = amount - 1 WHERE id = $1', [row]);
        await c.query(`PREPARE TRANSACTION '${gid}'`);
      } finally {
        c.release();
      }
    };
    // The live one is between its PREPARE and its decision: not recovery's to roll back.
    await prepare(`${GID_PREFIX}dead_7_p1`, 6);
    await prepare(`${GID_PREFIX}live_7_p1`, 7);
    await log.query('INSERT INTO coordinator.decision (gid, services) VALUES ($1, $2)', [
      `${GID_PREFIX}dead_7`,
      [0],
    ]);
    expect(await recover([all[2]], log, `${GID_PREFIX}dead_`)).toEqual({
      committed: [`${GID_PREFIX}dead_7_p1`],
      rolledBack: [],
    });
    const left = await all[2].query<{ gid: string }>(
      'SELECT gid FROM pg_prepared_xacts WHERE database = current_database()',
    );
    expect(left.rows.map((r) => r.gid)).toEqual([`${GID_PREFIX}live_7_p1`]);
    expect(await rollbackAllPrepared([all[2]])).toBe(1);
    // A prefix outside the coordinator's gids is refused, not run.
    await expect(recover([all[2]], log, 'other_')).rejects.toThrow(/not a coordinator prefix/);
  });

  it("the bench's coordinator-kill scenario: prepared parts left, a writer times out, recovery frees it", async () => {
    const tasks: (() => Promise<void> | void)[] = [];
    const cleanup = { add: (_name: string, run: () => Promise<void> | void) => tasks.unshift(run) };
    try {
      const r = await coordinatorKill({
        serviceUrls: urls.slice(0, 2),
        logUrl,
        recoverAfterMs: 500,
        cleanup,
      });
      expect(r.preparedAfterKill).toEqual([1, 1]);
      // The prepared transactions' locks belong to no session.
      expect(r.orphanLocks).toBeGreaterThan(0);
      expect(r.timeoutWriter.error).toMatch(/^55P03 /);
      expect(r.recovery).toEqual({ committed: 2, rolledBack: 0 });
      expect(r.preparedAfterRecovery).toBe(0);
      expect(r.background.errors).toBe(0);
      expect((await log.query('SELECT gid FROM coordinator.decision')).rowCount).toBe(0);
    } finally {
      for (const run of tasks) await run();
    }
  });
});
