// The saga side's services: one tiny HTTP participant per service database, all in this one
// process (a process each would only add memory; each still has its own port and pool). A
// step's `do` runs the service's business work (WORK_SQL) as ONE autocommit statement — the
// saga's local transaction — and `undo` its compensation, both idempotent on the
// Idempotency-Key, so a step re-run after a worker crash takes nothing twice.
//   PARTICIPANT_SERVICE_URLS  comma-separated service database URLs (service i = URL i)
//   PARTICIPANT_POOL          connections per service (default 8)
// Prints `{"ports":[…],"control":port}` on stdout. The control port: GET /stats (per service,
// each local transaction's duration in ms, and statements sent), POST /reset, POST /hang
// (the next `do` on service k of a saga whose input has `"hangAt": k` commits, then never
// answers),
// GET /hung (that request's saga id and the worker's client port, once it arrived),
// GET /effects/<sagaId> (for a saga with hangAt: per service, `do` calls that took and that
// were replays of an applied key).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { UNDO_SQL, WORK_SQL } from './service-databases';

interface StepBody {
  sagaId: string;
  kind: 'execute' | 'compensate';
  idempotencyKey: string;
  input: { row?: number; hangAt?: number };
}

const urls = (process.env.PARTICIPANT_SERVICE_URLS ?? '').split(',').filter(Boolean);
const poolSize = Number(process.env.PARTICIPANT_POOL ?? 8);
const pools = urls.map((url) => new Pool({ connectionString: url, max: poolSize }));
let lockMs: number[][] = urls.map(() => []);
let statements = 0;
let hangArmed = false;
let hung: { sagaId: string; service: number; remotePort: number; at: number } | null = null;
/** For the saga to crash (input has hangAt) only: per service, `do` calls applied and replayed. */
const effects = new Map<string, { applied: number[]; replayed: number[] }>();

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : null);
      } catch (err) {
        reject(err as Error);
      }
    });
    req.on('error', reject);
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function step(service: number, req: http.IncomingMessage, res: http.ServerResponse) {
  const body = (await readJson(req)) as StepBody;
  const row = Number(body.input?.row);
  if (!Number.isInteger(row)) return reply(res, 422, { code: 'BAD_ROW', message: 'input.row' });
  const undo = req.url === '/undo';
  const t0 = performance.now();
  statements++;
  const r = await pools[service].query(
    undo ? UNDO_SQL : WORK_SQL,
    undo ? [body.idempotencyKey] : [body.idempotencyKey, row, 1],
  );
  lockMs[service].push(performance.now() - t0);
  // rowCount 0: this key was applied before (a re-run step); the effect stands, answer again.
  const output = { service: service + 1, replayed: r.rowCount === 0 };
  if (!undo && body.input.hangAt !== undefined) {
    const e = effects.get(body.sagaId) ?? {
      applied: urls.map(() => 0),
      replayed: urls.map(() => 0),
    };
    (r.rowCount === 1 ? e.applied : e.replayed)[service]++;
    effects.set(body.sagaId, e);
  }
  if (!undo && hangArmed && body.input.hangAt === service + 1 && r.rowCount === 1) {
    hangArmed = false;
    hung = {
      sagaId: body.sagaId,
      service,
      remotePort: req.socket.remotePort ?? 0,
      at: Date.now(),
    };
    // Committed, never answered: the worker waiting for this reply is the one to kill.
    return;
  }
  reply(res, 200, output);
}

function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function main(): Promise<void> {
  const ports = await Promise.all(
    pools.map((_, i) =>
      serve((req, res) => {
        if (req.method !== 'POST' || (req.url !== '/do' && req.url !== '/undo')) {
          req.resume();
          return reply(res, 404, { code: 'NOT_FOUND', message: String(req.url) });
        }
        step(i, req, res).catch((err: unknown) =>
          reply(res, 503, { code: 'DB', message: (err as Error).message }),
        );
      }),
    ),
  );
  const control = await serve((req, res) => {
    req.resume();
    if (req.url === '/stats') return reply(res, 200, { lockMs, statements });
    if (req.url === '/reset' && req.method === 'POST') {
      lockMs = urls.map(() => []);
      statements = 0;
      return reply(res, 200, {});
    }
    if (req.url === '/hang' && req.method === 'POST') {
      hangArmed = true;
      hung = null;
      return reply(res, 200, {});
    }
    if (req.url === '/hung') return reply(res, 200, hung);
    const e = /^\/effects\/([0-9a-f-]{1,64})$/.exec(req.url ?? '');
    if (e) return reply(res, 200, effects.get(e[1]) ?? null);
    reply(res, 404, {});
  });
  process.stdout.write(`${JSON.stringify({ ports, control })}\n`);
}

process.once('SIGTERM', () => {
  void Promise.all(pools.map((p) => p.end())).finally(() => process.exit(0));
});

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
