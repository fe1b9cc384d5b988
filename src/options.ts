import type { ResourceLimits } from 'node:worker_threads';
import { invalidOption } from './errors.js';
import { REPLY_TRACKER_KEYS, type ReplyTrackerOptions } from './replies/passive-reply.js';
import { ALL_INTENTS } from './protocol/intents.js';
import { MAX_SHARDS } from './protocol/payloads.js';
import { resolveTransport, type ResolvedTransport, type TransportOptions } from './transports/webhook/options.js';
import {
  resolveCredentials,
  resolveEndpoints,
  resolveLogger,
  resolveTimeouts,
  type EndpointOptions,
  type Logger,
  type TimeoutOptions,
} from './shared-options.js';
import { integerOption, isObject, optionKeys, rejectUnknownKeys, section } from './validation.js';
import type { AttemptRunner, RunnerOption, ThreadsOption } from './runners/runner.js';
import { ThreadPool, resolveResourceLimits } from './runners/thread-pool.js';
import { resolveCheckpointOptions, type CheckpointOptions } from './store/checkpointer.js';
import type { SessionStore } from './store/session-store.js';

export { DEFAULT_ENDPOINTS, DEFAULT_TIMEOUTS, type EndpointOptions, type Logger, type TimeoutOptions } from './shared-options.js';

/**
 * The restart policy (docs/design-notes.md): retryable failures are retried forever; only the fixed list of fatal causes,
 * or `giveUpAfterMs` when set, ends the connector.
 */
export interface RestartOptions {
  /**
   * The backoff's base: the first attempt in a row that made no progress waits up to this long (full jitter),
   * the next up to twice that, and so on. After an attempt that made progress the next starts at once.
   * @defaultValue `250`
   */
  minDelayMs?: number;
  /**
   * The backoff's cap, and the wait after the budget escalates.
   * @defaultValue `30_000`
   */
  maxDelayMs?: number;
  /**
   * More than this many attempts without progress within `windowMs` escalate: a clean slate (new access token,
   * `/gateway/bot` refetched, fresh thread), an `'error'` with `QQBOT_RESTART_BUDGET` (retryable), then
   * `maxDelayMs` before trying again. Never fatal.
   * @defaultValue `10`
   */
  maxRestarts?: number;
  /**
   * The restart budget's sliding window.
   * @defaultValue `60_000`
   */
  windowMs?: number;
  /**
   * A session that stays up this long has made progress, even without events or heartbeat ACKs.
   * @defaultValue `30_000`
   */
  stableAfterMs?: number;
  /**
   * Opt-in: after this long without a session, give up with a fatal `QQBOT_GAVE_UP`, for hosts that prefer to
   * restart themselves. With leases it counts from when this process took the shard's lease (time as a standby
   * is not time without a session). `Infinity` never gives up.
   * @defaultValue `Infinity`
   */
  giveUpAfterMs?: number;
  /**
   * While the platform cannot be reached (an attempt failed to reach the token endpoint, `/gateway/bot` or the
   * gateway), a cheap probe of that host (an HTTP `HEAD`, no credentials, never `/gateway`) runs this often during
   * the backoff; once the host answers again the next attempt starts at once instead of waiting out the backoff.
   * `0` turns probing off.
   * @defaultValue `2_000`
   */
  probeIntervalMs?: number;
}

