// The OpenAPI document and Swagger UI the app serves: valid OpenAPI, every real route in it
// (and nothing that is not served), request schemas generated from the zod schemas, and a UI
// that loads from the service itself under the app's CSP.
import SwaggerParser from '@apidevtools/swagger-parser';
import { orderInputSchema } from '@app/saga-machines';
import { z } from 'zod';
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

  it('/api/v1 routes need the bearer key; /health, /metrics, /ui need none', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const op of Object.values(item)) {
        if (p.startsWith('/api/v1')) {
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
