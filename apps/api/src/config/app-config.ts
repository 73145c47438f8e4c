// The environment is read here and only here: validated, typed, and refused at boot with a
// message that says which variable is wrong (STYLE.md #8).
import path from 'node:path';
import { z } from 'zod';
import {
  parseParticipantHosts,
  type ParticipantHostPolicy,
} from '../participants/participant-hosts';

export type SagaRole = 'all' | 'api' | 'worker';

export interface AppConfig {
  port: number;
  host: string;
  /** Unset: an embedded PostgreSQL under dataDir is started. */
  databaseUrl: string | undefined;
  /** Unset: BullMQ's PostgreSQL backend on the saga database. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key BullMQ writes, so that clusters can share one Redis. */
  redisPrefix: string;
  dataDir: string;
  /** Unset outside production: a development key is generated under dataDir. */
  apiKeys: ApiKey[] | undefined;
  faultsEnabled: boolean;
  role: SagaRole;
  production: boolean;
  /** Step jobs one worker process runs at once. */
  workerConcurrency: number;
  /** How often the recovery sweep re-enqueues what sagas wait for. */
  recoveryIntervalMs: number;
  /** A saga untouched this long while waiting on a step is considered for recovery. */
  recoveryGraceMs: number;
  /** BullMQ lock and stall-check period: how soon a killed worker's job runs again. */
  stalledIntervalMs: number;
  logLevel: string;
  /** Comma-separated CORS origins; unset: CORS off. */
  corsOrigins: string[];
  /** Requests per minute per API key before 429; unset (the default): no limit. */
  rateLimitPerMinute: number | undefined;
  shutdownGraceMs: number;
  /** Where HTTP participants may be (SAGA_PARTICIPANT_HOSTS); unset: loopback only. */
  participantHosts: ParticipantHostPolicy;
  /** Signs every participant request (X-Saga-Signature) when set. */
  signingSecret: string | undefined;
  /** Base of callback URLs (SAGA_PUBLIC_URL); unset: http://HOST:PORT as listened on. */
  publicUrl: string | undefined;
  /** Delivery of published events to subscriptions (API.md, "Choreography"). */
  events: EventDeliveryConfig;
  stats: { failureRateThreshold: number; compensationRateThreshold: number; stuckAfterMs: number };
}

export interface EventDeliveryConfig {
  /** HTTP attempts per delivery before it is a dead letter. */
  attempts: number;
  /** First retry delay; doubled per attempt (with jitter) up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Bound of one delivery request, connection to last byte. */
  timeoutMs: number;
  /** Deliveries one worker process runs at once per subscription. */
  concurrency: number;
}

/** An API key and what it may do; keys written `ro:<key>` in SAGA_API_KEYS may only read. */
export interface ApiKey {
  key: string;
  readOnly: boolean;
}

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  PORT: intFrom(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  SAGA_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1 to 64)')
    .default('sagachart'),
  DATA_DIR: z.string().min(1).default('./.data'),
  SAGA_API_KEYS: z.string().optional(),
  SAGA_FAULTS: z.enum(['enabled', 'disabled', 'off', '']).optional(),
  SAGA_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  NODE_ENV: z.string().optional(),
  SAGA_WORKER_CONCURRENCY: intFrom(1, 500).default(16),
  SAGA_RECOVERY_INTERVAL_MS: intFrom(100, 3_600_000).default(5000),
  SAGA_RECOVERY_GRACE_MS: intFrom(0, 3_600_000).default(5000),
  SAGA_STALLED_INTERVAL_MS: intFrom(500, 600_000).default(5000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SAGA_CORS_ORIGINS: z.string().optional(),
  SAGA_RATE_LIMIT_PER_MINUTE: intFrom(1, 10_000_000).optional(),
  SAGA_SHUTDOWN_GRACE_MS: intFrom(0, 600_000).default(10_000),
  SAGA_PARTICIPANT_HOSTS: z.string().optional(),
  SAGA_SIGNING_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  SAGA_PUBLIC_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL')
    .optional(),
  SAGA_EVENT_DELIVERY_ATTEMPTS: intFrom(1, 100).default(10),
  SAGA_EVENT_BACKOFF_MS: intFrom(1, 3_600_000).default(1000),
  SAGA_EVENT_MAX_BACKOFF_MS: intFrom(1, 86_400_000).default(300_000),
  SAGA_EVENT_TIMEOUT_MS: intFrom(100, 600_000).default(10_000),
  SAGA_EVENT_CONCURRENCY: intFrom(1, 100).default(4),
  SAGA_ALERT_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0.05),
  SAGA_ALERT_COMPENSATION_RATE: z.coerce.number().min(0).max(1).default(0.2),
  SAGA_ALERT_STUCK_AFTER_MS: intFrom(1000, 86_400_000).default(300_000),
});

