// Requests per minute per API key on /api/v1 when SAGA_RATE_LIMIT_PER_MINUTE is set, answered
// 429 with Retry-After past the limit; unset (the default), nothing is limited. /health,
// /metrics and /ui are never limited: probes and scrapers must keep working while a client is
// throttled.
//
// The counters live in this process's memory: in a cluster of N API processes a key gets up
// to N times the limit, unless a shared ThrottlerStorage (e.g. on Redis) replaces this one.
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerStorageService } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ApiKeyVerifier } from '../auth/api-key-verifier';
import type { AppConfig } from '../config/app-config';

const LIMITED = /^\/api\/v1(\/|$)/;
const WINDOW_MS = 60_000;

/**
 * Tracks a valid key by its SHA-256 digest (never the key itself), so the limit follows the
 * key across routes and client addresses. A request without a valid key is tracked by client
 * address instead: guessing keys is limited too, and a made-up key cannot open a fresh bucket.
 */
export class ApiRateLimitGuard extends ThrottlerGuard {
  private readonly verifier: ApiKeyVerifier;

  constructor(config: AppConfig, limitPerMinute: number, reflector: Reflector) {
    super(
      {
        throttlers: [{ name: 'default', ttl: WINDOW_MS, limit: limitPerMinute }],
        errorMessage: `Too many requests: at most ${limitPerMinute} per minute per API key. Retry after the time in the Retry-After header.`,
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

  /**
   * Counts a request the API-key middleware turns away (no valid key) before any guard runs,
   * in its client address's bucket as for any keyless request. Resolves the 429 to answer
   * instead of the 401 once that bucket is over the limit (Retry-After is set), else null.
   */
  async throttleRejected(req: Request, res: Response): Promise<Error | null> {
    const throttler = this.throttlers[0];
    const context = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
      getClass: () => ApiRateLimitGuard,
      getHandler: () => this.throttleRejected,
    } as unknown as ExecutionContext;
    try {
      await this.handleRequest({
        context,
        limit: throttler.limit as number,
        ttl: WINDOW_MS,
        blockDuration: WINDOW_MS,
        throttler,
        getTracker: this.commonOptions.getTracker!,
        generateKey: this.commonOptions.generateKey!,
      });
      return null;
    } catch (err) {
      return err as Error;
    }
  }
}

/**
 * The guard, initialised (ThrottlerGuard reads its options in onModuleInit), or null when
 * SAGA_RATE_LIMIT_PER_MINUTE is unset: then no request is limited.
 */
export async function createRateLimitGuard(
  config: AppConfig,
  reflector: Reflector,
): Promise<ApiRateLimitGuard | null> {
  if (config.rateLimitPerMinute === undefined) return null;
  const guard = new ApiRateLimitGuard(config, config.rateLimitPerMinute, reflector);
  await guard.onModuleInit();
  return guard;
}
