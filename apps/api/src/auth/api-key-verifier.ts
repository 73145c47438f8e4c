import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from '../config/app-config';

/** SHA-256 of a key: what is kept in memory and compared, never the key itself. */
export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** A key the verifier recognised: its digest (hex, safe to use as a rate-limit or log id). */
export interface VerifiedKey {
  digestHex: string;
  readOnly: boolean;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Checks `Authorization: Bearer <key>` against the configured keys. Keys are compared as
 * SHA-256 digests with timingSafeEqual, so neither the content nor the length of a key leaks
 * through timing, and every key is compared (no early exit) so the time taken does not say
 * which one matched.
 */
export class ApiKeyVerifier {
  private readonly keys: { digest: Buffer; readOnly: boolean }[];

  constructor(keys: readonly ApiKey[] | undefined) {
    this.keys = (keys ?? []).map((k) => ({ digest: keyDigest(k.key), readOnly: k.readOnly }));
  }

  /** The bearer token of an Authorization header, or null when the header is not one. */
  static bearerToken(header: string | undefined): string | null {
    return BEARER.exec(header ?? '')?.[1] ?? null;
  }

  /** The matching key for a presented token, or null. */
  verify(token: string): VerifiedKey | null {
    const given = keyDigest(token);
    let found: { readOnly: boolean } | null = null;
    for (const k of this.keys) if (timingSafeEqual(k.digest, given)) found = k;
    return found ? { digestHex: given.toString('hex'), readOnly: found.readOnly } : null;
  }
}
