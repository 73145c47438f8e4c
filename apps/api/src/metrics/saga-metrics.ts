// Prometheus metrics of one app instance, in a registry of its own (never prom-client's global
// one): tests run several apps in one process, and each must count only its own sagas.
//
// Two kinds of figures:
// - Counters and histograms are fed by the SagaObserver of THIS process. A worker process
//   counts the attempts it ran; an api process counts the sagas it started. Sum them across
//   instances in PromQL (`sum by (...)`). A process with SAGA_ROLE=worker serves no HTTP, so
//   its counters are not scraped: run workers with SAGA_ROLE=all (behind no load balancer)
//   if their attempt counters matter, or read attempts from the api's view of transitions.
// - Gauges (active sagas, queue jobs) are read at scrape time from the database and the
//   queue, so every instance reports the same, cluster-wide, truth: use `max`, not `sum`.
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isFinalStatus } from '@app/saga-machines';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ROOT_LOGGER } from '../logging/logging.tokens';
import { DefinitionRegistry } from '../runtime/definition-registry';
import {
  SagaObserver,
  type AttemptObserved,
  type TransitionObserved,
} from '../runtime/saga-observer';
import { StepQueue } from '../runtime/step-queue';

/** Queue states exported as `sagachart_queue_jobs{state}`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** A scrape must answer even when the database or queue does not. */
const SCRAPE_QUERY_TIMEOUT_MS = 2000;

const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SAGA_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref();
    }),
  ]);
}

@Injectable()
export class SagaMetrics implements OnModuleInit {
  readonly registry = new Registry();
  private readonly log: Logger;
  private activeQuery: {
    at: number;
    promise: Promise<Map<string, { n: number; age: number }> | undefined>;
  } | null = null;

  readonly sagasStarted = new Counter({
    name: 'sagachart_sagas_started_total',
    help: 'Sagas created by this process.',
    labelNames: ['definition'] as const,
    registers: [this.registry],
  });
  readonly sagasFinished = new Counter({
    name: 'sagachart_sagas_finished_total',
    help: 'Sagas that entered a final status (COMPLETED, COMPENSATED, FAILED) in a transition committed by this process. A FAILED saga retried to COMPENSATED counts once for each.',
    labelNames: ['definition', 'status'] as const,
    registers: [this.registry],
  });
  readonly stepAttempts = new Counter({
    name: 'sagachart_step_attempts_total',
    help: 'Participant calls run by this process, by kind (execute|compensate) and outcome (succeeded|failed|retrying).',
    labelNames: ['definition', 'step', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly compensations = new Counter({
    name: 'sagachart_compensations_total',
    help: 'Compensations that ended in this process: succeeded, or failed for good (retrying attempts are in sagachart_step_attempts_total).',
    labelNames: ['definition', 'step', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly stepDuration = new Histogram({
    name: 'sagachart_step_duration_seconds',
    help: 'Duration of one participant call (one attempt), measured by the worker that ran it.',
    labelNames: ['definition', 'step', 'kind'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  readonly sagaDuration = new Histogram({
    name: 'sagachart_saga_duration_seconds',
    help: 'From a saga’s creation to its final status (createdAt -> finishedAt).',
    labelNames: ['definition', 'status'] as const,
    buckets: SAGA_BUCKETS,
    registers: [this.registry],
  });

  constructor(
    private readonly observer: SagaObserver,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(StepQueue) private readonly queue: StepQueue,
    private readonly definitions: DefinitionRegistry,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'metrics' });
    collectDefaultMetrics({ register: this.registry });
    this.defineScrapeGauges();
  }

  onModuleInit(): void {
    this.observer.on('started', (s) => this.sagasStarted.inc({ definition: s.definition }));
    this.observer.on('transition', (t) => this.onTransition(t));
    this.observer.on('attempt', (a) => this.onAttempt(a));
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private onTransition(t: TransitionObserved): void {
    const { view } = t.result;
    if (!isFinalStatus(view.status) || t.from === view.status) return;
    this.sagasFinished.inc({ definition: t.definition, status: view.status });
    if (view.finishedAt) {
      const seconds = (Date.parse(view.finishedAt) - Date.parse(view.createdAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) {
        this.sagaDuration.observe({ definition: t.definition, status: view.status }, seconds);
      }
    }
  }

  private onAttempt(a: AttemptObserved): void {
    const { step, kind } = a.command;
    this.stepAttempts.inc({ definition: a.definition, step, kind, outcome: a.outcome });
    this.stepDuration.observe({ definition: a.definition, step, kind }, a.durationMs / 1000);
    if (kind === 'compensate' && a.outcome !== 'retrying') {
      this.compensations.inc({ definition: a.definition, step, outcome: a.outcome });
    }
  }

  /**
   * Active sagas by definition, read once per scrape: both gauges below ask, and share one
   * query (prom-client collects them separately). Undefined when the database does not answer.
   */
  private activeSagas(): Promise<Map<string, { n: number; age: number }> | undefined> {
    const now = Date.now();
    if (!this.activeQuery || now - this.activeQuery.at > 500) {
      const promise = withTimeout(
        this.ds.query(
          `SELECT definition, count(*)::int AS n,
                  EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age
             FROM saga.saga_instance
            WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')
            GROUP BY definition`,
        ) as Promise<{ definition: string; n: number; age: number }[]>,
        SCRAPE_QUERY_TIMEOUT_MS,
        'active sagas query',
      ).then(
        async (rows) => {
          const byDefinition = new Map<string, { n: number; age: number }>();
          const known = await this.definitions.list().catch(() => []);
          for (const d of known) byDefinition.set(d.definition.name, { n: 0, age: 0 });
          for (const r of rows)
            byDefinition.set(r.definition, { n: r.n, age: Math.max(0, Number(r.age)) });
          return byDefinition;
        },
        (err: Error) => {
          this.log.warn({ err: err.message }, 'active sagas: database unavailable at scrape');
          return undefined;
        },
      );
      this.activeQuery = { at: now, promise };
    }
    return this.activeQuery.promise;
  }

  private defineScrapeGauges(): void {
    // `this` inside collect() is the gauge, hence the captured references. No value is better
    // than a wrong zero: when the database does not answer, the series are dropped.
    const active = () => this.activeSagas();
    const queue = this.queue;
    const log = this.log;
    new Gauge({
      name: 'sagachart_sagas_active',
      help: 'Sagas not yet final (cluster-wide, read from the database at scrape time).',
      labelNames: ['definition'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [definition, a] of (await active()) ?? []) this.set({ definition }, a.n);
      },
    });
    new Gauge({
      name: 'sagachart_saga_oldest_active_age_seconds',
      help: 'Age of the oldest saga not yet final (cluster-wide, read from the database at scrape time); 0 when none.',
      labelNames: ['definition'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [definition, a] of (await active()) ?? []) this.set({ definition }, a.age);
      },
    });
    new Gauge({
      name: 'sagachart_queue_jobs',
      help: 'Jobs in the step queue by state (cluster-wide, read from BullMQ at scrape time).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          const counts = await withTimeout(queue.counts(), SCRAPE_QUERY_TIMEOUT_MS, 'queue counts');
          for (const s of QUEUE_STATES) this.set({ state: s }, counts[s] ?? 0);
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'sagachart_queue_jobs: queue unavailable');
        }
      },
    });
  }
}
