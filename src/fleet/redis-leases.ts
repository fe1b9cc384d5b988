import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { QQBotError } from '../errors.js';
import { defaultsOf, integer, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import type { RedisConnection } from '../redis-client/redis-connection.js';
import { sleep } from '../util/abort.js';
import { leaseLost } from './lease-lost.js';
import type { LeaseWait, ShardLease, ShardLeases } from './leases.js';

/** A Redis store's `lease` option: how long a lease lasts, and how many shards this process holds at most. */
export const LEASE = {
  /**
   * How long a lease lasts without renewal: after a holder dies, a standby takes the shard this long after its
   * last renewal. The holder renews every third of it, and stops its shard by itself when it has not renewed
   * for 4/5 of it, so two processes never run one shard.
   * @defaultValue `10_000`
   */
  ttlMs: integer({ default: 10_000, min: 300, max: 3_600_000 }),
  /**
   * The most shards this process holds at once (fleet sharding): the rest are left to other processes. This
   * process is a `'standby'` for a shard another process holds (it takes it over when it has room and the holder
   * died); a shard nobody holds while this process is at its limit stays `'idle'` (unhealthy: nobody runs it).
   * @defaultValue no limit (`Number.MAX_SAFE_INTEGER`)
   */
  maxShards: integer({ default: Number.MAX_SAFE_INTEGER, min: 1 }),
};

export type LeaseOptions = OptionsOf<typeof LEASE>;
export type ResolvedLease = ResolvedOf<typeof LEASE>;

export const DEFAULT_LEASE: Readonly<ResolvedLease> = Object.freeze(defaultsOf(LEASE));

/**
 * Takes a free lease: the fencing counter grows by one, and the token carries it. `SET NX PX`: never over a live
 * lease. A lease already taken answers `{holder's token}` (a one-element array), so the caller sees who holds it.
 */
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder then return {holder} end
local token = redis.call('INCR', KEYS[2]) .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[2])
return token`;

const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * A checkpoint write (ARGV[2] set) or clear (ARGV[2] empty) that lands only while the lease key holds this
 * holder's token: a paused or partitioned old holder can never overwrite the new holder's session.
 */
export const FENCED_WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2]) end
return 1`;

/** One held lease: renews itself, and gives up locally before Redis could give it to another process. */
class RedisShardLease implements ShardLease {
  readonly shard: number;
  readonly token: string;
  readonly #controller = new AbortController();
  readonly #redis: RedisConnection;
  readonly #key: string;
  readonly #ttlMs: number;
  readonly #onEnd: () => void;
  /** `performance.now()` past which the lease may have expired in Redis (minus a margin): monotonic, so a pause counts. */
  #validUntil: number;
  #renewTimer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;

  constructor(
    shard: number,
    token: string,
    redis: RedisConnection,
    key: string,
    ttlMs: number,
    acquiredAt: number,
    onEnd: () => void,
  ) {
    this.shard = shard;
    this.token = token;
    this.#redis = redis;
    this.#key = key;
    this.#ttlMs = ttlMs;
    this.#onEnd = onEnd;
    this.#validUntil = acquiredAt + this.#safeMs();
    this.#scheduleRenewal(acquiredAt);
    this.#armDeadline();
  }

  get lost(): AbortSignal {
    return this.#controller.signal;
  }

