// Swagger UI at /docs and the document at /docs-json, served by the app itself from
// swagger-ui-dist in node_modules: no CDN, no API key.
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from './openapi-document';

export const DOCS_PATH = 'docs';

/**
 * The app-wide CSP, with inline styles allowed: Nest's Swagger page carries a `<style>` block
 * and style attributes. Scripts stay 'self' only (the page loads swagger-ui-init.js, no inline
 * script), and the validator badge is off so nothing leaves the host.
 */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'";

/** The version in package.json, found from the source tree, the build, or the working directory. */
function packageVersion(): string {
  for (const dir of [path.resolve(__dirname, '../../../..'), process.cwd()]) {
    try {
      return (
        JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }
      ).version;
    } catch {
      // not here: try the next candidate
    }
  }
  return '0.0.0';
}

/** Mounts /docs (Swagger UI, its assets) and /docs-json (OpenAPI 3.1). */
export function setupApiDocs(app: NestExpressApplication, opts: { faultsEnabled: boolean }): void {
  app.use(`/${DOCS_PATH}`, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    next();
  });
  const document = buildOpenApiDocument({
    faultsEnabled: opts.faultsEnabled,
    version: packageVersion(),
  });
  SwaggerModule.setup(DOCS_PATH, app, document, {
    customSiteTitle: 'sagachart API',
    raw: ['json'],
    swaggerOptions: { validatorUrl: null, persistAuthorization: false, tryItOutEnabled: false },
  });
}
