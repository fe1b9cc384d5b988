import { request, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer for the fleet tests, on 127.0.0.1: each request goes to the next upstream in turn, its body
 * buffered first (as the docs' proxy examples do). An upstream that refuses or drops a connection is taken out
 * of the rotation (a passive health check) and the request is answered 502, which the platform — and the
 * testing kit's poster — redelivers.
 */
export class RoundRobinProxy {
  readonly #server: Server;
  readonly #upstreams: { port: number; up: boolean }[];
  #next = 0;
  /** Requests answered 502 because their upstream failed. */
  failed = 0;

  private constructor(server: Server, ports: readonly number[]) {
    this.#server = server;
    this.#upstreams = ports.map((port) => ({ port, up: true }));
  }

  static async start(ports: readonly number[]): Promise<RoundRobinProxy> {
    // The handler runs only once a request comes, after `proxy` is set.
    const server = createServer((req, res) => proxy.#forward(req, res));
    const proxy = new RoundRobinProxy(server, ports);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/qqbot`);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #pick(): { port: number; up: boolean } | undefined {
    for (let i = 0; i < this.#upstreams.length; i++) {
      const upstream = this.#upstreams[this.#next++ % this.#upstreams.length]!;
      if (upstream.up) return upstream;
    }
    return undefined;
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const upstream = this.#pick();
      if (upstream === undefined) return this.#fail(res);
      const body = Buffer.concat(chunks);
      const out = request(
        {
          host: '127.0.0.1',
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, connection: 'keep-alive' },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
            res.end(Buffer.concat(parts));
          });
          answer.on('error', () => this.#fail(res));
        },
      );
      out.on('error', () => {
        upstream.up = false;
        this.#fail(res);
      });
      out.end(body);
    });
  }

  #fail(res: ServerResponse): void {
    this.failed += 1;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":"bad gateway"}');
  }
}
