import type { AttemptSpec } from '../../protocol/worker-messages.js';

/** Phase timeouts the attempt enforces (the watchdog is the runner's). */
export interface AttemptTimeouts {
  httpMs: number;
  handshakeMs: number;
  helloMs: number;
  readyMs: number;
}

/**
 * Everything one WebSocket connection attempt needs, built field by field on the main thread. The app secret is
 * not on this list and never will be: the attempt gets an access token only.
 */
export interface WebSocketAttemptSpec extends AttemptSpec {
  transport: 'websocket';
  shard: [id: number, count: number];
  /** `QQBot <access_token>` is built from this in the attempt. */
  accessToken: string;
  appId: string;
  intents: number;
  /** API origin for `GET /gateway/bot`. */
  apiBase: string;
  /** Cached gateway URL; `null` makes the attempt fetch `/gateway/bot` first. */
  gatewayUrl: string | null;
  /** Set to RESUME this session from `seq` (the last seq delivered to the host); `null` to IDENTIFY. */
  resume: { sessionId: string; seq: number } | null;
  timeouts: AttemptTimeouts;
  /** Largest gateway frame accepted, in bytes. */
  maxPayloadBytes: number;
}
