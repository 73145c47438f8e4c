import { z } from 'zod';
import { parseRequest } from '../http/zod-request';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MIN_MS = UNIT_MS.m;
const MAX_MS = 30 * UNIT_MS.d;

/** The window of `GET /api/v1/stats`: its spelling as given and its length. */
export interface StatsWindow {
  window: string;
  ms: number;
}

/** Length in ms of a window like `15m`, `6h`, `7d`; null when it is not one. */
export function windowMs(window: string): number | null {
  const m = /^(\d{1,6})(m|h|d)$/.exec(window);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
}

const statsQuerySchema = z
  .object({
    window: z
      .string()
      .default('1h')
      .refine((w) => windowMs(w) !== null, {
        message: 'must be a number followed by m, h or d, e.g. 5m, 15m, 1h, 6h, 24h, 7d',
      })
      .refine(
        (w) => {
          const ms = windowMs(w);
          return ms === null || (ms >= MIN_MS && ms <= MAX_MS);
        },
        { message: 'must be between 1m and 30d' },
      ),
  })
  .strict();

/** Parses the stats query (`?window=`, default `1h`); anything else is a 400 with `details`. */
export function parseStatsQuery(query: unknown): StatsWindow {
  const { window } = parseRequest(statsQuerySchema, query ?? {}, 'query', 'stats query');
  return { window, ms: windowMs(window)! };
}
