import { CanActivate, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiKeyVerifier } from './api-key-verifier';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `Authorization: Bearer <key>` on every /api/v1 route (see ApiKeyVerifier for how keys are
 * compared). A read-only key may only GET.
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
    if (!token)
      throw new HttpException(
        'Missing or malformed Authorization header: use "Bearer <key>".',
        401,
      );
    const found = this.verifier.verify(token);
    if (!found) throw new HttpException('Invalid API key.', 401);
    if (found.readOnly && !READ_METHODS.has(req.method)) {
      throw new HttpException('This API key is read-only.', 403);
    }
    (req as Request & { apiKeyId?: string }).apiKeyId = found.digestHex.slice(0, 16);
    return true;
  }
}
