// `npm run soak -- --sagas 2000 --seconds 600 --backend postgres|redis [--seed N] ...`
// Chaos soak of the built service; prints a table, writes artifacts/soak/<backend>-summary.json,
// exits 1 when an invariant fails. See scripts/soak/run-soak.ts for what it does.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary } from './report';
import { DEFAULT_SOAK_OPTIONS, runSoak, type SoakOptions } from './run-soak';

const USAGE = `usage: tsx scripts/soak/soak.ts [--sagas N] [--seconds S] [--backend postgres|redis|both]
  [--workers N] [--concurrency N] [--seed N] [--kill-every-ms MS] [--min-kills N]
  [--no-db-restart] [--no-redis-restart] [--timeout-rate F] [--cancel-rate F] [--flow-rate F] [--out DIR] [--no-build]`;

function parse(argv: string[]): {
  backends: SoakOptions['backend'][];
  opts: Omit<SoakOptions, 'log' | 'backend'>;
} {
  const { values } = parseArgs({
    args: argv,
    options: {
      sagas: { type: 'string' },
      seconds: { type: 'string' },
      backend: { type: 'string' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'kill-every-ms': { type: 'string' },
      'min-kills': { type: 'string' },
      'no-db-restart': { type: 'boolean' },
      'no-redis-restart': { type: 'boolean' },
      'timeout-rate': { type: 'string' },
      'cancel-rate': { type: 'string' },
      'flow-rate': { type: 'string' },
      'down-ms': { type: 'string' },
      'drain-seconds': { type: 'string' },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (v: string | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`--${name} must be a non-negative number, got ${v}\n${USAGE}`);
    return n;
  };
  const d = DEFAULT_SOAK_OPTIONS;
  const backend = values.backend ?? 'postgres';
  if (!['postgres', 'redis', 'both'].includes(backend))
    throw new Error(`--backend must be postgres, redis or both\n${USAGE}`);
  return {
    backends: backend === 'both' ? ['postgres', 'redis'] : [backend as SoakOptions['backend']],
    opts: {
      ...d,
      sagas: num(values.sagas, d.sagas, 'sagas'),
      seconds: num(values.seconds, d.seconds, 'seconds'),
      workers: Math.max(1, num(values.workers, d.workers, 'workers')),
      concurrency: Math.max(1, num(values.concurrency, d.concurrency, 'concurrency')),
      seed: num(values.seed, d.seed, 'seed'),
      killEveryMs: num(values['kill-every-ms'], d.killEveryMs, 'kill-every-ms'),
      minKills: num(values['min-kills'], d.minKills, 'min-kills'),
      restartDatabase: !values['no-db-restart'],
      restartRedis: !values['no-redis-restart'],
      timeoutRate: num(values['timeout-rate'], d.timeoutRate, 'timeout-rate'),
      cancelRate: num(values['cancel-rate'], d.cancelRate, 'cancel-rate'),
      flowRate: Math.min(1, num(values['flow-rate'], d.flowRate, 'flow-rate')),
      downMs: num(values['down-ms'], d.downMs, 'down-ms'),
      drainSeconds: num(values['drain-seconds'], d.drainSeconds, 'drain-seconds'),
      outDir: values.out ? path.resolve(values.out) : d.outDir,
      build: !values['no-build'],
    },
  };
}

async function main(): Promise<void> {
  const { backends, opts } = parse(process.argv.slice(2));
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  let ok = true;
  for (const backend of backends) {
    const summary = await runSoak({
      ...opts,
      backend,
      log,
      build: opts.build && backend === backends[0],
    });
    console.log(`\n${formatSummary(summary)}\n`);
    ok &&= summary.ok;
  }
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(`soak failed to run: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(2);
});
