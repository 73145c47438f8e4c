// Run as root, the embedded PostgreSQL runs as the system user `postgres`, which must be able to
// enter every directory on the way to DATA_DIR. A DATA_DIR inside a directory it cannot enter (a
// fresh mkdtemp directory is 0700 root) stops the service at once with a message naming that
// directory and the fix, instead of initdb's bare "Permission denied"; a DATA_DIR that is itself
// such a directory (and not a home) is opened for traversal, and the service starts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICE_MAIN, startServiceProcess } from '../support/service-process';

jest.setTimeout(120_000);

const asRoot = process.getuid?.() === 0;
const KEY = 'data-dir-permissions-key-0123456789';

/** Runs the built service until it exits (or `timeoutMs`): its exit code, output and run time. */
function runUntilExit(env: Record<string, string>, timeoutMs: number) {
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    const started = Date.now();
    const proc = spawn(process.execPath, [SERVICE_MAIN], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGTERM'), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

(asRoot ? describe : describe.skip)('DATA_DIR the postgres user cannot reach (run as root)', () => {
  const made: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('inside a 0700 directory: exits non-zero at once, naming that directory and the fix', async () => {
    const blocked = tempDir('sagachart-blocked-');
    expect(fs.statSync(blocked).mode & 0o777).toBe(0o700);
    const dataDir = path.join(blocked, '.data');
    expect(process.env.DATABASE_URL).toBeUndefined();
    const { code, output, ms } = await runUntilExit(
      { DATA_DIR: dataDir, SAGA_API_KEYS: KEY },
      30_000,
    );
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(ms).toBeLessThan(15_000);
    expect(output).toContain(
      `DATA_DIR ${dataDir} is inside ${blocked} (mode 0700, owner root, group root), which the postgres user cannot enter`,
    );
    expect(output).toContain(`chmod o+x ${blocked}, or choose a DATA_DIR elsewhere`);
    expect(output).not.toMatch(/Permission denied/);
    // Stopped before initdb: no cluster was made, and the blocking directory was left as it was.
    expect(fs.existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(false);
    expect(fs.statSync(blocked).mode & 0o777).toBe(0o700);
  });

  it('DATA_DIR itself a fresh 0700 directory (not a home): opened for traversal only, and the service starts', async () => {
    const dataDir = tempDir('sagachart-own-');
    const svc = await startServiceProcess({ DATA_DIR: dataDir, SAGA_API_KEYS: KEY }, 90_000);
    try {
      // Others may enter (to reach pg/, which belongs to postgres) but not list or write.
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o701);
      const res = await fetch(`${svc.baseUrl}/health`);
      expect(res.status).toBe(200);
    } finally {
      expect(await svc.kill('SIGTERM')).toBe(0);
    }
  });
});