export interface QQBotConnectorOptions {
  /** The bot's AppID from the QQ developer console. */
  appId: string;
  /** The bot's AppSecret. Stays on the main thread; never logged, never sent to a worker. */
  secret: string;
  /**
   * OR of {@link Intents} bits. Required for the WebSocket transport; the webhook transport ignores it (the
   * events a callback receives are chosen in the QQ console).
   * @example `Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES`
   */
  intents?: number;
  /**
   * How events arrive: the WebSocket gateway, or the platform's HTTP callback (docs/webhook.md).
   * @defaultValue `{ kind: 'websocket' }`
   * @example `{ kind: 'webhook', port: 8443, host: '0.0.0.0', path: '/qqbot', tls: { key, cert } }`
   */
  transport?: TransportOptions;
  /**
   * How many shards to open (1–1024); each is a session in a worker thread (see `threads`). `'auto'`: the count `GET /gateway/bot`
   * recommends, read by `start()` (retried with the restart backoff while it fails). With a Redis store with
   * `lease`, the processes of a fleet share these shards (README "Running more than one process"). The webhook
   * transport is one listener: only `1`.
   * @defaultValue `1`
   * @example `'auto'`
   */
  shards?: number | 'auto';
  endpoints?: EndpointOptions;
  timeouts?: TimeoutOptions;
  restart?: RestartOptions;
  /**
   * Limits for each worker thread (e.g. `maxOldGenerationSizeMb`); a thread that exceeds them is restarted with
   * its sessions. With `threads: 'shared'`, connectors with the same limits share a pool. With a
   * {@link ThreadPool} of your own, set them on the pool.
   */
  resourceLimits?: ResourceLimits;
  /**
   * How many recent event ids are remembered to drop duplicate deliveries.
   * @defaultValue `2_048`
   */
  dedupeWindow?: number;
  /**
   * Largest gateway frame accepted, in bytes; a larger one closes the socket (1009) and the session resumes.
   * @defaultValue `16_777_216` (16 MiB)
   */
  maxPayloadBytes?: number;
  /** Receives the connector's log lines; silent when absent. The `'debug'` event carries the same text. */
  logger?: Logger;
  /**
   * Where each attempt runs: `'thread'` (a supervised worker thread: crash and hang isolation), `'in-process'`
   * (the host's own thread: for tests, debugging and hosts without worker threads; no isolation), or an
   * {@link AttemptRunner} of your own.
   * @defaultValue `'thread'`
   */
  runner?: RunnerOption;
  /**
   * Which worker threads host this bot's sessions (with `runner: 'thread'`). `'shared'`: the process's pool,
   * shared by every connector (up to 50 sessions of any bots per thread, one spare thread per pool), for hosts
   * that run many bots. `'own'`: threads of its own, one per shard plus a spare (the smallest blast radius:
   * nothing of another bot shares its thread). A {@link ThreadPool}: one the host sized and shares as it chooses.
   * docs/design-notes.md "Many bots in one process" has the measured trade-off.
   * @defaultValue `'shared'`
   */
  threads?: ThreadsOption;
  /**
   * Where sessions are kept between attempts (and, with a durable store, between processes).
   * @defaultValue a new {@link MemorySessionStore}
   */
  store?: SessionStore;
  /** When checkpoints of the acknowledged seq are written to `store` (README "Running more than one process"). */
  checkpoint?: CheckpointOptions;
  /**
   * The passive-reply rules behind `reply()` (`msg_seq`, 5 replies per message, the reply window). Several
   * processes that answer the same messages (webhook replicas behind a load balancer) share the counts through
   * `replies.store`; without one, the `store`'s own reply state is used when it has one (`RedisSessionStore`
   * does: `msg_seq` never repeats across the fleet), else this process's memory.
   * @defaultValue `{ store: store.replies }` when the session store offers one, else counts in memory
   * @example `{ store: new RedisReplyStore({ prefix: 'mybot:' }) }`
   */
  replies?: ReplyTrackerOptions;
}

export const DEFAULT_RESTART = {
  minDelayMs: 250,
  maxDelayMs: 30_000,
  maxRestarts: 10,
  windowMs: 60_000,
  stableAfterMs: 30_000,
  giveUpAfterMs: Number.POSITIVE_INFINITY,
  probeIntervalMs: 2_000,
} as const satisfies Required<RestartOptions>;

export const DEFAULT_OPTIONS = {
  shards: 1,
  dedupeWindow: 2_048,
  maxPayloadBytes: 16 * 1024 * 1024,
} as const satisfies Partial<QQBotConnectorOptions>;

