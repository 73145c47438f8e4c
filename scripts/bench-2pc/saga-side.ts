// The saga side of the comparison: a registered definition of N steps, step k a POST to the
// HTTP participant of service k (participants.ts), each doing the same business work as the
// coordinator's part k as one local transaction. Driven through the BUILT sagachart service
// with the bench's closed-loop phase (scripts/bench/bench-load.ts).
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Client } from 'pg';
import { Cleanup, killChild } from '../bench/bench-infra';
import { FinalWatcher, runPhase, type PhaseResult } from '../bench/bench-load';
import { REPO_ROOT } from '../bench/bench-service';
import { startCounters, stopCounters, type Counters } from '../bench/pg-counters';

export const definitionName = (n: number) => `tpc-saga-${n}`;

/** `tpc-saga-<n>`: steps s1…sn in sequence, step k on participant svc<k> (do / undo). */
export function sagaDefinition(n: number, ports: number[]) {
  const participants: Record<string, { url: string }> = {};
  for (let k = 1; k <= n; k++)
    participants[`svc${k}`] = { url: `http://127.0.0.1:${ports[k - 1]}` };
  return {
    name: definitionName(n),
    description: `${n} local transactions, one per service database (bench:2pc).`,
    participants,
    steps: Array.from({ length: n }, (_, i) => ({
      name: `s${i + 1}`,
      participant: `svc${i + 1}`,
      action: 'do',
      compensation: 'undo',
    })),
  };
}

export interface Participants {
  pid: number;
  ports: number[];
  control: string;
  stats(): Promise<{ lockMs: number[][]; statements: number }>;
  reset(): Promise<void>;
  armHang(): Promise<void>;
  hung(): Promise<{ sagaId: string; service: number; remotePort: number; at: number } | null>;
  effects(sagaId: string): Promise<{ applied: number[]; replayed: number[] } | null>;
}

/** Starts participants.ts as its own process (its CPU apart from the driver's). */
export async function startParticipants(urls: string[], cleanup: Cleanup): Promise<Participants> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'participants.ts')],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, PARTICIPANT_SERVICE_URLS: urls.join(',') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  cleanup.add(`participants ${child.pid}`, () => killChild(child, 3000));
  const { ports, control } = await new Promise<{ ports: number[]; control: number }>(
    (resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString())));
      child.once('exit', (code) => reject(new Error(`participants exited with ${code}`)));
    },
  );
  const base = `http://127.0.0.1:${control}`;
  const call = async (p: string, method = 'GET') => (await fetch(`${base}${p}`, { method })).json();
  return {
    pid: child.pid!,
    ports,
    control: base,
    stats: () => call('/stats') as Promise<{ lockMs: number[][]; statements: number }>,
    reset: async () => void (await call('/reset', 'POST')),
    armHang: async () => void (await call('/hang', 'POST')),
    hung: () =>
      call('/hung') as Promise<{
        sagaId: string;
        service: number;
        remotePort: number;
        at: number;
      } | null>,
    effects: (sagaId) =>
      call(`/effects/${encodeURIComponent(sagaId)}`) as Promise<{
        applied: number[];
        replayed: number[];
      } | null>,
  };
}

export async function registerDefinition(
  baseUrl: string,
  apiKey: string,
  n: number,
  ports: number[],
): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v1/definitions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(sagaDefinition(n, ports)),
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`registering ${definitionName(n)}: ${res.status} ${await res.text()}`);
}

export interface SagaPhase {
  phase: PhaseResult;
  /** Every step's local transaction (participant statement) duration, all services. */
  localLockMs: number[];
  participantStatements: number;
  /** sagachart's own statements and commits per saga (null without pg_stat_statements). */
  counters: Counters | null;
}

export interface SagaPhaseOptions {
  baseUrl: string;
  apiKey: string;
  db: Client;
  watcher: FinalWatcher;
  participants: Participants;
  n: number;
  clients: number;
  maxMs: number;
  redisUrl: string | null;
  /** Client c works on row firstRow + c of every service. */
  firstRow: number;
}

export async function runSagaPhase(o: SagaPhaseOptions): Promise<SagaPhase> {
  // A given server without pg_stat_statements: no statement counts.
  const counters = await startCounters(o.db, o.redisUrl).catch(() => null);
  await o.participants.reset();
  const phase = await runPhase({
    baseUrl: o.baseUrl,
    apiKey: o.apiKey,
    db: o.db,
    watcher: o.watcher,
    table: 'saga.saga_instance',
    concurrency: o.clients,
    total: 1_000_000,
    maxMs: o.maxMs,
    input: (client) => ({ row: o.firstRow + client }),
    expect: 'COMPLETED',
    timeoutMs: 120_000,
    definition: definitionName(o.n),
  });
  const stats = await o.participants.stats();
  let c: Counters | null = null;
  if (counters) {
    // pg_stat_statements is flushed at the end of each statement; give the backends a moment.
    await new Promise((r) => setTimeout(r, 500));
    c = await stopCounters(o.db, o.redisUrl, counters, phase.ok);
  }
  return {
    phase,
    localLockMs: stats.lockMs.flat(),
    participantStatements: stats.statements,
    counters: c,
  };
}
