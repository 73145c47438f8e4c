// Figures of one phase, medians over runs, same-run ratios, and the markdown bench:2pc prints.
import { median, percentile } from '../bench/bench-stats';
import type { CoordinatorKillResult } from './coordinator-kill';
import type { WorkerKillResult } from './worker-kill';
import type { SagaPhase } from './saga-side';
import type { LoopResult } from './twopc-side';

export type Side = '2pc' | 'saga';

export interface SideFigures {
  transactions: number;
  errors: number;
  firstErrors: string[];
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** A row's lock, per service: 2PC from its work statement to its COMMIT PREPARED; saga: the step's local transaction. */
  lockP50Ms: number;
  lockP99Ms: number;
  /** 2PC: per transaction the longest-held of its N locks (saga: the same as lockP50Ms: its locks never overlap). */
  lockMaxP50Ms: number;
  /** Network round trips per transaction (SQL statements + HTTP calls + Redis commands). */
  roundTrips: number;
  roundTripsDetail: string;
}

const fixed = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');

export function twoPcFigures(r: LoopResult, n: number): SideFigures {
  const rt = median(r.roundTrips);
  return {
    transactions: r.transactions,
    errors: r.errors.length,
    firstErrors: r.errors.slice(0, 3),
    perSecond: r.perSecond,
    p50Ms: percentile(r.totalMs, 50),
    p99Ms: percentile(r.totalMs, 99),
    lockP50Ms: percentile(r.lockMeanMs, 50),
    lockP99Ms: percentile(r.lockMeanMs, 99),
    lockMaxP50Ms: percentile(r.lockMaxMs, 50),
    roundTrips: rt,
    roundTripsDetail: `${rt} SQL (4 per service + 2 log); ${2 * n} protocol messages (prepare + commit per service)`,
  };
}

export function sagaFigures(s: SagaPhase, n: number): SideFigures {
  const sql = s.counters?.statementsPerSaga ?? NaN;
  const redis = s.counters?.redisCommandsPerSaga ?? null;
  const participantSql = s.phase.ok ? s.participantStatements / s.phase.ok : NaN;
  const total = n + participantSql + sql + (redis ?? 0);
  return {
    transactions: s.phase.ok,
    errors: s.phase.errors.length,
    firstErrors: s.phase.errors.slice(0, 3),
    perSecond: s.phase.sagasPerSecond,
    p50Ms: percentile(s.phase.sagaMs, 50),
    p99Ms: percentile(s.phase.sagaMs, 99),
    lockP50Ms: percentile(s.localLockMs, 50),
    lockP99Ms: percentile(s.localLockMs, 99),
    lockMaxP50Ms: percentile(s.localLockMs, 50),
    roundTrips: total,
    roundTripsDetail: `${n} HTTP + ${fixed(participantSql)} SQL (participants) + ${fixed(sql)} SQL${redis === null ? '' : ` + ${fixed(redis)} Redis`} (sagachart)`,
  };
}

export type RunFigures = Record<string, SideFigures>;
export const key = (side: Side, n: number) => `${side}@${n}`;

/** Field-by-field medians over runs (the detail string of the first run). */
export function medianFigures(runs: RunFigures[], k: string): SideFigures {
  const all = runs.map((r) => r[k]).filter(Boolean);
  const m = (f: keyof SideFigures) => median(all.map((x) => x[f] as number));
  return {
    transactions: m('transactions'),
    errors: all.reduce((a, x) => a + x.errors, 0),
    firstErrors: all.flatMap((x) => x.firstErrors).slice(0, 3),
    perSecond: m('perSecond'),
    p50Ms: m('p50Ms'),
    p99Ms: m('p99Ms'),
    lockP50Ms: m('lockP50Ms'),
    lockP99Ms: m('lockP99Ms'),
    lockMaxP50Ms: m('lockMaxP50Ms'),
    roundTrips: m('roundTrips'),
    roundTripsDetail: all[0]?.roundTripsDetail ?? '',
  };
}

export interface ReportInput {
  ns: number[];
  runs: RunFigures[];
  clients: number;
  seconds: number;
  queue: string;
  machineLine: string;
  coordinatorKill: CoordinatorKillResult | null;
  workerKill: WorkerKillResult | null;
}

