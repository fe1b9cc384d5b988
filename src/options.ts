import { invalidOption } from './errors.js';
import { REPLY_TRACKER } from './replies/passive-reply.js';
import { ALL_INTENTS } from './protocol/intents.js';
import { MAX_SHARDS } from './protocol/payloads.js';
import type { AttemptRunner, RunnerOption, ThreadsOption } from './runners/runner.js';
import { RESOURCE_LIMITS, ThreadPool } from './runners/thread-pool.js';
import { CHECKPOINT } from './store/checkpointer.js';
import type { SessionStore } from './store/session-store.js';
import { resolveTransport, type ResolvedTransport, type TransportOptions } from './transports/webhook/options.js';
import { isObject } from './options/checks.js';
import {
  custom,
  defaultsOf,
  hasMethods,
  integer,
  resolve,
  section,
  type OptionsOf,
  type ResolvedOf,
} from './options/schema.js';
import { CREDENTIALS, ENDPOINTS, LOGGER, TIMEOUTS } from './options/shared.js';

export {
  DEFAULT_ENDPOINTS,
  DEFAULT_TIMEOUTS,
  type EndpointOptions,
  type Logger,
  type TimeoutOptions,
} from './options/shared.js';

/**
 * The connector's options, declared once as shapes (`options/schema.ts`): the `restart` section and the top level,
 * built from the sections the other folders declare. The rules across options (intents needed only by the
 * WebSocket transport, what a webhook refuses, the store's reply state) follow the shape in {@link resolveOptions}.
 * `options/` itself sits below every folder; this module sits above them.
 * @module
 */

/**
 * The restart policy (docs/design-notes.md): retryable failures are retried forever; only the fixed list of fatal
 * causes, or `giveUpAfterMs` when set, ends the connector.
 */
export const RESTART = {
  /**
   * The backoff's base: the first attempt in a row that made no progress waits up to this long (full jitter),
   * the next up to twice that, and so on. After an attempt that made progress the next starts at once.
   * @defaultValue `250`
   */
  minDelayMs: integer({ default: 250, min: 0 }),
  /**
   * The backoff's cap, and the wait after the budget escalates.
   * @defaultValue `30_000`
   */
  maxDelayMs: integer({ default: 30_000, min: 0 }),
  /**
   * More than this many attempts without progress within `windowMs` escalate: a clean slate (new access token,
   * `/gateway/bot` refetched, fresh thread), an `'error'` with `QQBOT_RESTART_BUDGET` (retryable), then
   * `maxDelayMs` before trying again. Never fatal.
   * @defaultValue `10`
   */
  maxRestarts: integer({ default: 10, min: 0 }),
  /**
   * The restart budget's sliding window.
   * @defaultValue `60_000`
   */
  windowMs: integer({ default: 60_000, min: 1 }),
  /**
   * A session that stays up this long has made progress, even without events or heartbeat ACKs.
   * @defaultValue `30_000`
   */
  stableAfterMs: integer({ default: 30_000, min: 0 }),
  /**
   * Opt-in: after this long without a session, give up with a fatal `QQBOT_GAVE_UP`, for hosts that prefer to
   * restart themselves. With leases it counts from when this process took the shard's lease (time as a standby
   * is not time without a session). `Infinity` never gives up.
   * @defaultValue `Infinity`
   */
  giveUpAfterMs: integer({ default: Number.POSITIVE_INFINITY, min: 1, infinity: true }),
  /**
   * While the platform cannot be reached (an attempt failed to reach the token endpoint, `/gateway/bot` or the
   * gateway), a cheap probe of that host (an HTTP `HEAD`, no credentials, never `/gateway`) runs this often during
   * the backoff; once the host answers again the next attempt starts at once instead of waiting out the backoff.
   * `0` turns probing off.
   * @defaultValue `2_000`
   */
  probeIntervalMs: integer({ default: 2_000, min: 0 }),
};

export type RestartOptions = OptionsOf<typeof RESTART>;
export const DEFAULT_RESTART: Readonly<ResolvedOf<typeof RESTART>> = Object.freeze(defaultsOf(RESTART));

export const DEFAULT_OPTIONS = {
  shards: 1,
  dedupeWindow: 2_048,
  maxPayloadBytes: 16 * 1024 * 1024,
} as const;

const INTENTS_ERROR = 'Expected `intents` to be a positive integer: OR the bits of `Intents`';

