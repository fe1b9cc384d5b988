import { checkpointFromStored, checkpointToStored, parseStoredJson } from './checkpoint-codec.js';
import { RedisConnection, resolveRedisOptions, type RedisConnectionOptions } from './redis-connection.js';
import type { SessionCheckpoint, SessionStore } from './session-store.js';

export type RedisSessionStoreOptions = RedisConnectionOptions;

/**
 * Keeps each shard's checkpoint in Redis (`<prefix>session:<shard>`, a JSON string), so a restarted process —
 * on this host or another — RESUMEs the session. Import it from `qqbot-connector/redis`; it needs the `redis`
 * package (node-redis), an optional peer dependency that nothing else loads.
 *
 * While Redis is away every call fails fast with `QQBOT_STORE_UNAVAILABLE` (retryable) and the client
 * reconnects in the background; the connector keeps the session going and writes the latest checkpoint when
 * Redis is back. Options are checked at construction: unknown keys are `QQBOT_INVALID_OPTION`.
 *
 * @example
 * ```ts
 * import { RedisSessionStore } from 'qqbot-connector/redis';
 * new QQBotConnector({ …, store: new RedisSessionStore({ url: 'redis://127.0.0.1:6379', prefix: 'mybot:' }) });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisConnection;

  constructor(options: RedisSessionStoreOptions = {}) {
    const { connection } = resolveRedisOptions('RedisSessionStore', options, []);
    this.#redis = new RedisConnection(connection);
  }

  /** The key prefix, as given. */
  get prefix(): string {
    return this.#redis.prefix;
  }

  async load(shard: number): Promise<SessionCheckpoint | null> {
    const key = this.#key(shard);
    const text = await this.#redis.command(`read ${key}`, ['GET', key]);
    if (text === null) return null;
    return checkpointFromStored(parseStoredJson(String(text), key), key);
  }

  async save(shard: number, checkpoint: SessionCheckpoint): Promise<void> {
    const key = this.#key(shard);
    await this.#redis.command(`write ${key}`, ['SET', key, JSON.stringify(checkpointToStored(checkpoint))]);
  }

  async clear(shard: number): Promise<void> {
    const key = this.#key(shard);
    await this.#redis.command(`delete ${key}`, ['DEL', key]);
  }

  close(): Promise<void> {
    return this.#redis.close();
  }

  #key(shard: number): string {
    return `${this.#redis.prefix}session:${shard}`;
  }
}
