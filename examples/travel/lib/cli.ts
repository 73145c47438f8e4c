// Starting a service from the command line: settings from the environment, one log line per
// request, a clean stop on Ctrl-C / SIGTERM.
import path from 'node:path';
import type { RunningService } from './participant-http';

/** TRAVEL_DATA_DIR, or examples/travel/.data (git-ignored). */
export function defaultDataDir(): string {
  return process.env.TRAVEL_DATA_DIR || path.join(__dirname, '..', '.data');
}

/** Starts the services `start` gives, prints their URLs, stops them on SIGINT/SIGTERM. */
export function runFromCli(start: () => Promise<Record<string, RunningService>>): void {
  Promise.resolve()
    .then(start)
    .then(
      (services) => {
        for (const [name, service] of Object.entries(services)) {
          console.log(`${name.padEnd(9)} service at ${service.url}`);
        }
        const stop = () =>
          void Promise.all(Object.values(services).map((s) => s.close())).then(() =>
            process.exit(0),
          );
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
      (err: unknown) => {
        console.error(`travel example did not start: ${(err as Error).message}`);
        process.exit(1);
      },
    );
}