/** Every top-level option; the compiler checks the table against {@link QQBotConnectorOptions}. */
const CONNECTOR_KEYS = optionKeys<QQBotConnectorOptions>({
  appId: true,
  secret: true,
  intents: true,
  transport: true,
  shards: true,
  endpoints: true,
  timeouts: true,
  restart: true,
  resourceLimits: true,
  dedupeWindow: true,
  maxPayloadBytes: true,
  logger: true,
  runner: true,
  threads: true,
  store: true,
  checkpoint: true,
  replies: true,
});

/** `restart`'s keys: its defaults name every one. */
const RESTART_KEYS = Object.keys(DEFAULT_RESTART);

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  appId: string;
  secret: string;
  intents: number;
  transport: ResolvedTransport;
  shards: number | 'auto';
  endpoints: Required<EndpointOptions>;
  timeouts: Required<TimeoutOptions>;
  restart: Required<RestartOptions>;
  resourceLimits: ResourceLimits | undefined;
  dedupeWindow: number;
  maxPayloadBytes: number;
  logger: Logger | undefined;
  runner: RunnerOption;
  threads: ThreadsOption;
  store: SessionStore | undefined;
  checkpoint: Required<CheckpointOptions>;
  /** With the store's reply state filled in when `replies.store` was not given. */
  replies: ReplyTrackerOptions;
}

/** A count, or `'auto'` (from `GET /gateway/bot` at start). */
function resolveShards(value: unknown): number | 'auto' {
  if (value === undefined) return DEFAULT_OPTIONS.shards;
  if (value === 'auto') return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SHARDS) {
    throw invalidOption(`Expected \`shards\` to be 'auto' or an integer from 1 to ${MAX_SHARDS}`);
  }
  return value;
}

/** The webhook transport is one listener: `shards` may only say so. */
function webhookShards(value: unknown): number {
  if (value !== undefined && value !== 1) throw invalidOption('Expected `shards` to be 1 (or absent) with `transport.kind` webhook: the callback is one listener');
  return 1;
}

