// A short run of the chaos soak (scripts/soak) on each BullMQ backend: the built service as
// separate api + worker processes on the soak's own PostgreSQL (and redis-server), workers
// SIGKILLed, PostgreSQL (and Redis) restarted mid-run, and every invariant checked after.
// 22 of the 150 sagas (15%) run the soak's flow definition (parallel steps, forEach items)
// against its own HTTP participant, whose journal the flow invariants are checked on.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { testRedisUrl } from '../support/test-database';

const ROOT = path.resolve(__dirname, '../..');
const SAGAS = 150;
// The flow sagas' share: enough of each outcome to check, small enough that the run takes
// about as long as the order-only one did.
const FLOW_RATE = 0.15;

interface Summary {
  ok: boolean;
  seed: number;
  sagas: { created: number; final: number; byStatus: Record<string, number> };
  chaos: { kills: number; databaseRestarts: number; redisRestarts: number; errors: string[] };
  invariants: { name: string; ok: boolean; detail: string }[];
  audit: { flow: { sagas: number; executed: number; compensated: number } | null } | null;
}

function runSoak(
  backend: string,
  outDir: string,
): Promise<{ code: number | null; output: string }> {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const args = [
    path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
    'scripts/soak/soak.ts',
    ...['--backend', backend, '--sagas', String(SAGAS), '--seconds', '75', '--drain-seconds', '60'],
    ...[
      '--workers',
      '2',
      '--concurrency',
      '40',
      '--min-kills',
      '2',
      '--kill-every-ms',
      '3000',
      '--down-ms',
      '1000',
    ],
    ...['--flow-rate', String(FLOW_RATE), '--seed', String(seed), '--out', outDir, '--no-build'],
  ];
  return new Promise((resolve) => {
    // dist/ was built by jest's global setup; the soak runs a private copy of it.
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const backends = testRedisUrl() ? ['postgres', 'redis'] : ['postgres'];

describe.each(backends)('chaos soak, short run (BullMQ on %s)', (backend) => {
  const outDir = path.join(ROOT, 'artifacts/soak/test');
  let run: { code: number | null; output: string };
  let summary: Summary;

  beforeAll(async () => {
    const file = path.join(outDir, `${backend}-summary.json`);
    fs.rmSync(file, { force: true });
    run = await runSoak(backend, outDir);
    console.log(run.output);
    summary = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : ({} as Summary);
  }, 170_000);

  it(`${SAGAS} sagas under worker kills and a PostgreSQL restart: exits 0, every saga final`, () => {
    expect(run.code).toBe(0);
    expect(summary.sagas.created).toBe(SAGAS);
    expect(summary.sagas.final).toBe(SAGAS);
    expect(Object.keys(summary.sagas.byStatus).sort()).toEqual(
      expect.arrayContaining(['COMPENSATED', 'COMPLETED']),
    );
  });

  it('the chaos happened: at least 2 worker SIGKILLs, PostgreSQL restarted once (and Redis on the Redis leg)', () => {
    expect(summary.chaos.errors).toEqual([]);
    expect(summary.chaos.kills).toBeGreaterThanOrEqual(2);
    expect(summary.chaos.databaseRestarts).toBe(1);
    expect(summary.chaos.redisRestarts).toBe(backend === 'redis' ? 1 : 0);
  });

  it('flow sagas ran alongside the orders, and some of them compensated', () => {
    expect(summary.audit?.flow?.sagas).toBeGreaterThan(0);
    expect(summary.audit?.flow?.executed).toBeGreaterThan(0);
    expect(summary.audit?.flow?.compensated).toBeGreaterThan(0);
  });

  it('every invariant holds (no effect twice, stock and money conserved, history contiguous, replay = snapshot, flow order and idempotency)', () => {
    const names = summary.invariants.map((i) => i.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'service processes stayed up',
        'no Node warnings from the service',
        'every saga final',
        'no participant effect applied twice',
        'participant effects = step statuses',
        'stock conserved',
        'money conserved',
        'history seq 1..n, no gap or repeat',
        'replay = stored snapshot',
        'flow: outcome as planned',
        'flow: each succeeded step/item applied exactly once',
        'flow: compensated at most once (once when COMPENSATED)',
        'flow: dependency order (forward and undo)',
        'flow: items undone in reverse index order, only succeeded ones',
        'flow: nothing that failed is compensated',
        'flow: step views and history = participant journal',
      ]),
    );
    expect(summary.invariants.filter((i) => !i.ok)).toEqual([]);
  });
});
