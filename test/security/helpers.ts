import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * Sockets that send a callback's headers, declare a body, and never send it: what held every slot of the
 * webhook. They connect from `localAddress` (any 127.x address works on Linux): another peer than the platform.
 */
export async function holdSlowRequests(port: number, count: number, localAddress = '127.0.0.2'): Promise<Socket[]> {
  const head = [
    'POST /qqbot HTTP/1.1',
    'host: 127.0.0.1',
    'content-type: application/json',
    'content-length: 1000',
    `x-signature-timestamp: ${Math.floor(Date.now() / 1000)}`,
    `x-signature-ed25519: ${'ab'.repeat(64)}`,
    '',
    '',
  ].join('\r\n');
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
          socket.once('connect', () => socket.write(head, () => resolve(socket)));
          socket.once('close', () => resolve(socket));
          setTimeout(() => reject(new Error('holdSlowRequests: no connection within 10 s')), 10_000).unref();
        }),
    ),
  );
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
