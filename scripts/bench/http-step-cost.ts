// `npm run bench:http`: what a step costs when its participant is an HTTP service instead of
// an in-process one. Starts its own PostgreSQL (fsync on) and the BUILT service as a process,
// a no-op HTTP participant on loopback, and runs, closed-loop over the REST API, the built-in
// `order` saga (5 in-process steps, each a participant transaction in the same database) and
// `http5` (5 steps, each a signed POST to the participant over a keep-alive pool). Prints, per
// concurrency, sagas/s and saga latency p50, and from /metrics the mean time of one step
// attempt (participant call alone) per kind of participant. Medians of BENCH_RUNS runs (3).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { Cleanup, startPostgres } from './bench-infra';
import { FinalWatcher, runPhase } from './bench-load';
import { median, percentile } from './bench-stats';
import { buildServiceSnapshot, startService } from './bench-service';
import { http5Definition } from './http5-definition';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const log = (line: string) => process.stderr.write(`[bench:http] ${line}\n`);

const orderInput = {
  customerId: 'c-bench',
  items: [{ sku: 'IPHONE-15', quantity: 1 }],
  payment: { token: 'tok_ok' },
  shippingAddress: { line1: '1 Marine Drive', city: 'Mumbai', postalCode: '400001' },
};

/** A participant that answers every POST at once with a small JSON body. */
async function startNoopParticipant(cleanup: Cleanup): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.add('participant', () => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Mean seconds per attempt of one definition's steps, from the service's histogram. */
async function meanAttemptMs(baseUrl: string, definition: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(`definition="${definition}"`) || !line.includes('kind="execute"')) continue;
    if (line.startsWith('sagachart_step_duration_seconds_sum'))
      sum += Number(line.split(' ').pop());
    if (line.startsWith('sagachart_step_duration_seconds_count'))
      count += Number(line.split(' ').pop());
  }
  return count ? (sum / count) * 1000 : NaN;
}

interface Figures {
  sagasPerSecond: number;
  p50Ms: number;
  attemptMs: number;
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const mainJs = buildServiceSnapshot(cleanup, log);
    const pg = await startPostgres(cleanup);
    const participant = await startNoopParticipant(cleanup);
    const results: Record<string, Figures[]> = {};
    for (let run = 0; run < RUNS; run++) {
      const databaseUrl = await pg.createDatabase(`bench_http_${run}`);
      const apiKey = `bench-${randomBytes(16).toString('hex')}`;
      const service = await startService(
        mainJs,
        {
          DATABASE_URL: databaseUrl,
          SAGA_API_KEYS: apiKey,
          NODE_ENV: 'production',
          SAGA_SIGNING_SECRET: randomBytes(24).toString('hex'),
          DATA_DIR: path.join(os.tmpdir(), `sagachart-bench-http-${process.pid}`),
        },
        cleanup,
      );
      const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      const reg = await fetch(`${service.baseUrl}/api/v1/definitions`, {
        method: 'POST',
        headers,
        body: JSON.stringify(http5Definition(participant)),
      });
      if (reg.status !== 201)
        throw new Error(`registering http5: ${reg.status} ${await reg.text()}`);
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      const watcher = new FinalWatcher(db);
      try {
        const common = {
          baseUrl: service.baseUrl!,
          apiKey,
          db,
          watcher,
          table: 'saga.saga_instance' as const,
          maxMs: 120_000,
          timeoutMs: 120_000,
        };
        for (const definition of ['order', 'http5']) {
          const input = () => (definition === 'order' ? orderInput : {});
          await runPhase({
            ...common,
            definition,
            concurrency: 4,
            total: 16,
            input,
            expect: 'COMPLETED',
          });
        }
        for (const concurrency of [1, 16]) {
          // Alternate the order per run so neither always goes first.
          const order = run % 2 === 0 ? ['order', 'http5'] : ['http5', 'order'];
          for (const definition of order) {
            const input = () => (definition === 'order' ? orderInput : {});
            const r = await runPhase({
              ...common,
              definition,
              concurrency,
              total: concurrency === 1 ? 40 : 160,
              input,
              expect: 'COMPLETED',
            });
            if (r.errors.length)
              throw new Error(`${definition}: ${r.errors.slice(0, 3).join('; ')}`);
            const key = `${definition}@c${concurrency}`;
            (results[key] ??= []).push({
              sagasPerSecond: r.sagasPerSecond,
              p50Ms: percentile(r.sagaMs, 50),
              attemptMs: await meanAttemptMs(service.baseUrl!, definition),
            });
            log(
              `run ${run + 1} ${key}: ${r.sagasPerSecond.toFixed(1)} sagas/s, p50 ${percentile(r.sagaMs, 50).toFixed(1)} ms`,
            );
          }
        }
      } finally {
        watcher.stop();
        await db.end().catch(() => undefined);
        await service.stop();
      }
    }
    const m = (key: string, f: keyof Figures) => median(results[key].map((x) => x[f]));
    const lines = [
      `HTTP participant vs in-process participant (${os.cpus().length} cores, Node ${process.version}, PostgreSQL fsync on, BullMQ on PostgreSQL, median of ${RUNS} runs)`,
      '',
      '| saga (5 steps) | c | sagas/s | saga p50 ms | one attempt, mean ms |',
      '| --- | --- | --- | --- | --- |',
    ];
    for (const c of [1, 16])
      for (const d of ['order', 'http5'])
        lines.push(
          `| ${d === 'order' ? 'order (in-process, a transaction each)' : 'http5 (signed POST, no-op service)'} | ${c} | ${m(`${d}@c${c}`, 'sagasPerSecond').toFixed(1)} | ${m(`${d}@c${c}`, 'p50Ms').toFixed(1)} | ${m(`${d}@c${c}`, 'attemptMs').toFixed(2)} |`,
        );
    for (const c of [1, 16]) {
      const perStep = (m(`http5@c${c}`, 'p50Ms') - m(`order@c${c}`, 'p50Ms')) / 5;
      lines.push(
        '',
        `c=${c}: an HTTP step costs ${perStep >= 0 ? '+' : ''}${perStep.toFixed(2)} ms end to end over an in-process one (saga p50 difference / 5 steps)`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cleanup.runAll();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