  held(): boolean {
    if (this.#controller.signal.aborted) return false;
    if (performance.now() < this.#validUntil) return true;
    this.#lose('not renewed in time');
    return false;
  }

  async release(): Promise<void> {
    if (this.#controller.signal.aborted) return;
    this.#end(leaseLost(this.shard, 'released'));
    await this.#redis.evaluate(`release ${this.#key}`, RELEASE, [this.#key], [this.token]).catch(() => undefined);
  }

  /** Time from a renewal's send during which the lease is surely ours: 4/5 of the TTL. */
  #safeMs(): number {
    return Math.floor((this.#ttlMs * 4) / 5);
  }

  /** The next renewal a third of the TTL after `base` (when the last successful one was sent). */
  #scheduleRenewal(base: number): void {
    this.#renewTimer = setTimeout(() => void this.#renew(), Math.max(0, base + this.#ttlMs / 3 - performance.now()));
  }

  #armDeadline(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.held(), Math.max(0, this.#validUntil - performance.now()));
  }

  async #renew(): Promise<void> {
    if (!this.held()) return;
    const sentAt = performance.now();
    let base = sentAt;
    try {
      const renewed = await this.#redis.evaluate(
        `renew ${this.#key}`,
        RENEW,
        [this.#key],
        [this.token, String(this.#ttlMs)],
      );
      if (this.#controller.signal.aborted) return;
      if (Number(renewed) !== 1) return this.#lose('another process holds it');
      this.#validUntil = sentAt + this.#safeMs();
      this.#armDeadline();
    } catch {
      // Redis did not answer: try again soon (a tenth of the TTL); the deadline stops the shard if none succeeds.
      base = performance.now() - this.#ttlMs / 3 + this.#ttlMs / 10;
    }
    if (!this.#controller.signal.aborted) this.#scheduleRenewal(base);
  }

  /** Fencing refused a write: Redis says the lease is not ours any more. */
  fenced(): QQBotError {
    this.#lose('a checkpoint write was fenced off');
    return leaseLost(this.shard, 'a checkpoint write was fenced off');
  }

  #lose(why: string): void {
    if (!this.#controller.signal.aborted) this.#end(leaseLost(this.shard, why));
  }

  #end(reason: QQBotError): void {
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#deadline);
    this.#controller.abort(reason);
    this.#onEnd();
  }
}

/**
 * Shard leases in Redis: `<prefix>lease:<shard>` holds the holder's token (`SET NX PX`), `<prefix>fence:<shard>`
 * the fencing counter. A process waits for a free lease (one GET a poll, at a tenth of the TTL, at most every 250 ms),
 * renews it every third of the TTL, and stops its shard by itself at 4/5 of the TTL without a renewal.
 */
export class RedisLeases implements ShardLeases {
  readonly #redis: RedisConnection;
  readonly #ttlMs: number;
  /** The most shards this process holds at once (`lease.maxShards`); `Number.MAX_SAFE_INTEGER` without a limit. */
  readonly maxShards: number;
  readonly #owner = randomBytes(6).toString('hex');
  readonly #held = new Map<number, RedisShardLease>();
  /** Acquisitions in flight. */
  #claiming = 0;

  constructor(redis: RedisConnection, options: ResolvedLease) {
    this.#redis = redis;
    this.#ttlMs = options.ttlMs;
    this.maxShards = options.maxShards;
  }

  /** The lease this process holds on `shard` right now, if it still surely holds it. */
  holding(shard: number): RedisShardLease | undefined {
    const lease = this.#held.get(shard);
    return lease !== undefined && lease.held() ? lease : undefined;
  }

  leaseKey(shard: number): string {
    return `${this.#redis.prefix}lease:${shard}`;
  }

  async acquire(
    shard: number,
    signal: AbortSignal,
    onWaiting?: (kind: LeaseWait) => void,
  ): Promise<ShardLease | undefined> {
    const pollMs = Math.min(Math.floor(this.#ttlMs / 10), 250);
    const key = this.leaseKey(shard);
    const fence = `${this.#redis.prefix}fence:${shard}`;
    let waiting: LeaseWait = 'idle';
    const report = (kind: LeaseWait): void => {
      if (kind === waiting) return;
      waiting = kind;
      onWaiting?.(kind);
    };
    while (!signal.aborted) {
      // One GET a poll, without a claim: the tries of shards another process holds must never take the room a
      // free shard needs (at `maxShards`, they could keep it from ever being tried).
      let holder = await this.#redis.command(`get ${key}`, ['GET', key]).catch(() => undefined);
      // Counted before the round trip: shards acquiring at once must not all pass the limit.
      if (holder === null && this.#held.size + this.#claiming < this.maxShards) {
        this.#claiming += 1;
        const sentAt = performance.now();
        // A token: ours now; `[holder]`: taken meanwhile; `undefined`: Redis did not answer.
        const reply = await this.#redis
          .evaluate(`acquire ${key}`, ACQUIRE, [key, fence], [this.#owner, String(this.#ttlMs)])
          .catch(() => undefined);
        this.#claiming -= 1;
        if (typeof reply === 'string') {
          const lease = new RedisShardLease(shard, reply, this.#redis, key, this.#ttlMs, sentAt, () => {
            if (this.#held.get(shard) === lease) this.#held.delete(shard);
          });
          if (signal.aborted) {
            await lease.release();
            return undefined;
          }
          this.#held.set(shard, lease);
          return lease;
        }
        holder = Array.isArray(reply) ? reply[0] : undefined;
      }
      // A standby only while another process runs the shard; a free lease this process has no room for, or no
      // answer, is a shard nobody is known to run: 'idle'.
      report(this.#heldByOther(holder) ? 'standby' : 'idle');
      await sleep(pollMs, signal);
    }
    return undefined;
  }

  /** A token of another process (`<fence>:<owner>`); one of ours is a lease this process lost that Redis still keeps a moment. */
  #heldByOther(holder: unknown): boolean {
    return typeof holder === 'string' && !holder.endsWith(`:${this.#owner}`);
  }

  /** Releases every lease held (close()). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.#held.values()].map((lease) => lease.release()));
  }
}
