// The OpenAPI document and Swagger UI the app serves: valid OpenAPI, every real route in it
// (and nothing that is not served), request schemas generated from the zod schemas, and a UI
// that loads from the service itself under the app's CSP.
import SwaggerParser from '@apidevtools/swagger-parser';
import { orderInputSchema, sagaDefinitionSchema } from '@app/saga-machines';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../apps/api/src/docs/openapi-document';
import { launchChromium, watchErrors } from '../ui/browser';
import { startTestApp, type TestApp } from '../support/test-app';

type Json = Record<string, any>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Routes in the Express router, as `METHOD /path/{param}`; Swagger's own /docs routes left out. */
function servedRoutes(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  const routes = new Set<string>();
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    const openApiPath = layer.route.path
      .replace(/\/$/, '')
      .replace(/:(\w+)/g, '{$1}')
      .replace(/\*(\w+)/g, '{$1}');
    if (/^\/docs/.test(openApiPath)) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && METHODS.includes(method))
        routes.add(`${method.toUpperCase()} ${openApiPath || '/'}`);
    }
  }
  return [...routes].sort();
}

function documentedRoutes(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths)
    .flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    )
    .sort();
}

/** Not Express routes but mounted routers: documented, and checked by fetching them. */
const MOUNTED = ['GET /queues'];

/** Routes under /api/v1 whose credential is not an API key. */
const KEYLESS = ['/api/v1/callbacks/{token}'];

