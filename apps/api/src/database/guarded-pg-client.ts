// node-postgres reports a dropped connection as an 'error' event on its Client, and an 'error'
// event with no listener is an uncaught exception: the process exits with code 1. pg-pool
// removes its own listener while a client is checked out, and whoever checked it out attaches
// one only after pool.connect() has resolved, a microtask later. When PostgreSQL stops (fast
// shutdown, pg_terminate_backend) just after a new connection's startup, the client can read
// ReadyForQuery and FATAL 57P01 in one chunk: the pool hands the connection out and the error
// is emitted in the same tick, with nobody listening. The chaos soak lost its API process so.
import { Logger } from '@nestjs/common';
import { Client, type ClientConfig } from 'pg';

const log = new Logger('PostgreSQL');

/**
 * A pg Client that always has an 'error' listener, for the pools of TypeORM and BullMQ
 * (`Client` in their pool options). The pool and the code holding the client keep their own
 * listeners and do the real handling (discard the connection, fail the query, which answers
 * 503); this one only makes sure that an error emitted while nobody else listens is logged
 * instead of ending the process. The connection is dead either way: pg marks it not queryable,
 * so its next query fails and the pool drops it when it comes back.
 */
export class GuardedPgClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', (err: Error) => {
      if (this.listenerCount('error') > 1) return; // someone else handles (and logs) it
      log.warn(`connection lost before its user listened for errors: ${err.message}`);
    });
  }
}
