// The naive stack floor of issue 11, run by the bench as its own process (`node --import tsx`):
// what bare BullMQ plus PostgreSQL do for a 5-step saga with nothing of sagachart on top.
//
// - POST /api/v1/sagas: one INSERT of the saga row (version 0), then the first job is added.
//   A plain node:http handler, so that the bench drives the floor and the service the same way.
// - A saga is 5 chained jobs. Job k: BEGIN; INSERT its step row; UPDATE the saga row
//   SET version = version + 1 WHERE id AND version = k - 1; COMMIT; then add job k + 1.
//   The last job's UPDATE also marks the saga COMPLETED.
// - Same queue backend, worker concurrency, retention of finished jobs and pool sizes as the
//   service (see apps/api/src/runtime/step-queue.ts), so that the ratio compares the runtime
//   on top and not different queue settings.
//
// Env: FLOOR_DATABASE_URL, FLOOR_REDIS_URL (unset: BullMQ's PostgreSQL backend on the same
// database), FLOOR_CONCURRENCY (16), PORT.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { createPostgresBackend, Queue, withBackend, Worker, type Job } from 'bullmq';
import { Pool } from 'pg';

const STEPS = 5;
const QUEUE = 'naive-steps';
const KEEP_COMPLETED = { age: 24 * 3600, count: 100_000 };

interface StepJob {
  sagaId: string;
  step: number;
}

export const FLOOR_SCHEMA_SQL = `
  CREATE SCHEMA IF NOT EXISTS naive;
  CREATE TABLE IF NOT EXISTS naive.saga (
    id uuid PRIMARY KEY,
    version int NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL,
    finished_at timestamptz
  );
  CREATE TABLE IF NOT EXISTS naive.step (
    saga_id uuid NOT NULL,
    idx int NOT NULL,
    -- The job's own timestamps (BullMQ: timestamp, processedOn), kept for the dispatch latency.
    enqueued_at timestamptz NOT NULL,
    started_at timestamptz NOT NULL,
    PRIMARY KEY (saga_id, idx)
  );`;

function queueAndWorker(
  databaseUrl: string,
  redisUrl: string | undefined,
  concurrency: number,
  process: (job: Job<StepJob>) => Promise<void>,
) {
  if (redisUrl) {
    const u = new URL(redisUrl);
    const connection = {
      host: u.hostname,
      port: Number(u.port || 6379),
      maxRetriesPerRequest: null,
    };
    return {
      queue: new Queue<StepJob>(QUEUE, {
        connection: { ...connection, enableOfflineQueue: false },
        prefix: 'naive',
      }),
      worker: new Worker<StepJob>(QUEUE, process, { connection, prefix: 'naive', concurrency }),
    };
  }
  const pg = withBackend(createPostgresBackend);
  const connection = { connectionString: databaseUrl, migrate: true, schema: 'bullmq', max: 4 };
  return {
    queue: new pg.Queue(QUEUE, { connection }) as unknown as Queue<StepJob>,
    worker: new pg.Worker(QUEUE, process, { connection, concurrency }) as unknown as Worker,
  };
}

async function main(): Promise<void> {
  const databaseUrl = process.env.FLOOR_DATABASE_URL!;
  const concurrency = Number(process.env.FLOOR_CONCURRENCY ?? 16);
  // TypeORM's default pool size, as the service has.
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', () => undefined);
  await pool.query(FLOOR_SCHEMA_SQL);

  const add = (job: StepJob) =>
    queue.add('step', job, {
      jobId: `${job.sagaId}_${job.step}`,
      attempts: 3,
      removeOnComplete: KEEP_COMPLETED,
    });

  const processStep = async (job: Job<StepJob>) => {
    const { sagaId, step } = job.data;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO naive.step (saga_id, idx, enqueued_at, started_at)
         VALUES ($1, $2, to_timestamp($3 / 1000.0), to_timestamp($4 / 1000.0))`,
        [sagaId, step, job.timestamp, job.processedOn ?? Date.now()],
      );
      const last = step === STEPS;
      const { rowCount } = await client.query(
        `UPDATE naive.saga SET version = version + 1,
                status = $3, finished_at = CASE WHEN $4 THEN $5::timestamptz END
          WHERE id = $1 AND version = $2`,
        [sagaId, step - 1, last ? 'COMPLETED' : 'EXECUTING', last, new Date()],
      );
      if (rowCount !== 1) throw new Error(`saga ${sagaId}: version conflict at step ${step}`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (step < STEPS) await add({ sagaId, step: step + 1 });
  };

  const { queue, worker } = queueAndWorker(
    databaseUrl,
    process.env.FLOOR_REDIS_URL || undefined,
    concurrency,
    processStep,
  );
  worker.on('error', (err) => console.error(`worker error: ${err.message}`));
  await queue.waitUntilReady();

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') return reply(200, { status: 'ok' });
    if (req.method !== 'POST' || req.url !== '/api/v1/sagas') return reply(404, {});
    req.resume();
    req.on('end', () => {
      const id = randomUUID();
      pool
        .query(
          `INSERT INTO naive.saga (id, version, status, created_at) VALUES ($1, 0, 'EXECUTING', $2)`,
          [id, new Date()],
        )
        .then(() => add({ sagaId: id, step: 1 }))
        .then(
          () => reply(201, { id }),
          (err: Error) => reply(500, { message: err.message }),
        );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');

  const stop = () => {
    server.close();
    void Promise.all([worker.close(), queue.close()])
      .then(() => pool.end())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
