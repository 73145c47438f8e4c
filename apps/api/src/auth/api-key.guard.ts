import { CanActivate, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * `Authorization: Bearer <key>` on every /api/v1 route. Keys are compared as SHA-256
 * digests with timingSafeEqual, so neither the content nor the length of a key leaks
 * through timing. A read-only key may only GET.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { digest: Buffer; readOnly: boolean }[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = (config.apiKeys ?? []).map((k) => ({ digest: digest(k.key), readOnly: k.readOnly }));
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new HttpException('Missing or malformed Authorization header: use "Bearer <key>".', 401);
    const given = digest(match[1]);
    let found: { readOnly: boolean } | null = null;
    // Check every key (no early exit) so the time taken does not say which one matched.
    for (const k of this.keys) if (timingSafeEqual(k.digest, given)) found = k;
    if (!found) throw new HttpException('Invalid API key.', 401);
    if (found.readOnly && !READ_METHODS.has(req.method)) {
      throw new HttpException('This API key is read-only.', 403);
    }
    (req as Request & { apiKeyId?: string }).apiKeyId = given.toString('hex').slice(0, 16);
    return true;
  }
}
