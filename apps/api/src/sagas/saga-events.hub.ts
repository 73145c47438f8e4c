// Live history for SSE: one LISTEN connection per API process hears every committed saga
// write (pg_notify fires on commit, from whichever process wrote) and wakes the streams.
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DATABASE_URL } from '../database/database.tokens';
import { SAGA_EVENTS_CHANNEL } from '../runtime/saga-store';

type Listener = () => void;

@Injectable()
export class SagaEventsHub implements OnModuleDestroy {
  private readonly log = new Logger(SagaEventsHub.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(@Inject(DATABASE_URL) private readonly databaseUrl: string) {}

  /** Calls `listener` whenever the saga's history grows; returns the unsubscribe function. */
  async subscribe(sagaId: string, listener: Listener): Promise<() => void> {
    await this.connect();
    let set = this.listeners.get(sagaId);
    if (!set) this.listeners.set(sagaId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sagaId);
    };
  }

  private connect(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new Client({ connectionString: this.databaseUrl });
      client.on('notification', (n) => {
        for (const l of this.listeners.get(n.payload ?? '') ?? []) l();
      });
      client.on('error', (err) => {
        this.log.warn(`LISTEN connection lost: ${err.message}; reconnecting on next subscribe`);
        this.client = null;
        // Wake every stream so it re-reads from the database and does not miss anything.
        for (const set of this.listeners.values()) for (const l of set) l();
      });
      await client.connect();
      await client.query(`LISTEN ${SAGA_EVENTS_CHANNEL}`);
      this.client = client;
    })().finally(() => (this.connecting = null));
    return this.connecting;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