/** Thrown when the environment is invalid; the message lists every wrong variable. */
export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
}

function parseApiKeys(raw: string | undefined): ApiKey[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const keys = raw
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) =>
      k.startsWith('ro:') ? { key: k.slice(3), readOnly: true } : { key: k, readOnly: false },
    );
  for (const k of keys) {
    if (k.key.length < 16) {
      throw new InvalidEnvironmentError(
        'Invalid environment variables: SAGA_API_KEYS: every key needs at least 16 characters.',
      );
    }
  }
  return keys;
}

/** Reads and validates the environment. Throws InvalidEnvironmentError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new InvalidEnvironmentError(`Invalid environment variables: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  let participantHosts: ParticipantHostPolicy;
  try {
    participantHosts = parseParticipantHosts(e.SAGA_PARTICIPANT_HOSTS);
  } catch (err) {
    throw new InvalidEnvironmentError(
      `Invalid environment variables: SAGA_PARTICIPANT_HOSTS: ${(err as Error).message} (comma-separated host, host:port or *.domain).`,
    );
  }
  const apiKeys = parseApiKeys(e.SAGA_API_KEYS);
  if (production && !apiKeys) {
    throw new InvalidEnvironmentError(
      'Invalid environment variables: SAGA_API_KEYS must be set when NODE_ENV=production (comma-separated keys; prefix a key with "ro:" for read-only).',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.SAGA_QUEUE_PREFIX,
    dataDir: path.resolve(e.DATA_DIR),
    apiKeys,
    faultsEnabled: e.SAGA_FAULTS === 'enabled',
    role: e.SAGA_ROLE,
    production,
    workerConcurrency: e.SAGA_WORKER_CONCURRENCY,
    recoveryIntervalMs: e.SAGA_RECOVERY_INTERVAL_MS,
    recoveryGraceMs: e.SAGA_RECOVERY_GRACE_MS,
    stalledIntervalMs: e.SAGA_STALLED_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    corsOrigins: (e.SAGA_CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    rateLimitPerMinute: e.SAGA_RATE_LIMIT_PER_MINUTE,
    shutdownGraceMs: e.SAGA_SHUTDOWN_GRACE_MS,
    participantHosts,
    signingSecret: e.SAGA_SIGNING_SECRET,
    publicUrl: e.SAGA_PUBLIC_URL?.replace(/\/+$/, ''),
    events: {
      attempts: e.SAGA_EVENT_DELIVERY_ATTEMPTS,
      backoffMs: e.SAGA_EVENT_BACKOFF_MS,
      maxBackoffMs: Math.max(e.SAGA_EVENT_BACKOFF_MS, e.SAGA_EVENT_MAX_BACKOFF_MS),
      timeoutMs: e.SAGA_EVENT_TIMEOUT_MS,
      concurrency: e.SAGA_EVENT_CONCURRENCY,
    },
    stats: {
      failureRateThreshold: e.SAGA_ALERT_FAILURE_RATE,
      compensationRateThreshold: e.SAGA_ALERT_COMPENSATION_RATE,
      stuckAfterMs: e.SAGA_ALERT_STUCK_AFTER_MS,
    },
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
