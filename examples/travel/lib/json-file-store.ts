// A service's whole state in one JSON file: loaded at start, rewritten atomically (temporary
// file, fsync, rename) after every change. Plenty for an example service; a real one would
// use its own database, the saga does not care which.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export class JsonFileStore<S extends object> {
  private queue: Promise<unknown> = Promise.resolve();
  private durable: string;

  private constructor(
    readonly file: string,
    private state: S,
  ) {
    this.durable = JSON.stringify(state);
  }

  /** Opens `file` (creating its directory), or starts from `initial()` when it does not exist. */
  static async open<S extends object>(file: string, initial: () => S): Promise<JsonFileStore<S>> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    let text: string | null = null;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === null) return new JsonFileStore(file, initial());
    try {
      return new JsonFileStore(file, { ...initial(), ...(JSON.parse(text) as S) });
    } catch (err) {
      // Never start over silently on a damaged file: that would forget bookings.
      throw new Error(`${file} is not valid JSON; fix or remove it`, { cause: err });
    }
  }

  /** The state as last written to disk (a copy: changes to it go nowhere). */
  read(): S {
    return JSON.parse(this.durable) as S;
  }

  /**
   * Runs `change` on the state, one change at a time, and resolves once the result is on disk.
   * If `change` throws or the write fails, the state goes back to what is on disk and the
   * promise rejects: nothing is half-applied and nothing is answered that is not durable.
   */
  transact<T>(change: (state: S) => T): Promise<T> {
    const run = this.queue.then(async () => {
      try {
        const result = change(this.state);
        const json = JSON.stringify(this.state);
        if (json !== this.durable) {
          await this.write(JSON.stringify(this.state, null, 2));
          this.durable = json;
        }
        return result;
      } catch (err) {
        this.state = JSON.parse(this.durable) as S;
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for the changes already asked for. */
  async settled(): Promise<void> {
    await this.queue;
  }

  private async write(text: string): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(`${text}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.file);
    // Make the rename itself durable; not every platform lets a directory be fsynced.
    const dir = await fs.open(path.dirname(this.file), 'r').catch(() => null);
    await dir
      ?.sync()
      .catch(() => undefined)
      .finally(() => dir.close());
  }
}
