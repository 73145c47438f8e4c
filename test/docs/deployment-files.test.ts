// docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine: the
// services, their wiring, healthchecks and that every variable they set is one the service reads.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { SERVICE_MAIN } from '../support/service-process';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The variables config/app-config.ts reads: the keys of its env schema. */
function variablesTheServiceReads(): Set<string> {
  const source = read('apps/api/src/config/app-config.ts');
  const block = /const envSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source);
  if (!block) throw new Error('envSchema not found in app-config.ts');
  return new Set([...block[1].matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]));
}

/** `${NAME:-default}` and `${NAME:?message}` as compose would resolve them with nothing set. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      if (given[name] !== undefined) return given[name];
      if (op === '-') return arg ?? '';
      throw new Error(`${name} is required: ${arg}`);
    },
  );
}

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  container_name?: string;
  deploy?: unknown;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Service>;
  };
  const { postgres, redis, api, worker } = compose.services;

  it('has postgres (16+), redis, api and worker services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    expect(Number(/^postgres:(\d+)/.exec(postgres.image ?? '')?.[1])).toBeGreaterThanOrEqual(16);
    expect(redis.image).toMatch(/^redis:\d/);
  });

  it('api and worker set only variables the service reads, with API.md names and roles', () => {
    const known = variablesTheServiceReads();
    expect(known.has('DATABASE_URL')).toBe(true); // the parse found the schema
    for (const [name, service] of [
      ['api', api],
      ['worker', worker],
    ] as const) {
      const env = service.environment ?? {};
      for (const key of Object.keys(env))
        expect([name, key, known.has(key)]).toEqual([name, key, true]);
      expect(env).toMatchObject({
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        REDIS_URL: 'redis://redis:6379',
      });
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/sagachart:.*@postgres:5432\/sagachart$/);
      expect(env.SAGA_API_KEYS).toMatch(/^\$\{SAGA_API_KEYS:\?/); // no key baked into the file
    }
    expect(api.environment?.SAGA_ROLE).toBe('api');
    expect(worker.environment?.SAGA_ROLE).toBe('worker');
  });

  it('the environment it gives each process passes the service own validation', () => {
    for (const service of [api, worker]) {
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([k, v]) => [
          k,
          interpolate(String(v), { SAGA_API_KEYS: 'compose-test-key-0123456789' }),
        ]),
      );
      const config = loadConfig(env);
      expect(config).toMatchObject({
        production: true,
        host: '0.0.0.0',
        redisUrl: 'redis://redis:6379',
      });
      expect(config.apiKeys).toEqual([{ key: 'compose-test-key-0123456789', readOnly: false }]);
    }
    expect(() => interpolate(String(api.environment?.SAGA_API_KEYS), {})).toThrow(
      /SAGA_API_KEYS is required/,
    );
  });

  it('healthchecks: /health for api, pg_isready, redis-cli ping', () => {
    expect(api.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3000/health');
    expect(postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(redis.healthcheck?.test.join(' ')).toMatch(/redis-cli.*ping/);
  });

  it('api and worker start after healthy dependencies; workers after a healthy (migrated) api', () => {
    const healthy = { condition: 'service_healthy' };
    expect(api.depends_on).toEqual({ postgres: healthy, redis: healthy });
    expect(worker.depends_on).toEqual({ postgres: healthy, redis: healthy, api: healthy });
  });

  it('only the api publishes a port (3000); workers can be scaled', () => {
    expect(api.ports).toEqual(['${SAGA_PORT:-3000}:3000']);
    expect(api.environment?.PORT).toBe('3000');
    for (const s of [postgres, redis, worker]) expect(s.ports).toBeUndefined();
    expect(worker.container_name).toBeUndefined(); // a fixed name would forbid --scale
    expect(worker.build).toBeDefined();
    expect(worker.image).toBe(api.image);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');

  it('builds on node:20 with npm ci and nest build, runs the built main as a non-root user', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^node:20\b/);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/nest build api/);
    expect(dockerfile).toMatch(/^USER node$/m);
    const cmd = /^CMD (.+)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', 'dist/apps/api/apps/api/src/main.js']);
    // The file the nest build writes, which test/support/service-process.ts also runs.
    expect(path.join(ROOT, cmd ? JSON.parse(cmd)[1] : '')).toBe(SERVICE_MAIN);
    expect(dockerfile).toContain('apps/api/ui');
  });

  it('.dockerignore keeps the context small and free of local state', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.data', 'artifacts', '.env'])
      expect(ignored).toContain(entry);
  });
});
