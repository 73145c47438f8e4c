import { CanActivate, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiKeyVerifier } from './api-key-verifier';
import { INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE } from './api-key.middleware';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `Authorization: Bearer <key>` on every /api/v1 route (see ApiKeyVerifier for how keys are
 * compared). A read-only key may only GET. The API-key middleware (api-key.middleware.ts) has
 * already refused requests without a valid key before their body was read; this guard keeps
 * the check on each controller and tells read-only keys apart (403).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly verifier: ApiKeyVerifier;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.verifier = new ApiKeyVerifier(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const token = ApiKeyVerifier.bearerToken(req.headers.authorization);
    if (!token) throw new HttpException(MISSING_KEY_MESSAGE, 401);
    const found = this.verifier.verify(token);
    if (!found) throw new HttpException(INVALID_KEY_MESSAGE, 401);
    if (found.readOnly && !READ_METHODS.has(req.method)) {
      throw new HttpException('This API key is read-only.', 403);
    }
    (req as Request & { apiKeyId?: string }).apiKeyId = found.digestHex.slice(0, 16);
    return true;
  }
}
