// Crash recovery: the database says what each saga waits for; a sweep re-enqueues it. Job
// ids are deterministic, so re-enqueueing what already exists is a no-op and always safe.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { pendingCommands } from '@app/saga-machines';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SagaRuntime } from './saga-runtime.service';
import { SagaStore } from './saga-store';
import { StepQueue } from './step-queue';

export interface SweepReport {
  examined: number;
  added: number;
  replaced: number;
  deadlines: number;
}

@Injectable()
export class RecoveryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger(RecoveryService.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly store: SagaStore,
    private readonly runtime: SagaRuntime,
    @Inject(StepQueue) private readonly queue: StepQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    const tick = () => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err: Error) => this.log.warn(`recovery sweep failed: ${err.message}`))
        .finally(() => (this.running = null));
    };
    tick();
    this.timer = setInterval(tick, this.config.recoveryIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over sagas that are not final and have not moved for the grace period. */
  async sweep(graceMs = this.config.recoveryGraceMs): Promise<SweepReport> {
    const report: SweepReport = { examined: 0, added: 0, replaced: 0, deadlines: 0 };
    const stale = await this.store.findStale(new Date(Date.now() - graceMs), 500);
    for (const saga of stale) {
      report.examined++;
      const definition = await this.runtime.definitionOf(saga);
      for (const command of pendingCommands(definition, saga.snapshot as never)) {
        const r = await this.queue.ensure(command);
        if (r === 'added') report.added++;
        if (r === 'replaced') report.replaced++;
      }
      if (!(await this.queue.hasDeadline(saga.id))) {
        await this.queue.scheduleDeadline(saga.id, saga.deadlineAt);
        report.deadlines++;
      }
    }
    if (report.added || report.replaced || report.deadlines) {
      this.log.log(`recovery: ${JSON.stringify(report)}`);
    }
    return report;
  }
}
