// The built service (what `npm start` runs): NODE_ENV=production without SAGA_API_KEYS refuses
// to start with a message that says what to set; with keys it starts and never prints them.
import { spawn } from 'node:child_process';
import { SERVICE_MAIN, startServiceProcess } from '../support/service-process';
import { createTestDatabase } from '../support/test-database';

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const envWithout = { ...process.env };
    delete envWithout.SAGA_API_KEYS;
    const proc = spawn(process.execPath, [SERVICE_MAIN], {
      env: { ...envWithout, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('NODE_ENV=production', () => {
  it('without SAGA_API_KEYS: exits non-zero at once, naming SAGA_API_KEYS', async () => {
    const databaseUrl = await createTestDatabase('prod');
    const { code, output } = await run({ NODE_ENV: 'production', DATABASE_URL: databaseUrl });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain('SAGA_API_KEYS must be set when NODE_ENV=production');
    expect(output).not.toMatch(/sagachart listening/);
  });

  it('with SAGA_API_KEYS: starts, and neither a key nor its ro: twin is printed', async () => {
    const key = 'production-key-0123456789abcdef';
    const ro = 'production-ro-key-0123456789abcdef';
    const svc = await startServiceProcess({
      NODE_ENV: 'production',
      DATABASE_URL: await createTestDatabase('prod'),
      SAGA_API_KEYS: `${key},ro:${ro}`,
    });
    try {
      const ok = await fetch(`${svc.baseUrl}/api/v1/definitions`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(ok.status).toBe(200);
      expect(
        (
          await fetch(`${svc.baseUrl}/api/v1/definitions`, {
            headers: { authorization: `Bearer ${ro}` },
          })
        ).status,
      ).toBe(200);
    } finally {
      expect(await svc.kill('SIGTERM')).toBe(0);
    }
    expect(svc.output()).toContain('sagachart listening');
    expect(svc.output()).not.toContain(key);
    expect(svc.output()).not.toContain(ro);
  });
});
