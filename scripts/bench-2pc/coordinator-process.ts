// The coordinator as a process of its own, for the crash scenario (the bench and the tests):
// runs ONE distributed transaction and, with TWOPC_PAUSE_AFTER_DECISION=1, stops between the
// phases — every service prepared, the decision logged, no COMMIT PREPARED sent — prints
// `DECIDED <gid>` and waits there, so that its parent can SIGKILL it at exactly that point.
//   TWOPC_SERVICE_URLS  comma-separated URLs of the service databases
//   TWOPC_LOG_URL       the coordinator log's database
//   TWOPC_GID           the global transaction id (GID_PREFIX + [a-z0-9_-])
//   TWOPC_RESOURCE_ID   the resource row every service's work takes from
import { Pool } from 'pg';
import { TwoPhaseCoordinator } from './coordinator';

async function main(): Promise<void> {
  const env = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  const services = env('TWOPC_SERVICE_URLS')
    .split(',')
    .map((url) => new Pool({ connectionString: url, max: 1 }));
  const log = new Pool({ connectionString: env('TWOPC_LOG_URL'), max: 1 });
  const pause = process.env.TWOPC_PAUSE_AFTER_DECISION === '1';
  const coordinator = new TwoPhaseCoordinator(services, log, {
    afterDecision: pause
      ? async (gid) => {
          process.stdout.write(`DECIDED ${gid}\n`);
          // Never resolves: the parent kills the process here.
          await new Promise<never>(() => setInterval(() => undefined, 60_000));
        }
      : undefined,
  });
  const resourceId = Number(env('TWOPC_RESOURCE_ID'));
  const f = await coordinator.run(
    env('TWOPC_GID'),
    services.map(() => ({ resourceId, amount: 1 })),
  );
  process.stdout.write(`COMMITTED ${JSON.stringify(f)}\n`);
  await Promise.all([...services, log].map((p) => p.end()));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
