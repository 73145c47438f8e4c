// A TCP proxy in front of the test PostgreSQL that can replay, on demand and every time, the
// race a fast shutdown (or pg_terminate_backend) sometimes produces: a backend that has just
// finished a connection's startup sends ReadyForQuery, is told to terminate, and sends
// FATAL 57P01, and the client reads both in ONE chunk. node-postgres then reports the
// connection as ready and emits the error in the same tick, before the code that asked for
// the connection (pool.connect(), client.connect()) has attached its own 'error' listener.
import net from 'node:net';

export interface TerminatingProxy {
  /** postgres://… of `targetUrl`, through the proxy. */
  url: string;
  /**
   * While true, each NEW connection ends right after its first ReadyForQuery with FATAL 57P01
   * in the same write. Connections made before are passed through untouched.
   */
  terminateNewConnections: boolean;
  /** Connections ended that way so far. */
  terminated: number;
  /**
   * While set, each new connection whose startup packet matches (e.g. /search_path/: BullMQ's
   * pool names its schema there) is refused at once with FATAL 57P03, as a PostgreSQL that is
   * shutting down or starting up answers. Others pass.
   */
  refuseStartup: RegExp | null;
  /** Connections refused that way so far. */
  refused: number;
  close(): Promise<void>;
}

/** A FATAL ErrorResponse with this SQLSTATE and message. */
function fatalMessage(code: string, message: string): Buffer {
  const fields: [string, string][] = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', code],
    ['M', message],
  ];
  const body = Buffer.concat([
    ...fields.map(([k, v]) => Buffer.from(`${k}${v}\0`)),
    Buffer.from('\0'),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** ErrorResponse FATAL 57P01, as PostgreSQL sends it to a backend told to shut down. */
const adminShutdownMessage = () =>
  fatalMessage('57P01', 'terminating connection due to administrator command');

export async function startTerminatingProxy(targetUrl: string): Promise<TerminatingProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const proxy: TerminatingProxy = {
    url: '',
    terminateNewConnections: false,
    terminated: 0,
    refuseStartup: null,
    refused: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    const refuse = proxy.refuseStartup;
    if (refuse) {
      // The first chunk from a node-postgres client is its startup packet.
      client.once('data', (startup: Buffer) => {
        if (refuse.test(startup.toString('latin1'))) {
          proxy.refused++;
          client.end(fatalMessage('57P03', 'the database system is shutting down'));
          upstream.destroy();
          return;
        }
        upstream.write(startup);
        client.pipe(upstream);
      });
    } else {
      client.pipe(upstream);
    }
    if (!proxy.terminateNewConnections) {
      upstream.pipe(client);
      return;
    }
    // Whole server messages are passed on as they come (the authentication exchange); the
    // chunk with the first ReadyForQuery ('Z') goes out together with the FATAL error.
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let end = 0;
      while (pending.length - end >= 5) {
        const length = pending.readInt32BE(end + 1);
        if (pending.length - end < 1 + length) break;
        const type = String.fromCharCode(pending[end]);
        end += 1 + length;
        if (type === 'Z') {
          proxy.terminated++;
          client.end(Buffer.concat([pending.subarray(0, end), adminShutdownMessage()]));
          upstream.destroy();
          return;
        }
      }
      if (end > 0) client.write(pending.subarray(0, end));
      pending = pending.subarray(end);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  proxy.url = url.toString();
  return proxy;
}
