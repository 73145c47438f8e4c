// What goes wrong during a soak, on purpose: a worker SIGKILLed (and started again) every few
// seconds, PostgreSQL restarted once, Redis restarted once (Redis leg). Milestones tied to the
// share of sagas created make sure the minimum number of each happens even in a short run.
import type { SoakCluster } from './cluster';

export interface ChaosOptions {
  killEveryMs: number;
  minKills: number;
  restartDatabase: boolean;
  restartRedis: boolean;
  /** How long the server stays down in a restart. */
  downMs: number;
  log: (line: string) => void;
}

export interface ChaosFigures {
  kills: number;
  databaseRestarts: number;
  redisRestarts: number;
  errors: string[];
}

type Action = 'kill' | 'database' | 'redis';

export class Chaos {
  readonly figures: ChaosFigures = { kills: 0, databaseRestarts: 0, redisRestarts: 0, errors: [] };
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private nextVictim = 0;
  /** Progress fraction at which each milestone action is due, in order. */
  private readonly milestones: { at: number; action: Action; done: boolean }[] = [];
  private stopped = false;
  private pending = 0;

  constructor(
    private readonly cluster: SoakCluster,
    private readonly opts: ChaosOptions,
  ) {
    for (let k = 1; k <= opts.minKills; k++)
      this.milestones.push({ at: k / (opts.minKills + 1), action: 'kill', done: false });
    if (opts.restartDatabase) this.milestones.push({ at: 0.4, action: 'database', done: false });
    if (opts.restartRedis) this.milestones.push({ at: 0.6, action: 'redis', done: false });
  }

  start(): void {
    // A kill waits for its worker to be up again; when that takes longer than the period,
    // the tick is skipped rather than queued (a backlog would delay the milestones).
    this.timer = setInterval(() => {
      if (this.pending === 0) void this.run('kill');
    }, this.opts.killEveryMs);
  }

  /**
   * Called as sagas are created; runs any milestone action now due that the periodic
   * schedule has not already covered. Resolves when those actions are done.
   */
  async progress(fraction: number): Promise<void> {
    const due = this.milestones.filter((m) => !m.done && m.at <= fraction);
    for (const m of due) {
      m.done = true;
      const already =
        m.action === 'kill'
          ? this.figures.kills >=
            this.milestones.filter((x) => x.action === 'kill' && x.at <= m.at).length
          : false;
      if (!already) await this.run(m.action);
    }
  }

  /** Actions run one at a time, in the order asked. */
  private run(action: Action): Promise<void> {
    this.pending++;
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        if (action === 'kill') await this.killOne();
        else if (action === 'database') await this.restartDatabase();
        else await this.restartRedis();
      } catch (err) {
        this.figures.errors.push(`${action}: ${(err as Error).message}`);
        this.opts.log(`chaos ${action} failed: ${(err as Error).message}`);
      } finally {
        this.pending--;
      }
    });
    return this.chain;
  }

  private async killOne(): Promise<void> {
    const i = this.nextVictim++ % this.cluster.workers.length;
    await this.cluster.killWorker(i);
    this.figures.kills++;
    this.opts.log(`chaos: SIGKILLed worker-${i} (kill #${this.figures.kills}), starting it again`);
    await this.cluster.startWorker(i);
  }

  private async restartDatabase(): Promise<void> {
    this.opts.log(`chaos: stopping PostgreSQL for ${this.opts.downMs} ms`);
    await this.cluster.restartDatabase(this.opts.downMs);
    this.figures.databaseRestarts++;
    this.opts.log('chaos: PostgreSQL is back');
  }

  private async restartRedis(): Promise<void> {
    this.opts.log(
      `chaos: restarting redis-server (every job in it is lost) after ${this.opts.downMs} ms down`,
    );
    await this.cluster.restartRedis(this.opts.downMs);
    this.figures.redisRestarts++;
    this.opts.log('chaos: Redis is back');
  }

  /** No more actions; waits for the one in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Milestones not reached (a run stopped by its time limit) still happen before the checks.
    for (const m of this.milestones) if (!m.done && m.action !== 'kill') await this.run(m.action);
    this.stopped = true;
    await this.chain;
  }
}
