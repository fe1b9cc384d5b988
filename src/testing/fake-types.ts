/**
 * The public types of `qqbot-connector/testing` that {@link FakeQQServer} records and emits (its options are
 * declared in `fake-options.ts`).
 * @module
 */

/** One Identify frame as received (malformed fields are recorded as `''` or `NaN`). */
export interface FakeIdentifyRecord {
  /** The `token` field as sent, `"QQBot <access_token>"`. Compare it in tests; never log it. */
  token: string;
  /** The `intents` field as sent. */
  intents: number;
  /** The `shard` field as sent, `[id, count]`. */
  shard: [number, number];
  /** {@link FakeQQServerOptions.now} when it arrived. */
  at: number;
  /** The app its token was issued to (`''` for a token the fake did not issue). */
  appId: string;
}

/** One Resume frame as received (malformed fields are recorded as `''` or `NaN`). */
export interface FakeResumeRecord {
  /** The `session_id` field as sent. */
  sessionId: string;
  /** The `seq` field as sent: the last seq the client had received. */
  seq: number;
  /** {@link FakeQQServerOptions.now} when it arrived. */
  at: number;
}

/** What {@link FakeQQServer.stats} counts. A live object: read it at any time. */
export interface FakeQQServerStats {
  /** Every Identify frame, accepted or not, in arrival order. */
  readonly identifies: ReadonlyArray<Readonly<FakeIdentifyRecord>>;
  /** Every Resume frame, accepted or not, in arrival order. */
  readonly resumes: ReadonlyArray<Readonly<FakeResumeRecord>>;
  /** Heartbeat frames (op 1) received, ACKed or not. */
  readonly heartbeats: number;
  /** Heartbeat ACKs (op 11) sent. */
  readonly heartbeatAcks: number;
  /** `GET /gateway/bot` requests received, answered or not. */
  readonly gatewayBotCalls: number;
  /** `POST /app/getAppAccessToken` requests received, answered or not. */
  readonly tokenCalls: number;
  /** Gateway sockets accepted over the fake's life. */
  readonly connections: number;
  /** Gateway sockets open right now. */
  readonly liveConnections: number;
  /** The most gateway sockets open at once over the fake's life. */
  readonly maxConcurrentConnections: number;
  /**
   * The most open sockets bound (by Identify or Resume) to the same session at once. A socket counts from
   * the moment it is bound until it has really closed, even after the fake kicked it with 4009 because a
   * newer socket resumed the session. A correct client, which closes its old socket before it resumes on a
   * new one, keeps this at 1.
   */
  readonly maxConcurrentPerSession: number;
  /** Gateway upgrades answered `503` by {@link FakeQQServer.refuseConnections}. */
  readonly refusedConnections: number;
  /** TCP connections reset while {@link FakeQQServer.outage} lasted. */
  readonly resetConnections: number;
}

/** A session as listed by {@link FakeQQServer.sessions}. */
export interface FakeSessionInfo {
  /** `session-<k>`, k counting from 1. */
  readonly id: string;
  /** The `shard` its Identify named, `[index, count]`. */
  readonly shard: readonly [number, number];
  /** The app whose token identified it. */
  readonly appId: string;
  /** The last seq given out in the session (READY and RESUMED take one too). */
  readonly lastSeq: number;
  /** False once {@link FakeQQServer.invalidateSessions} forgot it. */
  readonly resumable: boolean;
  /** A socket is bound to it and receives its dispatches right now (READY or RESUMED was sent on it). */
  readonly delivering: boolean;
}

/** Options of {@link FakeQQServer.dispatch}. */
export interface FakeDispatchOptions {
  /** The frame's `id`. @defaultValue `evt-<k>-<seq>` for session `session-<k>` */
  id?: string;
  /** Send into this shard's latest session. @defaultValue the session the latest Identify created */
  shard?: number;
  /** Send into this session (an id from {@link FakeQQServer.sessions}); takes precedence over `shard`. */
  session?: string;
}

/** Options of {@link FakeQQServer.emitEvents}. */
export interface FakeEmitEventsOptions {
  /** Dispatch type (`t`). @defaultValue `'GROUP_AT_MESSAGE_CREATE'` */
  type?: string;
  /** Events per second, paced by timers. @defaultValue as fast as possible */
  ratePerSec?: number;
  /**
   * Send every event into this shard's latest session.
   * @defaultValue spread over the shards that have a session: event `n` goes to the (n mod k)-th of them
   */
  shard?: number;
  /** Send every event into this session (an id from {@link FakeQQServer.sessions}); takes precedence over `shard`. */
  session?: string;
  /** Stops emitting; the promise then resolves with the seqs dispatched so far. */
  signal?: AbortSignal;
}

/** Events of {@link FakeQQServer}, name → listener arguments. */
export interface FakeQQServerEventMap {
  /** A token request arrived (before any fault applies). */
  token: [];
  /** A `GET /gateway/bot` request arrived (before any fault applies). */
  gatewayBot: [];
  /** A gateway socket was accepted. */
  connection: [];
  /** A gateway upgrade was refused (`refuseConnections`). */
  refused: [];
  /** An Identify frame arrived (before validation). */
  identify: [info: { shard: [number, number]; intents: number }];
  /** A Resume frame arrived (before validation). */
  resume: [info: { sessionId: string; seq: number }];
  /** READY was sent. */
  ready: [sessionId: string];
  /** RESUMED was sent (after the replay). */
  resumed: [sessionId: string];
  /** A heartbeat arrived, with its `d`. */
  heartbeat: [seq: number | null];
  /** A gateway socket closed; `code` as seen by the server (1006 when dropped). */
  disconnect: [info: { code: number; reason: string }];
}
