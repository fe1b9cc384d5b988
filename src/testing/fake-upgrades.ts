import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { GATEWAY_PATHS } from './fake-http.js';

/**
 * The doors of {@link FakeQQServer}'s gateway and the network faults at them: WebSocket upgrades accepted, refused
 * with 503 (`refuseConnections`) or left unanswered (`silenceUpgrades`), and every new TCP connection reset during
 * an `outage`. Internal to the testing kit.
 * @internal
 * @module
 */

/** What the upgrade handling needs from the fake that hosts it. */
export interface UpgradesHost {
  readonly url: string;
  readonly stats: { refusedConnections: number; resetConnections: number };
  closing(): boolean;
  /** Emits `refused` and wakes `waitFor`. */
  signal(event: 'refused'): void;
  /** Hands an upgraded socket to the gateway. */
  accept(ws: WebSocket): void;
}

export class FakeUpgrades {
  readonly #wss = new WebSocketServer({ noServer: true });
  /** `performance.now()` until which WebSocket upgrades are refused (`refuseConnections`). */
  #refuseUntil = 0;
  /** `performance.now()` until which every new TCP connection is reset (`outage`). */
  #outageUntil = 0;
  /** Upgrades still to be left unanswered (`silenceUpgrades`), and the sockets left so, destroyed on close. */
  #silenceUpgrades = 0;
  readonly #silenced = new Set<Duplex>();

  constructor(private readonly host: UpgradesHost) {}

  refuseFor(ms: number): void {
    this.#refuseUntil = performance.now() + ms;
  }

  outageFor(ms: number): void {
    this.#outageUntil = performance.now() + ms;
  }

  silence(n: number): void {
    this.#silenceUpgrades = n;
  }

  /** True while gateway upgrades are refused. */
  refusing(): boolean {
    return performance.now() < this.#refuseUntil;
  }

  /** A new TCP connection: reset at once during an outage. */
  onConnection(socket: Socket): void {
    if (performance.now() >= this.#outageUntil) return;
    this.host.stats.resetConnections += 1;
    socket.resetAndDestroy();
  }

  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    let pathname = '';
    try {
      pathname = new URL(req.url ?? '/', this.host.url).pathname;
    } catch {
      // keeps '' → 404
    }
    if (this.host.closing() || !GATEWAY_PATHS.has(pathname)) return endWith(socket, '404 Not Found');
    if (this.refusing()) {
      this.host.stats.refusedConnections += 1;
      this.host.signal('refused');
      return endWith(socket, '503 Service Unavailable');
    }
    if (this.#silenceUpgrades > 0) {
      this.#silenceUpgrades -= 1;
      this.#silenced.add(socket);
      socket.once('close', () => this.#silenced.delete(socket));
      return;
    }
    try {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.host.accept(ws));
    } catch {
      socket.destroy();
    }
  }

  /** Destroys the silenced sockets and closes the WebSocket server. */
  close(): void {
    for (const socket of this.#silenced) socket.destroy();
    this.#silenced.clear();
    this.#wss.close();
  }
}

/** Answers an upgrade with an empty `status` and destroys the socket once the answer is flushed. */
function endWith(socket: Duplex, status: string): void {
  // Destroy only once the answer is flushed: destroying at once can cut the answer off.
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}
