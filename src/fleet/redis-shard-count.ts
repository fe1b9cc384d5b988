import { ErrorCodes, QQBotError } from '../errors.js';
import { MAX_SHARDS } from '../protocol/payloads.js';
import type { RedisConnection } from '../redis-client/redis-connection.js';
import type { FleetShardCount, ShardCountAgreement } from './shard-count.js';

/** The first process's count stays (`SET NX`, no expiry: it outlives every process); everyone reads what is stored. */
const AGREE = `
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])`;

/**
 * `shards: 'auto'` across a fleet: leases and checkpoints are keyed by shard index, so every process must IDENTIFY
 * with the same count. The first process stores its recommendation in `<prefix>shard-count`; later ones adopt it.
 * Rejects with `QQBOT_STORE_UNAVAILABLE` when Redis does not answer, `QQBOT_STORE_CORRUPT` when the key holds no count.
 */
async function agreeShardCount(redis: RedisConnection, recommended: number): Promise<FleetShardCount> {
  const key = `${redis.prefix}shard-count`;
  const stored = await redis.evaluate(`agree on the shard count in ${key}`, AGREE, [key], [String(recommended)]);
  const shards = typeof stored === 'string' && /^\d{1,4}$/.test(stored) ? Number(stored) : Number.NaN;
  if (!(shards >= 1 && shards <= MAX_SHARDS)) {
    throw new QQBotError(
      ErrorCodes.STORE_CORRUPT,
      `${key} holds no shard count (an integer 1..${MAX_SHARDS}); delete it to let the fleet store its count again`,
      {
        details: { where: key },
      },
    );
  }
  return { shards, key };
}

/** The fleet's count in Redis, on the store's connection and prefix. */
export class RedisShardCount implements ShardCountAgreement {
  readonly #redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  agree(recommended: number): Promise<FleetShardCount> {
    return agreeShardCount(this.#redis, recommended);
  }
}
