// The 2PC side of the comparison: closed-loop clients, each running one distributed
// transaction after another through the coordinator, each on a resource row of its own (as
// the bench's order sagas each order a SKU of their own), until a time cap.
import type { Pool } from 'pg';
import { GID_PREFIX, TwoPhaseCoordinator } from './coordinator';

export interface LoopResult {
  transactions: number;
  errors: string[];
  wallMs: number;
  perSecond: number;
  totalMs: number[];
  /** Per transaction: the mean over its services of the row's lock time. */
  lockMeanMs: number[];
  /** Per transaction: the longest lock of its services (the first to lock, usually). */
  lockMaxMs: number[];
  roundTrips: number[];
}

export interface LoopOptions {
  services: Pool[];
  log: Pool;
  clients: number;
  /** Client c works on row firstRow + c of every service. */
  firstRow: number;
  maxMs: number;
  /** Makes gids unique across phases and runs. */
  tag: string;
  /** Ends the loop early (the failure scenario's background load). */
  stop?: () => boolean;
}

export async function runTwoPhaseLoop(o: LoopOptions): Promise<LoopResult> {
  const coordinator = new TwoPhaseCoordinator(o.services, o.log);
  const r: LoopResult = {
    transactions: 0,
    errors: [],
    wallMs: 0,
    perSecond: 0,
    totalMs: [],
    lockMeanMs: [],
    lockMaxMs: [],
    roundTrips: [],
  };
  const t0 = performance.now();
  const until = t0 + o.maxMs;
  let seq = 0;
  await Promise.all(
    Array.from({ length: o.clients }, async (_, client) => {
      while (performance.now() < until && !o.stop?.()) {
        const gid = `${GID_PREFIX}${o.tag}_c${client}_${seq++}`;
        try {
          const f = await coordinator.run(
            gid,
            o.services.map(() => ({ resourceId: o.firstRow + client, amount: 1 })),
          );
          r.transactions++;
          r.totalMs.push(f.totalMs);
          r.lockMeanMs.push(f.lockMs.reduce((a, b) => a + b, 0) / f.lockMs.length);
          r.lockMaxMs.push(Math.max(...f.lockMs));
          r.roundTrips.push(f.roundTrips);
        } catch (err) {
          r.errors.push((err as Error).message);
          // A client backs off after a failure; it also keeps an immediate failure (one
          // without I/O) from spinning this loop and starving the event loop.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }),
  );
  r.wallMs = performance.now() - t0;
  r.perSecond = (r.transactions / r.wallMs) * 1000;
  return r;
}
