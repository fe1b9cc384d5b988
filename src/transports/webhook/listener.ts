import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { WebhookRequestHandler } from './request-handler.js';

/**
 * The standalone callback listener: a node:http server (node:https with `tls`) around a
 * {@link WebhookRequestHandler}, with the timeouts that keep slow or idle clients from holding it.
 */

export interface WebhookTls {
  key: string | Buffer;
  cert: string | Buffer;
}

export interface WebhookListenOptions {
  host: string;
  /** `0` picks a free port. */
  port: number;
  tls: WebhookTls | undefined;
}

/**
 * Slowloris limits: a client gets this long for its headers, and for the whole request (the handler's own body
 * deadline, `bodyTimeoutMs`, is shorter). One address may hold a quarter of the connections.
 */
const LISTENER_LIMITS = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  /** How often node checks the two timeouts above (its default, 30 s, would let them overrun by that much). */
  checkIntervalMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 1_024,
  maxConnectionsPerPeer: 256,
  /**
   * The kernel's queue of connections not yet accepted. Node's default (511) overflows when a flood of connects
   * (each closed at once by the limits above, and reopened) arrives while the thread is busy; an overflow drops the
   * SYN of a genuine callback, which the platform's TCP then resends after a second. Linux caps it at
   * `net.core.somaxconn` (4096 since 5.4).
   */
  listenBacklog: 4_096,
} as const;

/** Closes a new connection at once when its address already holds `max`. */
function limitPerPeer(server: Server, max: number): void {
  const open = new Map<string, number>();
  // 'connection' is emitted for TLS servers too, with the raw socket, before the handshake.
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress ?? '';
    const count = open.get(peer) ?? 0;
    if (count >= max) return void socket.destroy();
    open.set(peer, count + 1);
    socket.once('close', () => {
      const left = open.get(peer)! - 1;
      if (left === 0) open.delete(peer);
      else open.set(peer, left);
    });
  });
}

export interface WebhookAddress {
  address: string;
  port: number;
}

export class WebhookListener {
  readonly #server: Server;
  readonly #handler: WebhookRequestHandler;
  #closing: Promise<void> | undefined;

  private constructor(server: Server, handler: WebhookRequestHandler) {
    this.#server = server;
    this.#handler = handler;
  }

  /** Binds and resolves once listening; rejects with the bind error (`code` EADDRINUSE, EACCES, …). */
  static async listen(options: WebhookListenOptions, handler: WebhookRequestHandler): Promise<WebhookListener> {
    const serverOptions = {
      headersTimeout: LISTENER_LIMITS.headersTimeoutMs,
      requestTimeout: LISTENER_LIMITS.requestTimeoutMs,
      keepAliveTimeout: LISTENER_LIMITS.keepAliveTimeoutMs,
      connectionsCheckingInterval: LISTENER_LIMITS.checkIntervalMs,
      maxHeaderSize: LISTENER_LIMITS.maxHeaderBytes,
    };
    const server: Server =
      options.tls === undefined
        ? createHttpServer(serverOptions, handler.handle)
        : (createHttpsServer(
            { ...serverOptions, key: options.tls.key, cert: options.tls.cert },
            handler.handle,
          ) as unknown as Server);
    server.maxConnections = LISTENER_LIMITS.maxConnections;
    server.maxHeadersCount = 100;
    limitPerPeer(server, LISTENER_LIMITS.maxConnectionsPerPeer);
    // A malformed request line or a TLS handshake failure: drop the socket, never throw.
    server.on('clientError', (_err, socket) => socket.destroy());
    if (options.tls !== undefined) server.on('tlsClientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: options.port, host: options.host, backlog: LISTENER_LIMITS.listenBacklog }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // After the bind, errors on the server object (rare: EMFILE on accept) must not crash the thread.
    server.on('error', () => {});
    return new WebhookListener(server, handler);
  }

  address(): WebhookAddress {
    const info = this.#server.address() as AddressInfo;
    return { address: info.address, port: info.port };
  }

  /** Stops accepting and destroys every connection now, synchronously: nothing is read or parsed after this. */
  destroyNow(): void {
    this.#server.close();
    this.#server.closeAllConnections();
  }

  /**
   * Stops accepting, lets requests in flight finish (up to `graceMs`), then closes every connection and the
   * port. Idempotent.
   */
  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#handler.close(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.#server.closeAllConnections();
    await closed;
  }
}