/** Every .ts file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** A validator of response bodies against the document's schemas (refs resolved). */
async function schemaValidator(doc: Json) {
  const resolved = (await SwaggerParser.dereference(structuredClone(doc) as never)) as Json;
  // OpenAPI adds `example` beside JSON Schema's keywords; ajv need not know it.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return (name: string, value: unknown) => {
    const validate = ajv.compile(resolved.components.schemas[name]);
    return validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

describe('API docs at /docs and /docs-json', () => {
  let t: TestApp;
  let doc: Json;

  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_FAULTS: 'enabled' } });
    const res = await fetch(`${t.baseUrl}/docs-json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Json;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('/docs-json without an API key: a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents every route the app serves, and only those', () => {
    const served = servedRoutes(t);
    expect(served.length).toBeGreaterThan(20);
    expect(documentedRoutes(doc as never)).toEqual([...served, ...MOUNTED].sort());
  });

  it('the mounted routers it documents are there (401 without a key, not 404)', async () => {
    for (const route of MOUNTED) {
      const res = await fetch(t.baseUrl + route.split(' ')[1]);
      expect(res.status).toBe(401);
    }
  });

  it('/api/v1 routes need the bearer key (callbacks none: their token is the credential); /health, /metrics, /ui need none', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const op of Object.values(item)) {
        if (KEYLESS.includes(p)) {
          expect(op.security).toEqual([]);
          expect(op.responses['401']).toBeUndefined();
        } else if (p.startsWith('/api/v1')) {
          expect(op.security).toEqual([{ bearer: [] }]);
          expect(op.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
        } else if (p !== '/queues') {
          expect(op.security).toEqual([]);
        }
      }
    }
  });

  it('the order input schema is the one the route validates with (generated from zod)', () => {
    const { $schema: _dialect, ...fromZod } = z.toJSONSchema(orderInputSchema, {
      io: 'input',
    }) as Record<string, unknown>;
    expect(doc.components.schemas.OrderInput).toMatchObject(fromZod);
    const body = doc.components.schemas.CreateSagaRequest;
    expect(body.required).toEqual(['definition', 'input']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.input.$ref).toBe('#/components/schemas/OrderInput');
    // SAGA_FAULTS=enabled: saga-scoped faults may be given with the create request.
    expect(body.properties.faults.items.$ref).toBe('#/components/schemas/FaultRequest');
    expect(doc.components.schemas.FaultRequest.properties.mode.enum).toEqual([
      'fail',
      'transient',
      'timeout',
      'delay',
    ]);
  });

  it('the definition document of POST /definitions is the zod schema the engine validates with, the defaults optional', () => {
    const { $schema: _dialect, ...fromZod } = z.toJSONSchema(sagaDefinitionSchema, {
      io: 'input',
    }) as Record<string, any>;
    const body = doc.components.schemas.DefinitionDocument;
    expect(Object.keys(body.properties)).toEqual(Object.keys(fromZod.properties));
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['name', 'steps']);
    expect(body.properties.name.pattern).toBe(fromZod.properties.name.pattern);
    expect(body.properties.deadlineMs.default).toBe(3_600_000);
    const step = body.properties.steps.items;
    expect(Object.keys(step.properties)).toEqual(
      Object.keys(fromZod.properties.steps.items.properties),
    );
    expect(step.additionalProperties).toBe(false);
    // compensation is optional: the pivot and the steps after it have none.
    expect(step.required).toEqual(['name', 'participant', 'action']);
    expect(step.properties.timeoutMs.default).toBe(5000);
    expect(step.properties.retry.default).toEqual({
      maxAttempts: 3,
      backoffMs: 100,
      maxBackoffMs: 2000,
    });
    expect(step.properties.async).toMatchObject({ type: 'boolean', default: false });
    const post = doc.paths['/api/v1/definitions'].post;
    expect(post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/DefinitionDocument',
    );
    expect(Object.keys(post.responses).sort()).toEqual(
      ['200', '201', '400', '401', '403', '409', '413', '429'].sort(),
    );
    expect(post.responses['201'].headers.Location).toBeDefined();
    const retire = doc.paths['/api/v1/definitions/{name}'].delete;
    expect(retire.parameters.find((p: Json) => p.name === 'version').required).toBe(true);
    expect(Object.keys(retire.responses)).toEqual(
      expect.arrayContaining(['200', '400', '403', '404', '409']),
    );
    const callback = doc.paths['/api/v1/callbacks/{token}'].post;
    expect(Object.keys(callback.responses).sort()).toEqual(
      ['200', '202', '400', '404', '409', '413', '429'].sort(),
    );
  });

  it('every step error code the service assigns itself is documented; fault codes only with SAGA_FAULTS', () => {
    const assigned = new Set<string>();
    for (const file of sourceFiles(path.resolve(__dirname, '../../apps/api/src'))) {
      if (file.includes(`${path.sep}docs${path.sep}`)) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/new (?:Terminal|Retryable)StepError\(\s*'([A-Z0-9_]+)'/g))
        assigned.add(m[1]);
      for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)) assigned.add(m[1]);
    }
    expect(assigned.size).toBeGreaterThan(5);
    const documented: string[] = doc.components.schemas.ServiceErrorCode.enum;
    expect(documented).toEqual(expect.arrayContaining([...assigned]));
    expect(documented).toEqual(expect.arrayContaining(['DEADLINE_EXCEEDED', 'CANCELLED']));
    for (const code of documented)
      expect(doc.components.schemas.ServiceErrorCode.description).toContain(`\`${code}\``);
    // The same document without fault injection does not list the injected faults' codes.
    const without = buildOpenApiDocument({ faultsEnabled: false, version: '0.0.0' }) as Json;
    const plain: string[] = without.components.schemas.ServiceErrorCode.enum;
    expect(plain).not.toContain('INJECTED_FAULT');
    expect(documented.filter((c) => !plain.includes(c)).sort()).toEqual([
      'INJECTED_FAULT',
      'INJECTED_TRANSIENT_FAULT',
    ]);
  });

  it("the answers of the definition and callback routes match the document's schemas", async () => {
    const check = await schemaValidator(doc);
    // A participant that accepts everything: enough to register and run a definition.
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const document = {
        name: 'docs-check',
        description: 'Two HTTP steps, the second async.',
        participants: { svc: { url } },
        inputSchema: { type: 'object', properties: { n: { type: 'integer' } } },
        steps: [
          { name: 'first', participant: 'svc', action: 'do', compensation: 'undo' },
          {
            name: 'second',
            participant: 'svc',
            action: 'do',
            compensation: 'undo',
            async: true,
            timeoutMs: 60_000,
          },
        ],
      };
      const bodyErrors = check('DefinitionDocument', document);
      expect(bodyErrors).toEqual([]);
      const created = await t.api('/api/v1/definitions', { method: 'POST', json: document });
      expect(created.status).toBe(201);
      expect(check('DefinitionRegistration', await created.json())).toEqual([]);
      const again = await t.api('/api/v1/definitions', { method: 'POST', json: document });
      expect(again.status).toBe(200);
      expect(check('DefinitionRegistration', await again.json())).toEqual([]);
      const list = (await (await t.api('/api/v1/definitions')).json()) as Json[];
      expect(list.map((d) => d.source)).toEqual(['built-in', 'registered']);
      for (const d of list) expect(check('Definition', d)).toEqual([]);
      const one = await (await t.api('/api/v1/definitions/docs-check?version=1')).json();
      expect(check('DefinitionWithMachine', one)).toEqual([]);

      const lint = await t.api('/api/v1/definitions', {
        method: 'POST',
        json: { name: 'broken', steps: [{ name: 'a', participant: 'svc', action: 'x' }] },
      });
      expect(lint.status).toBe(400);
      expect(check('Error', await lint.json())).toEqual([]);
      const builtIn = await t.api('/api/v1/definitions', {
        method: 'POST',
        json: { ...document, name: 'order' },
      });
      expect(builtIn.status).toBe(409);
      expect(check('Error', await builtIn.json())).toEqual([]);

      const forged = await fetch(`${t.baseUrl}/api/v1/callbacks/not-a-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'succeeded', output: null }),
      });
      expect(forged.status).toBe(404);
      expect(check('Error', await forged.json())).toEqual([]);
      expect(check('CallbackRequest', { status: 'succeeded', output: { ref: 1 } })).toEqual([]);
      expect(
        check('CallbackRequest', { status: 'failed', error: { code: 'X' }, retryable: true }),
      ).toEqual([]);
      expect(check('CallbackRequest', { status: 'done' })).not.toEqual([]);

      const retired = await t.api('/api/v1/definitions/docs-check?version=1', {
        method: 'DELETE',
      });
      expect(retired.status).toBe(200);
      const summary = await retired.json();
      expect(check('Definition', summary)).toEqual([]);
      expect(summary.retiredAt).toEqual(expect.any(String));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('the error shape of API.md, with details', () => {
    expect(doc.components.schemas.Error.required).toEqual(['statusCode', 'error', 'message']);
    expect(doc.components.schemas.Error.properties.details.items.required).toEqual([
      'path',
      'message',
    ]);
    const listParams = doc.paths['/api/v1/sagas'].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(listParams).toEqual(['status', 'definition', 'limit', 'cursor']);
  });

  it('/docs: 200 HTML without a key, every script and stylesheet served by the app itself', async () => {
    const res = await fetch(`${t.baseUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from elsewhere
    const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css|png))"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining([
        './docs/swagger-ui-bundle.js',
        './docs/swagger-ui-init.js',
        './docs/swagger-ui.css',
      ]),
    );
    for (const asset of assets) {
      const a = await fetch(new URL(asset, `${t.baseUrl}/docs`));
      expect([asset, a.status]).toEqual([asset, 200]);
    }
    const init = await (await fetch(`${t.baseUrl}/docs/swagger-ui-init.js`)).text();
    expect(init).toMatch(/"openapi": *"3\.1\.0"/);
  });

  it('in Chromium, Swagger UI renders every operation with no CSP violation or page error', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      watchErrors(page, errors);
      const external: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(t.baseUrl) && !r.url().startsWith('data:')) external.push(r.url());
      });
      await page.goto(`${t.baseUrl}/docs`);
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      const operations = await page.locator('.opblock').count();
      expect(operations).toBe(documentedRoutes(doc as never).length);
      expect(await page.locator('.title').first().innerText()).toContain('sagachart');
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
