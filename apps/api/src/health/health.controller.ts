import { Controller, Get, HttpException, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { StepQueue } from '../runtime/step-queue';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** `GET /health` (and the liveness/readiness pair): database and queue, 503 when one is down. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(StepQueue) private readonly queue: StepQueue,
  ) {}

  @Get()
  readiness(@Res({ passthrough: true }) res: Response) {
    return this.check(res);
  }

  @Get('ready')
  ready(@Res({ passthrough: true }) res: Response) {
    return this.check(res);
  }

  /** Liveness: the process answers. Dependencies are readiness' business, not a reason to restart. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  private async check(res: Response) {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([
        () => this.db.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
        async () => {
          const session = this.indicators.check('queue');
          try {
            await withTimeout(this.queue.counts(), CHECK_TIMEOUT_MS);
            return session.up();
          } catch (err) {
            return session.down({ message: (err as Error).message });
          }
        },
      ]);
    } catch (err) {
      const body = (err as HttpException).getResponse?.() as HealthCheckResult | undefined;
      if (!body?.details) throw err;
      res.status(503);
      return shape(body);
    }
    return shape(result);
  }
}

function shape(r: HealthCheckResult) {
  const checks: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.details)) checks[k] = v.status;
  return { status: r.status === 'ok' ? 'ok' : 'error', checks };
}
