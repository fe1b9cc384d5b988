import type { AttemptInput, Transport } from '../transport.js';
import { WEBSOCKET, WEBSOCKET_ENTRY } from './websocket-entry.js';
import type { AttemptTimeouts, WebSocketAttemptSpec } from './websocket-spec.js';

/** The resolved options a gateway attempt reads (the connector's resolved options fit as they are). */
export interface WebSocketSettings {
  appId: string;
  intents: number;
  /** `api`: the API origin for `GET /gateway/bot`. */
  endpoints: { api: string };
  timeouts: AttemptTimeouts;
  maxPayloadBytes: number;
}

/**
 * The WebSocket gateway: attempts authenticate with an access token and hold a session; every event they post
 * is the protocol's own (dispatches, READY/RESUMED, heartbeats), so there is no host-side half.
 */
export class WebSocketTransport implements Transport {
  readonly needsToken = true;
  readonly hasSession = true;
  readonly startTimeoutMs = undefined;
  readonly #settings: WebSocketSettings;

  constructor(settings: WebSocketSettings) {
    this.#settings = settings;
  }

  spec(input: AttemptInput): WebSocketAttemptSpec {
    const o = this.#settings;
    const { httpMs, handshakeMs, helloMs, readyMs } = o.timeouts;
    // Field by field: nothing reaches an attempt unless it is named here. The secret is not.
    return {
      transport: WEBSOCKET,
      entry: WEBSOCKET_ENTRY,
      quiesceFirst: false,
      shard: input.shard,
      accessToken: input.accessToken,
      appId: o.appId,
      intents: o.intents,
      apiBase: o.endpoints.api,
      gatewayUrl: input.gatewayUrl,
      resume: input.resume,
      timeouts: { httpMs, handshakeMs, helloMs, readyMs },
      maxPayloadBytes: o.maxPayloadBytes,
    };
  }

  hostSide(): undefined {
    return undefined;
  }

  address(): null {
    return null;
  }
}