/** Validates once, at construction (undici/pino style). Messages name the option, never its secret value. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (!isObject(input)) throw invalidOption('Expected options to be an object with appId, secret and intents');
  rejectUnknownKeys('', input, CONNECTOR_KEYS);
  const { appId, secret } = resolveCredentials(input);
  const transport = resolveTransport(input.transport);
  // The webhook transport has no use for intents: absent is fine there, wrong is still refused.
  const intents = input.intents === undefined && transport.kind === 'webhook' ? ALL_INTENTS : input.intents;
  // Bitwise checks below truncate to 32 bits: reject anything larger first.
  if (typeof intents !== 'number' || !Number.isInteger(intents) || intents <= 0 || intents > 0x7fff_ffff) {
    throw invalidOption('Expected `intents` to be a positive integer: OR the bits of `Intents`');
  }
  if ((intents & ~ALL_INTENTS) !== 0) throw invalidOption(`Expected \`intents\` to use only known bits; unknown: ${intents & ~ALL_INTENTS}`);

  const r = section('restart', input.restart, RESTART_KEYS);
  const restart = {
    minDelayMs: integerOption('restart.minDelayMs', r.minDelayMs, DEFAULT_RESTART.minDelayMs, 0),
    maxDelayMs: integerOption('restart.maxDelayMs', r.maxDelayMs, DEFAULT_RESTART.maxDelayMs, 0),
    maxRestarts: integerOption('restart.maxRestarts', r.maxRestarts, DEFAULT_RESTART.maxRestarts, 0),
    windowMs: integerOption('restart.windowMs', r.windowMs, DEFAULT_RESTART.windowMs, 1),
    stableAfterMs: integerOption('restart.stableAfterMs', r.stableAfterMs, DEFAULT_RESTART.stableAfterMs, 0),
    giveUpAfterMs: r.giveUpAfterMs === Number.POSITIVE_INFINITY ? r.giveUpAfterMs : integerOption('restart.giveUpAfterMs', r.giveUpAfterMs, DEFAULT_RESTART.giveUpAfterMs, 1),
    probeIntervalMs: integerOption('restart.probeIntervalMs', r.probeIntervalMs, DEFAULT_RESTART.probeIntervalMs, 0),
  };
  if (restart.maxDelayMs < restart.minDelayMs) throw invalidOption('Expected `restart.maxDelayMs` to be ≥ `restart.minDelayMs`');

  const resourceLimits = resolveResourceLimits('resourceLimits', input.resourceLimits);
  const threads = resolveThreads(input.threads);
  if (threads instanceof ThreadPool && resourceLimits !== undefined) {
    throw invalidOption('Expected `resourceLimits` to be set on the ThreadPool given as `threads`, not on the connector');
  }
  const store = resolveStore(input.store);
  if (transport.kind === 'webhook') refuseWebhookMeaningless(input);
  const replies = section('replies', input.replies, REPLY_TRACKER_KEYS) as ReplyTrackerOptions;

  return {
    appId,
    secret,
    intents,
    transport,
    shards: transport.kind === 'webhook' ? webhookShards(input.shards) : resolveShards(input.shards),
    endpoints: resolveEndpoints(input.endpoints),
    timeouts: resolveTimeouts(input.timeouts),
    restart,
    resourceLimits,
    dedupeWindow: integerOption('dedupeWindow', input.dedupeWindow, DEFAULT_OPTIONS.dedupeWindow, 1, 1_000_000),
    maxPayloadBytes: integerOption('maxPayloadBytes', input.maxPayloadBytes, DEFAULT_OPTIONS.maxPayloadBytes, 1024),
    logger: resolveLogger(input.logger),
    runner: resolveRunner(input.runner),
    threads,
    store,
    checkpoint: resolveCheckpointOptions(input.checkpoint),
    replies: replies.store === undefined && store?.replies !== undefined ? { ...replies, store: store.replies } : replies,
  };
}

/**
 * The webhook transport has no session: the platform calls it, and any replica may receive any callback. Of a
 * store it uses what replicas share — the delivered callbacks (`store.claims`) and the reply counts
 * (`store.replies`) — and nothing that belongs to a gateway session: the store's ownership (`fleet`, on by
 * default) is not used, every replica serves. Connector options that only mean something for a session are
 * refused rather than silently ignored.
 */
function refuseWebhookMeaningless(input: Record<string, unknown>): void {
  if (input.checkpoint !== undefined) throw invalidOption('Expected no `checkpoint` with `transport.kind` webhook: there is no session to checkpoint');
  if (input.dedupeWindow !== undefined) {
    throw invalidOption('Expected no `dedupeWindow` with `transport.kind` webhook: callbacks are remembered for `transport.timestampWindowMs`, not by count');
  }
}

const RUNNER_METHODS = ['start', 'reset', 'close'] as const;

function resolveRunner(value: unknown): RunnerOption {
  if (value === undefined) return 'thread';
  if (value === 'thread' || value === 'in-process') return value;
  if (isObject(value) && RUNNER_METHODS.every((m) => typeof value[m] === 'function')) return value as unknown as AttemptRunner;
  throw invalidOption("Expected `runner` to be 'thread', 'in-process' or an AttemptRunner (start, reset, close)");
}

function resolveThreads(value: unknown): ThreadsOption {
  if (value === undefined) return 'shared';
  if (value === 'shared' || value === 'own' || value instanceof ThreadPool) return value;
  throw invalidOption("Expected `threads` to be 'shared', 'own' or a ThreadPool");
}

const STORE_METHODS = ['load', 'save', 'clear', 'close'] as const;

function resolveStore(value: unknown): SessionStore | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && STORE_METHODS.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')) {
    // Ownership moved from `store.leases` to `store.fleet.leases`: a store written for the old shape must not lose it silently.
    if ('leases' in value && !('fleet' in value)) {
      throw invalidOption('Expected the `store` to offer its leases as `fleet: { leases }`, not `leases` (README "Running more than one process")');
    }
    return value as SessionStore;
  }
  throw invalidOption('Expected `store` to be a SessionStore (load, save, clear, close)');
}