const CONNECTOR = {
  ...CREDENTIALS,
  /**
   * OR of {@link Intents} bits. Required for the WebSocket transport; the webhook transport ignores it (the
   * events a callback receives are chosen in the QQ console).
   * @example `Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES`
   */
  intents: custom<number, number | undefined>(
    (value) => {
      // Bitwise checks truncate to 32 bits: reject anything larger first.
      if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 0x7fff_ffff)
        throw invalidOption(INTENTS_ERROR);
      if ((value & ~ALL_INTENTS) !== 0)
        throw invalidOption(`Expected \`intents\` to use only known bits; unknown: ${value & ~ALL_INTENTS}`);
      return value;
    },
    { default: undefined },
  ),
  /**
   * How events arrive: the WebSocket gateway, or the platform's HTTP callback (docs/webhook.md).
   * @defaultValue `{ kind: 'websocket' }`
   * @example `{ kind: 'webhook', port: 8443, host: '0.0.0.0', path: '/qqbot', tls: { key, cert } }`
   */
  transport: custom<TransportOptions, ResolvedTransport>(resolveTransport, { default: resolveTransport(undefined) }),
  /**
   * How many shards to open (1–1024); each is a session in a worker thread (see `threads`). `'auto'`: the count `GET /gateway/bot`
   * recommends, read by `start()` (retried with the restart backoff while it fails). With a Redis store with
   * `lease`, the processes of a fleet share these shards (README "Running more than one process"). The webhook
   * transport is one listener: only `1`.
   * @defaultValue `1`
   * @example `'auto'`
   */
  shards: custom<number | 'auto'>(
    (value) => {
      if (value === 'auto') return value;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SHARDS) {
        throw invalidOption(`Expected \`shards\` to be 'auto' or an integer from 1 to ${MAX_SHARDS}`);
      }
      return value;
    },
    { default: DEFAULT_OPTIONS.shards },
  ),
  endpoints: section(ENDPOINTS),
  timeouts: section(TIMEOUTS),
  restart: section(RESTART, (restart, path) => {
    if (restart.maxDelayMs < restart.minDelayMs)
      throw invalidOption(`Expected \`${path}.maxDelayMs\` to be ≥ \`${path}.minDelayMs\``);
  }),
  /**
   * Limits for each worker thread (e.g. `maxOldGenerationSizeMb`); a thread that exceeds them is restarted with
   * its sessions. With `threads: 'shared'`, connectors with the same limits share a pool. With a
   * {@link ThreadPool} of your own, set them on the pool.
   */
  resourceLimits: RESOURCE_LIMITS,
  /**
   * How many recent event ids are remembered to drop duplicate deliveries.
   * @defaultValue `2_048`
   */
  dedupeWindow: integer({ default: DEFAULT_OPTIONS.dedupeWindow, min: 1, max: 1_000_000 }),
  /**
   * Largest gateway frame accepted, in bytes; a larger one closes the socket (1009) and the session resumes.
   * @defaultValue `16_777_216` (16 MiB)
   */
  maxPayloadBytes: integer({ default: DEFAULT_OPTIONS.maxPayloadBytes, min: 1024 }),
  /** Receives the connector's log lines; silent when absent. The `'debug'` event carries the same text. */
  logger: LOGGER,
  /**
   * Where each attempt runs: `'thread'` (a supervised worker thread: crash and hang isolation), `'in-process'`
   * (the host's own thread: for tests, debugging and hosts without worker threads; no isolation), or an
   * {@link AttemptRunner} of your own.
   * @defaultValue `'thread'`
   */
  runner: custom<RunnerOption>(
    (value) => {
      if (value === 'thread' || value === 'in-process') return value;
      if (isObject(value) && ['start', 'reset', 'close'].every((m) => typeof value[m] === 'function'))
        return value as unknown as AttemptRunner;
      throw invalidOption("Expected `runner` to be 'thread', 'in-process' or an AttemptRunner (start, reset, close)");
    },
    { default: 'thread' },
  ),
  /**
   * Which worker threads host this bot's sessions (with `runner: 'thread'`). `'shared'`: the process's pool,
   * shared by every connector (up to 50 sessions of any bots per thread, one spare thread per pool), for hosts
   * that run many bots. `'own'`: threads of its own, one per shard plus a spare (the smallest blast radius:
   * nothing of another bot shares its thread). A {@link ThreadPool}: one the host sized and shares as it chooses.
   * docs/design-notes.md "Many bots in one process" has the measured trade-off.
   * @defaultValue `'shared'`
   */
  threads: custom<ThreadsOption>(
    (value) => {
      if (value === 'shared' || value === 'own' || value instanceof ThreadPool) return value;
      throw invalidOption("Expected `threads` to be 'shared', 'own' or a ThreadPool");
    },
    { default: 'shared' },
  ),
  /**
   * Where sessions are kept between attempts (and, with a durable store, between processes).
   * @defaultValue a new {@link MemorySessionStore}
   */
  store: custom<SessionStore, SessionStore | undefined>(
    (value, path) => {
      const store = hasMethods<SessionStore>(['load', 'save', 'clear', 'close'], 'a SessionStore')(value, path);
      // Ownership moved from `store.leases` to `store.fleet.leases`: a store written for the old shape must not lose it silently.
      if ('leases' in store && !('fleet' in store)) {
        throw invalidOption(
          'Expected the `store` to offer its leases as `fleet: { leases }`, not `leases` (README "Running more than one process")',
        );
      }
      return store;
    },
    { default: undefined },
  ),
  /** When checkpoints of the acknowledged seq are written to `store` (README "Running more than one process"). */
  checkpoint: section(CHECKPOINT),
  /**
   * The passive-reply rules behind `reply()` (`msg_seq`, 5 replies per message, the reply window). Several
   * processes that answer the same messages (webhook replicas behind a load balancer) share the counts through
   * `replies.store`; without one, the `store`'s own reply state is used when it has one (`RedisSessionStore`
   * does: `msg_seq` never repeats across the fleet), else this process's memory.
   * @defaultValue `{ store: store.replies }` when the session store offers one, else counts in memory
   * @example `{ store: new RedisReplyStore({ prefix: 'mybot:' }) }`
   */
  replies: section(REPLY_TRACKER),
};

