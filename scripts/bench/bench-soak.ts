// BENCH_SOAK_MINUTES=N: is memory flat? The service (Redis backend, one process) runs the happy
// path closed-loop at 16 clients for N minutes while the RSS of every process is sampled every
// 5 s; prints RSS at start (after the warm-up), middle and end, and the slope over the second
// half. The database grows all along (every saga stays), so PostgreSQL's memory may rise with
// its caches; the service's should not.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { BenchPostgres, BenchRedis, Cleanup } from './bench-infra';
import { FinalWatcher, runPhase } from './bench-load';
import { startService } from './bench-service';
import { orderInput, seedBenchSkus } from './order-input';
import { sample, type TrackedProcess } from './proc-stats';

export interface SoakContext {
  minutes: number;
  infra: {
    main: string | null;
    pg: BenchPostgres | null;
    redis: BenchRedis | null;
    cleanup: Cleanup;
  };
  workerConcurrency: number;
  log: (line: string) => void;
}

const SAMPLE_EVERY_MS = 5000;
const CHUNK_MS = 30_000;

/** Least-squares slope of (t minutes, y MiB): MiB per minute. */
function slope(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

export async function runSoak(ctx: SoakContext) {
  const { infra, log } = ctx;
  if (!infra.pg || !infra.redis || !infra.main)
    throw new Error('the soak needs its own PostgreSQL, Redis and the built service');
  const databaseUrl = await infra.pg.createDatabase('bench_soak');
  const apiKey = `bench-${randomBytes(16).toString('hex')}`;
  const service = await startService(
    infra.main,
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: infra.redis.url,
      SAGA_API_KEYS: apiKey,
      NODE_ENV: 'production',
      SAGA_ROLE: 'all',
      SAGA_WORKER_CONCURRENCY: String(ctx.workerConcurrency),
      SAGA_RATE_LIMIT_PER_MINUTE: '10000000',
      DATA_DIR: path.join(os.tmpdir(), `sagachart-bench-soak-${process.pid}`),
    },
    infra.cleanup,
  );
  const processes: TrackedProcess[] = [
    { name: 'sagachart', pid: service.pid },
    { name: 'postgres', pid: infra.pg.postmasterPid(), tree: true },
    ...(infra.redis.pid ? [{ name: 'redis', pid: infra.redis.pid }] : []),
    { name: 'driver', pid: process.pid },
  ];
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const watcher = new FinalWatcher(db, 'saga.saga_instance');
  const series: { atS: number; memoryMiB: Record<string, number> }[] = [];
  const chunks: { atS: number; sagas: number; sagasPerSecond: number; errors: number }[] = [];
  const phase = (maxMs: number, total: number) =>
    runPhase({
      baseUrl: service.baseUrl!,
      apiKey,
      db,
      watcher,
      table: 'saga.saga_instance',
      concurrency: 16,
      total,
      maxMs,
      input: orderInput('400001'),
      expect: 'COMPLETED',
      timeoutMs: 120_000,
    });
  try {
    await seedBenchSkus(db);
    await phase(20_000, 200);
    const t0 = Date.now();
    const take = () => {
      const memoryMiB: Record<string, number> = {};
      for (const p of processes) {
        const s = sample(p);
        if (s) memoryMiB[p.name] = Number((s.memoryBytes / 2 ** 20).toFixed(1));
      }
      series.push({ atS: Math.round((Date.now() - t0) / 1000), memoryMiB });
    };
    take();
    const timer = setInterval(take, SAMPLE_EVERY_MS);
    const end = t0 + ctx.minutes * 60_000;
    while (Date.now() < end) {
      const r = await phase(Math.min(CHUNK_MS, end - Date.now()), 10_000_000);
      chunks.push({
        atS: Math.round((Date.now() - t0) / 1000),
        sagas: r.ok,
        sagasPerSecond: Number(r.sagasPerSecond.toFixed(1)),
        errors: r.errors.length,
      });
      log(`soak ${chunks.at(-1)!.atS} s: ${r.ok} sagas, ${r.sagasPerSecond.toFixed(1)} sagas/s`);
    }
    clearInterval(timer);
    take();
  } finally {
    watcher.stop();
    await db.end().catch(() => undefined);
    await service.stop();
  }
  const names = processes.map((p) => p.name);
  const at = (i: number) => series[Math.min(series.length - 1, Math.max(0, i))];
  const mid = Math.floor(series.length / 2);
  const rows = names.map((name) => {
    const secondHalf = series
      .slice(mid)
      .filter((s) => name in s.memoryMiB)
      .map((s) => ({ t: s.atS / 60, y: s.memoryMiB[name] }));
    const first = at(0).memoryMiB[name];
    const last = at(series.length - 1).memoryMiB[name];
    return {
      name,
      startMiB: first,
      middleMiB: at(mid).memoryMiB[name],
      endMiB: last,
      growthMiB: Number((last - first).toFixed(1)),
      secondHalfSlopeMiBPerMin: Number(slope(secondHalf).toFixed(2)),
    };
  });
  const totalSagas = chunks.reduce((n, c) => n + c.sagas, 0);
  const lines = [
    `## Soak: ${ctx.minutes} min, happy path, c=16, Redis backend, one service process (${totalSagas} sagas, ${chunks.reduce((n, c) => n + c.errors, 0)} errors)`,
    '',
    'Memory per process (MiB; RSS, postgres = summed Pss of its processes), after the warm-up:',
    '',
    '| process | start | middle | end | end − start | slope, 2nd half (MiB/min) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.startMiB} | ${r.middleMiB} | ${r.endMiB} | ${r.growthMiB} | ${r.secondHalfSlopeMiBPerMin} |`,
    ),
    '',
    `Throughput per ${CHUNK_MS / 1000} s chunk (sagas/s): ${chunks.map((c) => c.sagasPerSecond).join(', ')}`,
  ];
  return { markdown: lines.join('\n'), data: { minutes: ctx.minutes, rows, chunks, series } };
}
