// One soak run: its own PostgreSQL (+ Redis), one API and several worker processes of the
// built service, N order sagas (and a share of flow sagas against the soak's own HTTP
// participant) under chaos, then the invariants checked on the database and that journal.
import fs from 'node:fs';
import path from 'node:path';
import { Chaos, type ChaosFigures } from './chaos';
import { SoakCluster } from './cluster';
import { startFlowParticipant, readJournal, type FlowParticipant } from './flow-participant';
import { flowDefinitionDocument, planFlowSaga, type FlowPlan } from './flow-plan';
import { auditDatabase, type AuditFigures, type InvariantResult } from './invariants';
import { createRng } from './rng';
import { driveSaga, type SagaRun } from './saga-driver';
import { planSaga, type SagaPlan } from './saga-plan';
import { ensureBuilt, REPO_ROOT } from './service-build';
import { ServiceClient } from './service-client';

export interface SoakOptions {
  sagas: number;
  /** Stop creating sagas after this long (then let those in flight finish). */
  seconds: number;
  backend: 'postgres' | 'redis';
  workers: number;
  /** Sagas in flight at once. */
  concurrency: number;
  seed: number;
  killEveryMs: number;
  minKills: number;
  restartDatabase: boolean;
  restartRedis: boolean;
  downMs: number;
  timeoutRate: number;
  cancelRate: number;
  /** Share of sagas that run the flow definition (flow-plan.ts) instead of `order`. */
  flowRate: number;
  stalledIntervalMs: number;
  recoveryIntervalMs: number;
  recoveryGraceMs: number;
  workerConcurrency: number;
  /** After the last create, how long in-flight sagas may take to finish. */
  drainSeconds: number;
  /** Where the JSON summary and the processes' logs go. */
  outDir: string;
  build: boolean;
  log: (line: string) => void;
}

export const DEFAULT_SOAK_OPTIONS: Omit<SoakOptions, 'log'> = {
  sagas: 2000,
  seconds: 600,
  backend: 'postgres',
  workers: 2,
  concurrency: 32,
  seed: Date.now() % 2 ** 31,
  killEveryMs: 4000,
  minKills: 5,
  restartDatabase: true,
  restartRedis: true,
  downMs: 1500,
  timeoutRate: 0.01,
  cancelRate: 0.08,
  flowRate: 0.2,
  stalledIntervalMs: 2000,
  recoveryIntervalMs: 1000,
  recoveryGraceMs: 3000,
  workerConcurrency: 16,
  drainSeconds: 180,
  outDir: path.join(REPO_ROOT, 'artifacts/soak'),
  build: true,
};

export interface SoakSummary {
  ok: boolean;
  backend: string;
  seed: number;
  options: Omit<SoakOptions, 'log'>;
  sagas: { planned: number; created: number; final: number; byStatus: Record<string, number> };
  mix: {
    byRule: Record<string, number>;
    byTag: Record<string, number>;
    retried: number;
    cancelAccepted: number;
  };
  deviations: { count: number; checked: number; examples: string[] };
  chaos: ChaosFigures;
  durationMs: number;
  throughputPerSecond: number;
  sagaDurationMs: { p50: number; p95: number; max: number };
  clientRetries: number;
  audit: AuditFigures | null;
  invariants: InvariantResult[];
  logs: string;
}

const count = <T>(items: T[], key: (t: T) => string | string[]) => {
  const out: Record<string, number> = {};
  for (const it of items) for (const k of [key(it)].flat()) out[k] = (out[k] ?? 0) + 1;
  return out;
};

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;

/** `(node:123) MaxListenersExceededWarning: …` lines in the service processes' output, by kind. */
function nodeWarnings(logDir: string): string[] {
  const kinds: Record<string, number> = {};
  for (const file of fs.readdirSync(logDir)) {
    if (file === 'postgres.log') continue;
    const text = fs.readFileSync(path.join(logDir, file), 'utf8');
    for (const m of text.matchAll(/\(node:\d+\) (\w*Warning)/g))
      kinds[m[1]] = (kinds[m[1]] ?? 0) + 1;
  }
  return Object.entries(kinds).map(([k, n]) => `${k} ×${n}`);
}