export type QQBotConnectorOptions = OptionsOf<typeof CONNECTOR>;

/** Options after validation, with every default filled in (`intents` too: the webhook has all of them). */
export type ResolvedOptions = Omit<ResolvedOf<typeof CONNECTOR>, 'intents'> & { intents: number };

/** Validates once, at construction (undici/pino style). Messages name the option, never its secret value. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (!isObject(input)) throw invalidOption('Expected options to be an object with appId, secret and intents');
  const resolved = resolve(CONNECTOR, input, '');
  const { transport, store } = resolved;
  // The webhook transport has no use for intents: absent is fine there, wrong is still refused.
  const intents = resolved.intents ?? (transport.kind === 'webhook' ? ALL_INTENTS : undefined);
  if (intents === undefined) throw invalidOption(INTENTS_ERROR);
  if (resolved.threads instanceof ThreadPool && resolved.resourceLimits !== undefined) {
    throw invalidOption(
      'Expected `resourceLimits` to be set on the ThreadPool given as `threads`, not on the connector',
    );
  }
  if (transport.kind === 'webhook') refuseWebhookMeaningless(input);
  // The session store's reply state is checked as the option would be: a reply must not find it unusable.
  const replies =
    resolved.replies.store === undefined && store?.replies !== undefined
      ? { ...resolved.replies, store: REPLY_TRACKER.store.resolve(store.replies, 'store.replies') }
      : resolved.replies;
  return { ...resolved, intents, replies };
}

/**
 * The webhook transport has no session: the platform calls it, and any replica may receive any callback. Of a
 * store it uses what replicas share — the delivered callbacks (`store.claims`) and the reply counts
 * (`store.replies`) — and nothing that belongs to a gateway session: the store's ownership (`fleet`, on by
 * default) is not used, every replica serves. Connector options that only mean something for a session are
 * refused rather than silently ignored.
 */
function refuseWebhookMeaningless(input: Record<string, unknown>): void {
  // The webhook transport is one listener: `shards` may only say so.
  if (input.shards !== undefined && input.shards !== 1) {
    throw invalidOption(
      'Expected `shards` to be 1 (or absent) with `transport.kind` webhook: the callback is one listener',
    );
  }
  if (input.checkpoint !== undefined)
    throw invalidOption('Expected no `checkpoint` with `transport.kind` webhook: there is no session to checkpoint');
  if (input.dedupeWindow !== undefined) {
    throw invalidOption(
      'Expected no `dedupeWindow` with `transport.kind` webhook: callbacks are remembered for `transport.timestampWindowMs`, not by count',
    );
  }
}
