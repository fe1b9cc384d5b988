/**
 * The public types of `qqbot-connector/testing` ({@link FakeQQServer}'s options, records and events), the
 * option defaults and the argument checks.
 * @module
 */

import { invalidOption } from '../errors.js';
import { isObject, rejectUnknownKeys } from '../options/checks.js';

/** Options of {@link FakeQQServer.start}. Every field is optional. */
export interface FakeQQServerOptions {
  /**
   * The app id the token endpoint accepts.
   * @defaultValue `'test-app'`
   */
  appId?: string;
  /**
   * The client secret the token endpoint accepts (with {@link FakeQQServerOptions.appId}).
   * @defaultValue `'test-secret'`
   */
  secret?: string;
  /**
   * More bots the fake serves (a host running many bots against one fake): the token endpoint accepts each pair
   * like `appId`/`secret`, and each session remembers the app whose token identified it.
   * @defaultValue `[]`
   */
  apps?: ReadonlyArray<{ appId: string; secret: string }>;
  /**
   * `heartbeat_interval` sent in Hello, in ms.
   * @defaultValue `41250`
   */
  heartbeatIntervalMs?: number;
  /**
   * Close a session's socket with 4009 ("session timed out") when no heartbeat arrived for this long once
   * READY/RESUMED was sent, as the platform does. `0` never enforces it.
   * @defaultValue `0`
   */
  heartbeatTimeoutMs?: number;
  /**
   * Events each session keeps for replay. Older ones are dropped, and a Resume from before the oldest kept
   * event is answered with op 9 `d: false` (the client must IDENTIFY), as a real server with a bounded buffer
   * would. Bounds the fake's memory in long runs.
   * @defaultValue `100000`
   */
  replayLimit?: number;
  /**
   * Lifetime of issued tokens, in seconds; answered as a string (`"7200"`), like the platform's docs.
   * @defaultValue `7200`
   */
  tokenTtlSeconds?: number;
  /**
   * Intent bits an Identify may ask for; asking for any other bit closes the socket with 4014.
   * @defaultValue every bit allowed
   */
  allowedIntents?: number;
  /**
   * `shards` answered by `GET /gateway/bot`.
   * @defaultValue `1`
   */
  shards?: number;
  /**
   * `session_start_limit.remaining` answered by `GET /gateway/bot` (constant: Identify does not decrement it).
   * @defaultValue `1000`
   */
  sessionStartRemaining?: number;
  /**
   * `session_start_limit.reset_after` (ms) answered by `GET /gateway/bot` (constant, like `remaining`).
   * @defaultValue `14400000` (4 h, as the platform's docs show)
   */
  sessionStartResetAfterMs?: number;
  /**
   * `session_start_limit.max_concurrency` answered by `GET /gateway/bot`: sessions that may start per 5 s. The
   * fake does not enforce it; `stats.identifies` (with `at`) shows whether a client kept to it.
   * @defaultValue `1`
   */
  maxConcurrency?: number;
  /**
   * The fake's clock in epoch ms: token expiry and the `at` of recorded identifies and resumes.
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/** The defaults of {@link FakeQQServerOptions} (`now` defaults to `Date.now`). */
const FAKE_DEFAULTS = {
  appId: 'test-app',
  secret: 'test-secret',
  apps: [],
  heartbeatIntervalMs: 41_250,
  heartbeatTimeoutMs: 0,
  replayLimit: 100_000,
  tokenTtlSeconds: 7200,
  /** Every bit. */
  allowedIntents: 0xffff_ffff,
  shards: 1,
  sessionStartRemaining: 1000,
  sessionStartResetAfterMs: 14_400_000,
  maxConcurrency: 1,
} as const satisfies Required<Omit<FakeQQServerOptions, 'now'>>;

/** Every key of {@link FakeQQServerOptions}: the defaults name all but `now`. */
const FAKE_OPTION_KEYS = [...Object.keys(FAKE_DEFAULTS), 'now'];

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

/** Throws a `RangeError` naming `name` unless `value` is an integer ≥ `min`. */
export function intAtLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`Expected \`${name}\` to be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** Throws a `RangeError` naming `name` unless `value` is a finite number > 0. */
export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`Expected \`${name}\` to be a finite number > 0, got ${value}`);
  return value;
}

/** Throws a `RangeError` unless `value` is an HTTP status the fake may answer (200–599). */
export function httpStatus(value: number): number {
  if (!Number.isInteger(value) || value < 200 || value > 599)
    throw new RangeError(`Expected an HTTP status of 200–599, got ${value}`);
  return value;
}

/** {@link FakeQQServerOptions} with every default applied, checked once. */
export type ResolvedFakeOptions = Required<FakeQQServerOptions>;

/** Applies the defaults documented on {@link FakeQQServerOptions} and checks every value once. */
export function resolveFakeOptions(options: FakeQQServerOptions): ResolvedFakeOptions {
  const input: unknown = options;
  if (!isObject(input)) throw invalidOption('Expected the FakeQQServer options to be an object');
  rejectUnknownKeys('', input, FAKE_OPTION_KEYS);
  const d = FAKE_DEFAULTS;
  return {
    appId: options.appId ?? d.appId,
    secret: options.secret ?? d.secret,
    apps: resolveApps(options.apps ?? d.apps),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? d.heartbeatIntervalMs),
    heartbeatTimeoutMs: intAtLeast('heartbeatTimeoutMs', options.heartbeatTimeoutMs ?? d.heartbeatTimeoutMs, 0),
    replayLimit: intAtLeast('replayLimit', options.replayLimit ?? d.replayLimit, 1),
    tokenTtlSeconds: positive('tokenTtlSeconds', options.tokenTtlSeconds ?? d.tokenTtlSeconds),
    allowedIntents: intAtLeast('allowedIntents', options.allowedIntents ?? d.allowedIntents, 0),
    shards: intAtLeast('shards', options.shards ?? d.shards, 1),
    sessionStartRemaining: intAtLeast(
      'sessionStartRemaining',
      options.sessionStartRemaining ?? d.sessionStartRemaining,
      0,
    ),
    sessionStartResetAfterMs: intAtLeast(
      'sessionStartResetAfterMs',
      options.sessionStartResetAfterMs ?? d.sessionStartResetAfterMs,
      0,
    ),
    maxConcurrency: intAtLeast('maxConcurrency', options.maxConcurrency ?? d.maxConcurrency, 1),
    now: options.now ?? Date.now,
  };
}

function resolveApps(value: unknown): ReadonlyArray<{ appId: string; secret: string }> {
  const valid =
    Array.isArray(value) &&
    value.every((a: unknown) => isObject(a) && typeof a.appId === 'string' && typeof a.secret === 'string');
  if (!valid) throw invalidOption('Expected `apps` to be an array of { appId, secret } strings');
  return (value as { appId: string; secret: string }[]).map(({ appId, secret }) => ({ appId, secret }));
}

/** Throws a `RangeError` unless `value` can travel in a close frame we send (1000 or 3000–4999). */
export function closeCode(value: number): number {
  if (!Number.isInteger(value) || !(value === 1000 || (value >= 3000 && value <= 4999))) {
    throw new RangeError(`Expected a close code of 1000 or 3000–4999, got ${value} (use dropConnections() for a 1006)`);
  }
  return value;
}