export function renderReport(o: ReportInput): {
  markdown: string;
  medians: RunFigures;
  ratios: Record<number, number>;
} {
  const medians: RunFigures = {};
  const ratios: Record<number, number> = {};
  const lines = [
    `2PC (PostgreSQL PREPARE TRANSACTION / COMMIT PREPARED) vs the saga through sagachart: the same business work, N services (one database each), ${o.clients} closed-loop clients, ${o.seconds} s per phase, median of ${o.runs.length} run${o.runs.length === 1 ? '' : 's'}; saga queue: ${o.queue}.`,
    o.machineLine,
    '',
    '| N | protocol | tx/s | p50 / p99 ms | row lock held p50 / p99 ms (longest of N, p50) | round trips per tx |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const n of o.ns) {
    for (const side of ['2pc', 'saga'] as const) {
      const f = medianFigures(o.runs, key(side, n));
      medians[key(side, n)] = f;
      lines.push(
        `| ${n} | ${side === '2pc' ? '2PC' : 'saga'} | ${fixed(f.perSecond)} | ${fixed(f.p50Ms)} / ${fixed(f.p99Ms)} | ${fixed(f.lockP50Ms)} / ${fixed(f.lockP99Ms)} (${fixed(f.lockMaxP50Ms)}) | ${fixed(f.roundTrips, 0)}: ${f.roundTripsDetail} |`,
      );
    }
    ratios[n] = median(
      o.runs.map((r) => r[key('saga', n)]?.perSecond / r[key('2pc', n)]?.perSecond),
    );
  }
  lines.push(
    '',
    `Saga ÷ 2PC throughput, same run: ${o.ns.map((n) => `N=${n} ${fixed(ratios[n], 2)}`).join(', ')}.`,
  );
  const errors = Object.entries(medians).filter(([, f]) => f.errors > 0);
  for (const [k, f] of errors) lines.push(`${k}: ${f.errors} errors, e.g. ${f.firstErrors[0]}`);
  const c = o.coordinatorKill;
  const w = o.workerKill;
  if (c && w) {
    lines.push(
      '',
      `| crash | 2PC: coordinator SIGKILLed between PREPARE and COMMIT PREPARED (N=${c.services}) | saga: worker SIGKILLed mid-step (N=${w.services}, step ${w.step}) |`,
      '| --- | --- | --- |',
      `| left in pg_prepared_xacts | ${c.preparedAfterKill.reduce((a, b) => a + b, 0)} (one per service database), holding ${c.orphanLocks} locks with no session | ${w.preparedAfterKill} |`,
      `| writer on the same row, lock_timeout ${c.timeoutWriter.lockTimeoutMs} ms | ${c.timeoutWriter.error ? `fails after ${fixed(c.timeoutWriter.ms, 0)} ms: ${c.timeoutWriter.error}` : `done in ${fixed(c.timeoutWriter.ms)} ms`} | done in ${fixed(w.sameRowWriterMs)} ms (the step's local transaction had committed) |`,
      `| writer on the same row, no timeout | blocked ${fixed(c.blockedWriterMs, 0)} ms: until recovery ran (${c.recoverAfterMs} ms after the kill) and committed ${c.recovery.committed} prepared parts from the decision log | not blocked |`,
      `| other rows / other transactions meanwhile | a writer on another row: ${fixed(c.otherRowWriterMs)} ms; ${c.background.transactions} 2PC transactions on other rows (p50 ${fixed(c.background.p50Ms)} ms, ${c.background.errors} errors) | ${w.othersCompletedMeanwhile} other sagas completed, ${fixed(w.othersPerSecondMeanwhile)}/s, p50 ${fixed(w.othersP50Ms, 0)} ms (in the 5 s before the kill: ${fixed(w.beforePerSecond)}/s, p50 ${fixed(w.beforeP50Ms, 0)} ms; ${w.othersAlsoStalled} of them were also in flight on the killed worker and waited for the stall); background ${w.background.completed}/${w.background.sagas} completed, ${w.background.errors} errors |`,
      `| the crashed transaction | committed by recovery; without one its rows stay locked (a prepared transaction survives even a PostgreSQL restart) | ${w.killedSagaStatus} ${fixed(w.resumedAfterMs / 1000, 1)} s after the kill: the other worker re-ran step ${w.step} after the stall interval (${w.stalledIntervalMs} ms); the participant saw the same Idempotency-Key: \`do\` applied per service ${w.effects ? w.effects.applied.join(', ') : '–'}, replayed ${w.effects ? w.effects.replayed.join(', ') : '–'}; taken from its row per service ${w.takenOnCrashRow.join(', ')} |`,
      `| left prepared at the end | ${c.preparedAfterRecovery} | 0 |`,
    );
  }
  return { markdown: lines.join('\n'), medians, ratios };
}
