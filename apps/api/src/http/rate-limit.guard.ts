// Requests per minute per API key (SAGA_RATE_LIMIT_PER_MINUTE) on /api/v1, answered 429 with
// Retry-After past the limit. /health, /metrics and /ui are not limited: probes and scrapers
// must keep working while a client is throttled.
//
// The counters live in this process's memory: in a cluster of N API processes a key gets up
// to N times the limit, unless a shared ThrottlerStorage (e.g. on Redis) replaces this one.
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerStorageService } from '@nestjs/throttler';
import type { Request } from 'express';
import { ApiKeyVerifier } from '../auth/api-key-verifier';
import type { AppConfig } from '../config/app-config';

const LIMITED = /^\/api\/v1(\/|$)/;

/**
 * Tracks a valid key by its SHA-256 digest (never the key itself), so the limit follows the
 * key across routes and client addresses. A request without a valid key is tracked by client
 * address instead: guessing keys is limited too, and a made-up key cannot open a fresh bucket.
 */
export class ApiRateLimitGuard extends ThrottlerGuard {
  private readonly verifier: ApiKeyVerifier;

  constructor(config: AppConfig, reflector: Reflector) {
    super(
      {
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.rateLimitPerMinute }],
        errorMessage: `Too many requests: at most ${config.rateLimitPerMinute} per minute per API key. Retry after the time in the Retry-After header.`,
      },
      new ThrottlerStorageService(),
      reflector,
    );
    this.verifier = new ApiKeyVerifier(config.apiKeys);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return !LIMITED.test(context.switchToHttp().getRequest<Request>().path);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const token = ApiKeyVerifier.bearerToken((req as unknown as Request).headers.authorization);
    const key = token ? this.verifier.verify(token) : null;
    return key ? `key:${key.digestHex}` : `ip:${(req as unknown as Request).ip ?? 'unknown'}`;
  }

  /** One bucket per tracker for all routes (the default is one per route). */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }
}

/** The guard, initialised (ThrottlerGuard reads its options in onModuleInit). */
export async function createRateLimitGuard(
  config: AppConfig,
  reflector: Reflector,
): Promise<ApiRateLimitGuard> {
  const guard = new ApiRateLimitGuard(config, reflector);
  await guard.onModuleInit();
  return guard;
}
