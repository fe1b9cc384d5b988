import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

/** A callback's headers declaring a body that never follows: what held every slot of the webhook. */
export function slowRequestHead(): string {
  return [
    'POST /qqbot HTTP/1.1',
    'host: 127.0.0.1',
    'content-type: application/json',
    'content-length: 1000',
    `x-signature-timestamp: ${Math.floor(Date.now() / 1000)}`,
    `x-signature-ed25519: ${'ab'.repeat(64)}`,
    '',
    '',
  ].join('\r\n');
}

/**
 * `count` sockets to `port` from `localAddress` (any 127.x address works on Linux: another peer than the
 * platform), each sending `head` once connected ('' sends nothing: an idle connection).
 */
export async function holdConnections(
  port: number,
  count: number,
  localAddress: string,
  head: string,
): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port, localAddress });
          // A socket the server drops is no failure of the client: it simply stops holding anything.
          socket.on('error', () => undefined);
          // Reads whatever the server answers, so its close is seen.
          socket.resume();
          socket.once('connect', () => (head === '' ? resolve(socket) : socket.write(head, () => resolve(socket))));
          socket.once('close', () => resolve(socket));
          setTimeout(() => reject(new Error('holdConnections: no connection within 10 s')), 10_000).unref();
        }),
    ),
  );
}

/** Requests that send their headers and never their body, from `localAddress`. */
export function holdSlowRequests(port: number, count: number, localAddress = '127.0.0.2'): Promise<Socket[]> {
  return holdConnections(port, count, localAddress, slowRequestHead());
}

/** How many of `sockets` the server has closed. */
export function closedCount(sockets: Socket[]): number {
  return sockets.filter((s) => s.destroyed || s.readableEnded).length;
}

export function releaseAll(sockets: Socket[]): void {
  for (const socket of sockets) socket.destroy();
}

export interface HostServer {
  port: number;
  close(): Promise<void>;
}

/** The host's own node:http server, node's defaults, on 127.0.0.1 with a free port. */
export async function listenHost(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<HostServer> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
