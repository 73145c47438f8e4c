// Helpers for the operations suites: Prometheus text parsing, and an app whose JSON log lines
// are captured in memory.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { createRootLogger } from '../../apps/api/src/logging/root-logger';
import { apiClient, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (samples only; HELP/TYPE lines skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`. */
export function metric(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export async function scrape(t: Pick<TestApp, 'baseUrl'>): Promise<Sample[]> {
  const res = await fetch(`${t.baseUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/** Metric family names the service exports (from `# TYPE` lines), with histogram suffixes. */
export async function exportedNames(t: Pick<TestApp, 'baseUrl'>): Promise<Set<string>> {
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1] + s);
    if (m[2] === 'summary') for (const s of ['_sum', '_count']) names.add(m[1] + s);
  }
  return names;
}

export interface LoggedApp extends TestApp {
  /** Every JSON line written so far, parsed. */
  lines: Record<string, unknown>[];
  /** The raw text written so far. */
  raw(): string;
}

/** Like startTestApp, but the app's JSON log lines go to memory, at `level`. */
export async function startLoggedApp(
  level: string,
  env: Record<string, string> = {},
): Promise<LoggedApp> {
  const databaseUrl = await createTestDatabase('ops');
  const apiKey = `test-key-${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    PORT: '0',
    SAGA_API_KEYS: apiKey,
    DATABASE_URL: databaseUrl,
    SAGA_RECOVERY_INTERVAL_MS: '1000',
    SAGA_STALLED_INTERVAL_MS: '2000',
    LOG_LEVEL: level,
    ...env,
  });
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const rootLogger = createRootLogger({
    level: config.logLevel,
    destination: sink as unknown as pino.DestinationStream,
  });
  const app = await createApp({ config, databaseUrl, rootLogger, logger: ['error', 'fatal'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = apiClient(baseUrl, apiKey);
  return {
    app,
    baseUrl,
    apiKey,
    databaseUrl,
    config,
    api,
    close: () => app.close(),
    raw: () => text,
    get lines() {
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

/** Polls `fn` until it returns a truthy value, or throws after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
