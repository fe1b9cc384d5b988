import { randomBytes } from 'node:crypto';
import type { ClaimState, DeliveryClaims } from './delivery-claims.js';
import type { RedisConnection } from '../redis-client/redis-connection.js';

/** Drops the claim only while it is still ours: a lapsed one may belong to another process by now. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/**
 * {@link DeliveryClaims} in Redis (`<prefix>claim:<key>`), shared by every process of a webhook fleet: a
 * callback delivered by one replica is acknowledged, not delivered, by the others. Each key expires on its own
 * (a claim after `claimMs`, a delivered key at the end of the callback's timestamp window).
 */
export class RedisDeliveryClaims implements DeliveryClaims {
  readonly #redis: RedisConnection;
  /** This process's claim tokens, by key, until delivered or released. */
  readonly #tokens = new Map<string, string>();
  readonly #process = randomBytes(6).toString('hex');
  #next = 0;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  /**
   * `SET NX` wins or loses atomically; only a loser reads what holds the key (a delivered key holds `d`, a claim
   * its holder's token). A claim that lapsed between the two reads as pending: the caller looks again.
   */
  async claim(key: string, claimMs: number): Promise<ClaimState> {
    const token = `c:${this.#process}:${this.#next++}`;
    const redisKey = this.#key(key);
    const ms = String(Math.max(1, Math.ceil(claimMs)));
    if ((await this.#redis.command(`claim ${redisKey}`, ['SET', redisKey, token, 'NX', 'PX', ms])) !== null) {
      this.#tokens.set(key, token);
      return 'claimed';
    }
    return (await this.#redis.command(`read ${redisKey}`, ['GET', redisKey])) === 'd' ? 'delivered' : 'pending';
  }

  async delivered(key: string, expiresAt: number): Promise<void> {
    this.#tokens.delete(key);
    const ms = Math.ceil(expiresAt - Date.now());
    if (ms <= 0) return;
    await this.#redis.command(`mark ${this.#key(key)} delivered`, ['SET', this.#key(key), 'd', 'PX', String(ms)]);
  }

  async release(key: string): Promise<void> {
    const token = this.#tokens.get(key);
    this.#tokens.delete(key);
    if (token === undefined) return;
    await this.#redis.evaluate(`release ${this.#key(key)}`, RELEASE, [this.#key(key)], [token]);
  }

  #key(key: string): string {
    return `${this.#redis.prefix}claim:${key}`;
  }
}
