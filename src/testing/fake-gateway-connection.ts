import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import type { FakeSession } from './fake-session-log.js';

/**
 * One accepted socket of the fake gateway: what it was sent, what it waits for, and how it is closed. Internal
 * to the testing kit.
 * @internal
 * @module
 */

/** What a connection is waiting for before dispatches may flow to it (see `holdReady`). */
export type PendingStart =
  /** Identify accepted: READY (whose seq is already taken) then every logged event after it. */
  | { readonly kind: 'ready'; readonly readySeq: number; readonly shard: [number, number] }
  /** Resume accepted: every logged event after `fromSeq`, then RESUMED with the next seq. */
  | { readonly kind: 'resumed'; readonly fromSeq: number };

/** A frame's text, whatever shape `ws` delivered it in. */
export function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** One accepted gateway socket. */
export class FakeConnection {
  /** Hello was sent (it is withheld while `holdHello(true)`). */
  helloSent = false;
  /** The fake started closing this socket (or dropped it): later frames from it are ignored. */
  closing = false;
  /** READY or RESUMED (and the replay) went out: live dispatches are sent to this socket. */
  delivering = false;
  /** The session this socket is bound to, kept until the socket has closed (for the per-session count). */
  session: FakeSession | undefined;
  /** A READY/RESUMED withheld by `holdReady(true)`. */
  pending: PendingStart | undefined;
  /** The 4006 timer armed by `sendInvalidSession`. */
  invalidSessionTimer: NodeJS.Timeout | undefined;
  /** Closes the socket with 4009 when heartbeats stop (`heartbeatTimeoutMs`). */
  heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(readonly ws: WebSocket) {}

  /** True while the socket is open and the fake has not started closing it. */
  get open(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a text frame if the socket is open; otherwise drops it silently. */
  send(frame: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Starts a close handshake with `code`, once. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  /** Destroys the TCP socket without a close frame. */
  drop(): void {
    this.closing = true;
    this.ws.terminate();
  }
}
