import { createClient, type RedisClientType } from 'redis';
import { ErrorCodes, QQBotError, invalidOption, storeUnavailable } from '../errors.js';
import { custom, defaultsOf, integer, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import { raceAbort } from '../util/abort.js';

/**
 * The one Redis client of this library and the options every Redis-backed piece is given. In a folder of its own,
 * below `store/` and `fleet/`: a store and the fleet it offers ride one connection, and the fleet reaches it without
 * importing the store.
 * @module
 */

/** What every Redis-backed piece of this library is given (a store adds its own keys to it). */
export const REDIS_CONNECTION = {
  /**
   * The server, as a `redis://` or `rediss://` URL (user, password and database number included).
   * @defaultValue `'redis://127.0.0.1:6379'`
   */
  url: custom<string>(
    (value, path) => {
      if (typeof value !== 'string' || !/^rediss?:\/\/./.test(value))
        throw invalidOption(`Expected \`${path}\` to be a redis:// or rediss:// URL`);
      return value;
    },
    { default: 'redis://127.0.0.1:6379' },
  ),
  /**
   * Put in front of every key this library writes. Give each bot its own: two bots under one prefix would
   * share their sessions.
   * @defaultValue `'qqbot:'`
   */
  prefix: custom<string>(
    (value, path) => {
      if (typeof value !== 'string' || value === '')
        throw invalidOption(`Expected \`${path}\` to be a non-empty string`);
      return value;
    },
    { default: 'qqbot:' },
  ),
  /**
   * How long one command (and, the first time, the connection) may take before it fails with
   * `QQBOT_STORE_UNAVAILABLE`. The event path never waits on it: checkpoints are written in the background.
   * @defaultValue `2_000`
   */
  commandTimeoutMs: integer({ default: 2_000, min: 1 }),
};

export type RedisConnectionOptions = OptionsOf<typeof REDIS_CONNECTION>;
export type ResolvedRedisConnection = ResolvedOf<typeof REDIS_CONNECTION>;

export const DEFAULT_REDIS_CONNECTION: Readonly<ResolvedRedisConnection> = Object.freeze(defaultsOf(REDIS_CONNECTION));

/** Reconnection backoff: 50 ms doubling to 2 s. Redis being away never ends the client; each command fails instead. */
const reconnectDelay = (retries: number): number => Math.min(50 * 2 ** retries, 2_000);

/**
 * One lazily opened node-redis client. Commands fail fast while Redis is away (no offline queue: a checkpoint
 * queued for minutes would be written stale, a lease renewal queued past its expiry would be a lie) and the
 * client reconnects in the background.
 */
export class RedisConnection {
  readonly prefix: string;
  readonly #url: string;
  readonly #timeoutMs: number;
  #client: RedisClientType | undefined;
  #connecting: Promise<unknown> | undefined;
  #closed = false;

  constructor(options: ResolvedRedisConnection) {
    this.#url = options.url;
    this.prefix = options.prefix;
    this.#timeoutMs = options.commandTimeoutMs;
  }

  /** Sends one command; any failure (offline, timeout, server error) is `QQBOT_STORE_UNAVAILABLE`. */
  async command(what: string, args: readonly string[]): Promise<unknown> {
    const client = await this.#ready(what);
    try {
      return await client.sendCommand([...args]);
    } catch (err) {
      throw storeUnavailable(what, err);
    }
  }

  /** Runs a Lua script atomically (EVAL: Redis caches it by its hash after the first call). */
  evaluate(what: string, script: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.command(what, ['EVAL', script, String(keys.length), ...keys, ...args]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    if (client === undefined) return;
    // close() waits for replies already sent for; a client still (re)connecting is destroyed instead.
    if (client.isReady) await client.close().catch(() => client.destroy());
    else if (client.isOpen) client.destroy();
  }

  async #ready(what: string): Promise<RedisClientType> {
    if (this.#closed) throw new QQBotError(ErrorCodes.CLOSED, 'the Redis store is closed');
    if (this.#client === undefined) {
      const client: RedisClientType = createClient({
        url: this.#url,
        disableOfflineQueue: true,
        commandOptions: { timeout: this.#timeoutMs },
        socket: { connectTimeout: this.#timeoutMs, reconnectStrategy: reconnectDelay },
      });
      // Every command reports its own failure; the client's connection errors would only repeat them
      // (and an 'error' event without a listener would crash the host).
      client.on('error', () => undefined);
      this.#client = client;
      this.#connecting = client.connect();
      this.#connecting.catch(() => undefined);
    }
    const client = this.#client;
    if (!client.isReady) {
      const deadline = AbortSignal.timeout(this.#timeoutMs);
      await raceAbort(this.#connecting as Promise<unknown>, [deadline], () =>
        storeUnavailable(`${what}: Redis did not answer within ${this.#timeoutMs} ms`, undefined),
      ).catch((err: unknown) => {
        throw err instanceof QQBotError ? err : storeUnavailable(what, err);
      });
      if (!client.isReady) throw storeUnavailable(`${what}: not connected to Redis`, undefined);
    }
    return client;
  }
}
