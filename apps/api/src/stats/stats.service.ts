// `GET /api/v1/stats`: saga figures over a window, computed by PostgreSQL in one query.
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { evaluateAlerts, type SagaAlert } from './saga-alerts';
import type { StatsWindow } from './stats-window';

export interface SagaStats {
  window: string;
  /** Start of the window (ISO-8601): the figures are about sagas created since then. */
  since: string;
  started: number;
  completed: number;
  compensated: number;
  failed: number;
  /** Created in the window and not final yet. */
  active: number;
  /** completed + compensated + failed: the denominator of the rates. */
  finished: number;
  /** Rates over finished sagas; 0 when none finished. */
  successRate: number;
  compensationRate: number;
  failureRate: number;
  /** createdAt -> finishedAt of finished sagas; null when none finished. */
  averageDurationMs: number | null;
  p95DurationMs: number | null;
  /** Sagas of the window whose error names this step (for FAILED: the step whose compensation failed). */
  stepFailures: Record<string, number>;
  /** Not final more than stuckAfterMs after creation, whenever created (not only in the window). */
  stuck: number;
  alerts: SagaAlert[];
}

const FINAL = `('COMPLETED', 'COMPENSATED', 'FAILED')`;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

@Injectable()
export class StatsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async stats(w: StatsWindow): Promise<SagaStats> {
    const [totals]: {
      since: Date;
      started: number;
      completed: number;
      compensated: number;
      failed: number;
      active: number;
      avg_ms: number | null;
      p95_ms: number | null;
      stuck: number;
      step_failures: Record<string, number>;
    }[] = await this.ds.query(
      `WITH bounds AS (SELECT now() - make_interval(secs => $1::float8 / 1000) AS since),
            w AS (
              SELECT s.status, s.error_step,
                     EXTRACT(EPOCH FROM s.finished_at - s.created_at) * 1000 AS ms
                FROM saga.saga_instance s, bounds
               WHERE s.created_at >= bounds.since)
       SELECT (SELECT since FROM bounds) AS since,
              count(*)::int AS started,
              count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed,
              count(*) FILTER (WHERE status = 'COMPENSATED')::int AS compensated,
              count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
              count(*) FILTER (WHERE status NOT IN ${FINAL})::int AS active,
              (avg(ms) FILTER (WHERE status IN ${FINAL}))::float8 AS avg_ms,
              (percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE status IN ${FINAL}))::float8 AS p95_ms,
              (SELECT count(*)::int FROM saga.saga_instance
                WHERE status NOT IN ${FINAL}
                  AND created_at < now() - make_interval(secs => $2::float8 / 1000)) AS stuck,
              (SELECT coalesce(json_object_agg(step, n ORDER BY n DESC, step), '{}'::json)
                 FROM (SELECT error_step AS step, count(*)::int AS n FROM w
                        WHERE error_step IS NOT NULL GROUP BY error_step) f) AS step_failures
         FROM w`,
      [w.ms, this.config.stats.stuckAfterMs],
    );
    const finished = totals.completed + totals.compensated + totals.failed;
    const rate = (n: number) => (finished ? round4(n / finished) : 0);
    const figures = {
      window: w.window,
      since: new Date(totals.since).toISOString(),
      started: totals.started,
      completed: totals.completed,
      compensated: totals.compensated,
      failed: totals.failed,
      active: totals.active,
      finished,
      successRate: rate(totals.completed),
      compensationRate: rate(totals.compensated),
      failureRate: rate(totals.failed),
      averageDurationMs: totals.avg_ms === null ? null : Math.round(totals.avg_ms),
      p95DurationMs: totals.p95_ms === null ? null : Math.round(totals.p95_ms),
      stepFailures: totals.step_failures,
      stuck: totals.stuck,
    };
    return { ...figures, alerts: evaluateAlerts(figures, this.config.stats) };
  }
}
