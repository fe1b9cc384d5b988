import type { AttemptSpec, HostMessage, TransportPayload } from '../protocol/worker-messages.js';

/** What a shard supervisor knows when it starts an attempt; each transport takes what it needs from it. */
export interface AttemptInput {
  shard: [id: number, count: number];
  /** A fresh access token; `''` for a transport that needs none ({@link Transport.needsToken}). */
  accessToken: string;
  /** The gateway URL at hand; `null` to fetch `/gateway/bot` first. */
  gatewayUrl: string | null;
  /** The session to RESUME from `seq`; `null` to IDENTIFY. */
  resume: { sessionId: string; seq: number } | null;
}

/** What a transport's host side may tell the supervisor, and how it answers its attempt. */
export interface AttemptHost {
  /** A host → attempt message, batched per turn of the event loop. */
  send(message: HostMessage): void;
  /**
   * The attempt is up without a gateway session (a listener is bound): the supervisor reports `'ready'`, or
   * `'resumed'` when `resumed` (nothing was lost since the last time it was up).
   */
  up(resumed: boolean): void;
  /** An event arrived while up: the attempt works (the failure count is cleared). */
  live(): void;
}

/** The main-thread half of one attempt: it reads the transport's own events, and only it narrows their payload. */
export interface TransportHostSide {
  onEvent(payload: TransportPayload): void;
}

/**
 * How events reach the host: what differs between the WebSocket gateway and the webhook listener, behind one
 * shape the shard supervisor runs (docs/design-notes.md, "The transport seam"). One instance per connector.
 */
export interface Transport {
  /** The attempts authenticate with an access token (the gateway does; a listener the platform calls does not). */
  readonly needsToken: boolean;
  /**
   * The attempts hold a gateway session (IDENTIFY, RESUME): one process owns it (leases, the identify gate). A
   * listener the platform calls has none: every replica listens.
   */
  readonly hasSession: boolean;
  /**
   * Before the transport was first up, how long start() lets attempts fail to come up (`listen-failed`) before it
   * rejects; `undefined`: no limit.
   */
  readonly startTimeoutMs: number | undefined;
  /** The attempt's spec, built field by field: nothing reaches an attempt unless it is named; never the secret. */
  spec(input: AttemptInput): AttemptSpec;
  /** The host-side half of one attempt; `undefined` when the transport has none (all its events are the protocol's). */
  hostSide(host: AttemptHost): TransportHostSide | undefined;
  /** Where the transport listens while it is up; `null` for a transport that does not listen. */
  address(): ListenAddress | null;
}

export interface ListenAddress {
  address: string;
  port: number;
}
