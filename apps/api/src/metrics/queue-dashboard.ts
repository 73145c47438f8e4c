// Bull Board at /queues: the step queue's jobs, for a person. Works on both BullMQ backends
// (bull-board 9.10 reads PostgreSQL-backend stats itself). Read-only on purpose: retrying or
// removing a step job by hand would bypass the saga runtime, the only code allowed to enqueue
// (DESIGN.md); a stuck saga is retried through POST /api/v1/sagas/:id/retry instead.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { ExecutionContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StepQueue } from '../runtime/step-queue';

export const QUEUE_DASHBOARD_PATH = '/queues';

/**
 * The API key, as for /api/v1: `Authorization: Bearer <key>`, or HTTP Basic with the key as
 * password (any user name), which lets a browser ask for it. Same guard, same rules.
 */
function apiKeyMiddleware(guard: ApiKeyGuard): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
    const asBearer = basic
      ? Buffer.from(basic[1], 'base64').toString('utf8').split(':').slice(1).join(':')
      : null;
    const probe =
      asBearer === null
        ? req
        : ({
            ...req,
            method: req.method,
            headers: { authorization: `Bearer ${asBearer}` },
          } as Request);
    try {
      guard.canActivate({
        switchToHttp: () => ({ getRequest: () => probe }),
      } as unknown as ExecutionContext);
    } catch (err) {
      const status = (err as { getStatus?: () => number }).getStatus?.() ?? 401;
      if (status === 401)
        res.setHeader('WWW-Authenticate', 'Basic realm="sagachart queues", charset="UTF-8"');
      res.status(status).json({
        statusCode: status,
        error: status === 403 ? 'Forbidden' : 'Unauthorized',
        message: (err as Error).message,
      });
      return;
    }
    // bull-board's page uses inline style attributes; loosen style-src for its pages only.
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
    );
    next();
  };
}

/** Mounts the read-only queue dashboard behind the API key. */
export function mountQueueDashboard(app: NestExpressApplication): void {
  const queue = app.get(StepQueue);
  const config = app.get<AppConfig>(APP_CONFIG);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: [
      new BullMQAdapter(queue.queue, {
        readOnlyMode: true,
        description: `saga steps (${queue.backend} backend)`,
      }),
    ],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'sagachart queues' } },
  });
  app.use(
    QUEUE_DASHBOARD_PATH,
    apiKeyMiddleware(new ApiKeyGuard(config)),
    serverAdapter.getRouter(),
  );
}
