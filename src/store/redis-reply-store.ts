import type { ReplyStore } from '../replies/passive-reply.js';
import { resolve } from '../options/schema.js';
import { REDIS_CONNECTION, RedisConnection, type RedisConnectionOptions } from '../redis-client/redis-connection.js';

export type RedisReplyStoreOptions = RedisConnectionOptions;

/** INCR and, for the first reply, the expiry at the window's close: one atomic step, so no count outlives its window. */
const SPEND = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return n`;

/** {@link ReplyStore.spend} on `redis`, under `<prefix>reply:<key>`: what RedisReplyStore and RedisSessionStore.replies share. */
export async function spendReply(redis: RedisConnection, key: string, expiresAt: number): Promise<number> {
  const redisKey = `${redis.prefix}reply:${key}`;
  return Number(
    await redis.evaluate(`count a reply in ${redisKey}`, SPEND, [redisKey], [String(Math.ceil(expiresAt))]),
  );
}

/**
 * Passive-reply counts in Redis (`<prefix>reply:m:<msg_id>` / `reply:e:<event_id>`), shared by every process
 * that answers the bot's messages: each reply's `msg_seq` comes from one atomic `INCR`, so two processes never
 * send the same one, and the limit of 5 holds across them. Each count expires when its reply window closes.
 * A connector with a `RedisSessionStore` needs none: the store's own `replies` is used (same keys).
 *
 * @example
 * ```ts
 * import { RedisReplyStore } from 'qqbot-connector/redis';
 * const api = new QQOpenAPI({ appId, secret, replies: { store: new RedisReplyStore({ prefix: 'mybot:' }) } });
 * ```
 */
export class RedisReplyStore implements ReplyStore {
  readonly #redis: RedisConnection;

  constructor(options: RedisReplyStoreOptions = {}) {
    this.#redis = new RedisConnection(resolve(REDIS_CONNECTION, options, 'RedisReplyStore'));
  }

  spend(key: string, expiresAt: number): Promise<number> {
    return spendReply(this.#redis, key, expiresAt);
  }

  close(): Promise<void> {
    return this.#redis.close();
  }
}
