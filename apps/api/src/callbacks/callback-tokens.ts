// Async-step callback tokens (API.md, "Async steps and callbacks"), like Step Functions' task
// tokens: the token is the credential. It names what it is for (saga, step, kind, item, retry
// round) and carries an HMAC of that under a secret the cluster shares through the database,
// so any process can check it without a lookup, and nobody can make one up.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';

/** What a callback token is bound to. */
export interface CallbackBinding {
  sagaId: string;
  step: string;
  kind: 'execute' | 'compensate';
  /** forEach item index; null for a whole step. */
  item: number | null;
  /** The saga's retry round when the step was dispatched (a RETRY makes new tokens). */
  round: number;
}

const SECRET_NAME = 'callback-token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STEP = /^[a-z][a-z0-9_]{0,62}$/;

function b64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

@Injectable()
export class CallbackTokens implements OnModuleInit {
  private secret: Buffer | null = null;

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async onModuleInit(): Promise<void> {
    // The first process of a cluster makes the secret; every other one reads the same row.
    await this.ds.query(
      `INSERT INTO saga.service_secret (name, secret, created_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO NOTHING`,
      [SECRET_NAME, randomBytes(32).toString('hex')],
    );
    const rows: { secret: string }[] = await this.ds.query(
      `SELECT secret FROM saga.service_secret WHERE name = $1`,
      [SECRET_NAME],
    );
    this.secret = Buffer.from(rows[0].secret, 'hex');
  }

  private mac(payload: string): Buffer {
    if (!this.secret) throw new Error('callback tokens used before the module initialised');
    return createHmac('sha256', this.secret).update(payload).digest();
  }

  /** The token for a binding (deterministic: every attempt of a round gets the same one). */
  issue(b: CallbackBinding): string {
    const payload = [b.sagaId, b.step, b.kind, b.item ?? '-', b.round].join('.');
    return `${b64url(payload)}.${b64url(this.mac(payload))}`;
  }

  /** The binding of a genuine token; null for anything forged, altered or malformed. */
  verify(token: string): CallbackBinding | null {
    if (token.length > 400) return null;
    const [p, m, extra] = token.split('.');
    if (!p || !m || extra !== undefined) return null;
    const payload = Buffer.from(p, 'base64url').toString('utf8');
    const given = Buffer.from(m, 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const [sagaId, step, kind, item, round] = payload.split('.');
    if (!UUID.test(sagaId ?? '') || !STEP.test(step ?? '')) return null;
    if (kind !== 'execute' && kind !== 'compensate') return null;
    if (!/^(-|\d{1,6})$/.test(item ?? '') || !/^\d{1,9}$/.test(round ?? '')) return null;
    return { sagaId, step, kind, item: item === '-' ? null : Number(item), round: Number(round) };
  }
}