/** Finished: every child stopped and the temp dir removed (also on SIGINT/SIGTERM and exit). */
export async function runSoak(opts: SoakOptions): Promise<SoakSummary> {
  const { log } = opts;
  if (opts.build) ensureBuilt(log);
  const runId = `${opts.backend}-${opts.seed}-${Date.now().toString(36)}`;
  const logDir = path.join(opts.outDir, `${opts.backend}-logs`);
  fs.rmSync(logDir, { recursive: true, force: true });
  let participant: FlowParticipant | null = null;
  const cluster = new SoakCluster({
    backend: opts.backend,
    workers: opts.workers,
    cwd: REPO_ROOT,
    logDir,
    env: {
      SAGA_STALLED_INTERVAL_MS: String(opts.stalledIntervalMs),
      SAGA_RECOVERY_INTERVAL_MS: String(opts.recoveryIntervalMs),
      SAGA_RECOVERY_GRACE_MS: String(opts.recoveryGraceMs),
      SAGA_WORKER_CONCURRENCY: String(opts.workerConcurrency),
      SAGA_SHUTDOWN_GRACE_MS: '2000',
    },
  });
  let cleaned = false;
  const onExit = () => {
    if (!cleaned) cluster.killAllNow();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping every process the soak started`);
    onExit();
    process.exit(130);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log(
      `soak: backend ${opts.backend}, ${opts.sagas} sagas or ${opts.seconds} s, ${opts.workers} workers, seed ${opts.seed}`,
    );
    await cluster.startDatabase();
    if (opts.backend === 'redis') await cluster.startRedis();
    await cluster.startApi();
    await Promise.all(Array.from({ length: opts.workers }, (_, i) => cluster.startWorker(i)));
    log(
      `soak: PostgreSQL, ${opts.backend === 'redis' ? 'Redis, ' : ''}api and ${opts.workers} workers up (logs in ${path.relative(REPO_ROOT, logDir)})`,
    );

    const client = new ServiceClient(cluster.api!.baseUrl!, cluster.apiKey, 120_000);
    if (opts.flowRate > 0) {
      // The user's service: in this process, so no chaos reaches it.
      const journalFile = path.join(logDir, 'flow-participant.jsonl');
      participant = await startFlowParticipant(journalFile);
      const registered = await client.call(
        'POST',
        '/api/v1/definitions',
        flowDefinitionDocument(participant.url),
      );
      if (registered.status !== 201 && registered.status !== 200)
        throw new Error(
          `registering the flow definition answered ${registered.status}: ${JSON.stringify(registered.body)}`,
        );
      log(`soak: flow definition registered, its participant at ${participant.url}`);
    }

    // Two streams: a seed's order sagas are the same sequence whatever the flow share (the
    // flow sagas only take some of the indexes), and its flow sagas are the same too.
    const rng = createRng(opts.seed);
    const flowRng = createRng(opts.seed ^ 0x5f10);
    const mix = { timeoutRate: opts.timeoutRate, cancelRate: opts.cancelRate };
    // Exactly the flow share, spread evenly (a short run still gets its flow sagas).
    const isFlow = (i: number) =>
      Math.floor((i + 1) * opts.flowRate) > Math.floor(i * opts.flowRate);
    const plans: (SagaPlan | FlowPlan)[] = Array.from({ length: opts.sagas }, (_, i) =>
      isFlow(i) ? planFlowSaga(flowRng, i, runId, mix) : planSaga(rng, i, runId, mix),
    );
    const heal = async (sagaId: string) => {
      const res = await fetch(`${participant!.url}/_soak/heal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sagaId }),
      });
      if (!res.ok) throw new Error(`healing ${sagaId} answered ${res.status}`);
    };
    const chaos = new Chaos(cluster, {
      killEveryMs: opts.killEveryMs,
      minKills: opts.minKills,
      restartDatabase: opts.restartDatabase,
      restartRedis: opts.restartRedis && opts.backend === 'redis',
      downMs: opts.downMs,
      log,
    });

    const began = Date.now();
    const stopCreatingAt = began + opts.seconds * 1000;
    const runs: SagaRun[] = [];
    let next = 0;
    let finished = 0;
    const progress = setInterval(() => {
      log(
        `soak: ${finished}/${next} final, ${chaos.figures.kills} kills, ${((Date.now() - began) / 1000).toFixed(0)} s`,
      );
    }, 10_000);
    chaos.start();
    const lane = async () => {
      while (next < plans.length && Date.now() < stopCreatingAt) {
        const plan = plans[next++];
        await chaos.progress(plan.index / plans.length);
        const run = await driveSaga(client, plan, {
          runId,
          pollMs: 400,
          sagaTimeoutMs: Math.max(0, stopCreatingAt - Date.now()) + opts.drainSeconds * 1000,
          maxRetries: 5,
          heal,
        });
        runs.push(run);
        finished++;
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, lane));
    const drivenMs = Date.now() - began;
    clearInterval(progress);
    await chaos.stop();
    log(
      `soak: ${runs.length} sagas driven in ${(drivenMs / 1000).toFixed(1)} s; checking invariants`,
    );

    const unexpected = cluster.unexpectedExits();
    const invariants: InvariantResult[] = [
      {
        name: 'service processes stayed up',
        ok: unexpected.length === 0 && chaos.figures.errors.length === 0,
        detail:
          [...unexpected, ...chaos.figures.errors].join('; ') ||
          `api + ${opts.workers} workers alive (killed ones restarted)`,
      },
    ];
    const warnings = nodeWarnings(logDir);
    invariants.push({
      name: 'no Node warnings from the service',
      ok: warnings.length === 0,
      detail: warnings.join('; ') || 'no (node:pid) …Warning line in any process output',
    });
    let audit: AuditFigures | null = null;
    try {
      const a = await auditDatabase(
        cluster.databaseUrl,
        runs,
        participant ? readJournal(participant.journalFile) : null,
      );
      invariants.push(...a.results);
      audit = a.figures;
    } catch (err) {
      invariants.push({ name: 'database audit', ok: false, detail: (err as Error).message });
    }
    {
      const want = [
        [
          '≥ min worker kills',
          chaos.figures.kills >= opts.minKills,
          `${chaos.figures.kills} kills (min ${opts.minKills})`,
        ],
        ...(opts.restartDatabase
          ? [
              [
                'PostgreSQL restarted',
                chaos.figures.databaseRestarts >= 1,
                `${chaos.figures.databaseRestarts} restart(s)`,
              ],
            ]
          : []),
        ...(opts.restartRedis && opts.backend === 'redis'
          ? [
              [
                'Redis restarted',
                chaos.figures.redisRestarts >= 1,
                `${chaos.figures.redisRestarts} restart(s)`,
              ],
            ]
          : []),
      ] as [string, boolean, string][];
      for (const [name, ok, detail] of want) invariants.push({ name, ok, detail });
    }

    // Flow sagas' outcomes are an invariant (flow-invariants.ts); these are the order's.
    const checked = runs.filter(
      (r) => r.plan.definition === 'order' && r.plan.expected && r.sagaId,
    );
    const deviating = checked.filter((r) => {
      const e = r.plan.expected!;
      return r.status !== e.status || r.errorStep !== e.step || r.errorCode !== e.code;
    });
    const durations = runs.map((r) => r.durationMs).sort((a, b) => a - b);
    const { log: _log, ...printable } = opts;
    const summary: SoakSummary = {
      ok: invariants.every((i) => i.ok),
      backend: opts.backend,
      seed: opts.seed,
      options: printable,
      sagas: {
        planned: opts.sagas,
        created: runs.filter((r) => r.sagaId).length,
        final: runs.filter((r) => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(r.status)).length,
        byStatus: count(runs, (r) => r.status),
      },
      mix: {
        byRule: count(runs, (r) => r.plan.rule),
        byTag: count(runs, (r) => (r.plan.tags.length ? r.plan.tags : ['plain'])),
        retried: runs.filter((r) => r.retries > 0).length,
        cancelAccepted: runs.filter((r) => r.cancelAnswer === 202).length,
      },
      deviations: {
        count: deviating.length,
        checked: checked.length,
        examples: deviating
          .slice(0, 10)
          .map(
            (r) =>
              `#${r.plan.index} ${r.sagaId} (${r.plan.rule}${r.plan.tags.length ? `, ${r.plan.tags.join('+')}` : ''}): ${r.status} ${r.errorStep ?? ''} ${r.errorCode ?? ''}, expected ${r.plan.expected!.status} ${r.plan.expected!.code ?? ''}`,
          ),
      },
      chaos: chaos.figures,
      durationMs: drivenMs,
      throughputPerSecond: Math.round((runs.length / (drivenMs / 1000)) * 10) / 10,
      sagaDurationMs: {
        p50: quantile(durations, 0.5),
        p95: quantile(durations, 0.95),
        max: durations[durations.length - 1] ?? 0,
      },
      clientRetries: client.transientErrors,
      audit,
      invariants,
      logs: path.relative(REPO_ROOT, logDir),
    };
    fs.mkdirSync(opts.outDir, { recursive: true });
    fs.writeFileSync(
      path.join(opts.outDir, `${opts.backend}-summary.json`),
      JSON.stringify(summary, null, 2) + '\n',
    );
    return summary;
  } finally {
    await participant?.close().catch((err: Error) => log(`cleanup: ${err.message}`));
    await cluster.stop().catch((err: Error) => log(`cleanup: ${err.message}`));
    cleaned = true;
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
