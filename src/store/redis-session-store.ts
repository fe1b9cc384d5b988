import type { ReplyStore } from '../replies/passive-reply.js';
import { checkpointFromStored, checkpointToStored, parseStoredJson } from './checkpoint-codec.js';
import type { Fleet } from '../fleet/fleet.js';
import { notHeld } from '../fleet/lease-lost.js';
import { RedisIdentifyGate } from '../fleet/redis-identify-gate.js';
import {
  DEFAULT_LEASE,
  FENCED_WRITE,
  LEASE,
  RedisLeases,
  type LeaseOptions,
  type ResolvedLease,
} from '../fleet/redis-leases.js';
import { RedisShardCount } from '../fleet/redis-shard-count.js';
import { custom, resolve, type OptionsOf } from '../options/schema.js';
import { REDIS_CONNECTION, RedisConnection } from '../redis-client/redis-connection.js';
import type { DeliveryClaims } from './delivery-claims.js';
import { RedisDeliveryClaims } from './redis-delivery-claims.js';
import { spendReply } from './redis-reply-store.js';
import type { SessionCheckpoint, SessionStore } from './session-store.js';

const REDIS_SESSION_STORE = {
  ...REDIS_CONNECTION,
  /**
   * Ownership: each shard is run by one process at a time, under a lease in Redis with a fencing token that every
   * checkpoint write is checked against. A second process is a `'standby'` and takes over when the holder closes
   * (at once) or dies (after `ttlMs`). `false` opts out: nothing keeps two processes from running one session
   * (they kick each other off, and may fork it: `QQBOT_SESSION_CONTESTED` says so), but the session survives a
   * Redis outage, where a holder that cannot renew stops its shards at 4/5 of `ttlMs` (safety over availability).
   * @defaultValue `true`: ownership with the default {@link LeaseOptions}
   */
  lease: custom<boolean | LeaseOptions, ResolvedLease | false>(
    (value, path) => (value === false ? false : resolve(LEASE, value === true ? undefined : value, path)),
    { default: DEFAULT_LEASE },
  ),
};

export type RedisSessionStoreOptions = OptionsOf<typeof REDIS_SESSION_STORE>;

/**
 * Keeps each shard's checkpoint in Redis (`<prefix>session:<shard>`, a JSON string), so a restarted process —
 * on this host or another — RESUMEs the session. Import it from `qqbot-connector/redis`; it needs the `redis`
 * package (node-redis), an optional peer dependency that nothing else loads.
 *
 * While Redis is away every call fails fast with `QQBOT_STORE_UNAVAILABLE` (retryable) and the client
 * reconnects in the background; the connector keeps the session going and writes the latest checkpoint when
 * Redis is back. Options are checked at construction: unknown keys are `QQBOT_INVALID_OPTION`.
 *
 * It also keeps what replicas of a webhook bot share (docs/webhook.md "Several replicas"): which callbacks were
 * delivered ({@link RedisSessionStore.claims}) and the passive-reply counts ({@link RedisSessionStore.replies}),
 * on the same connection and prefix. Sessions and leases mean nothing to a webhook (it has no session).
 *
 * @example
 * ```ts
 * import { RedisSessionStore } from 'qqbot-connector/redis';
 * new QQBotConnector({ …, store: new RedisSessionStore({ url: 'redis://127.0.0.1:6379', prefix: 'mybot:' }) });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  /**
   * Present unless `lease: false`: the fleet in Redis, on this store's connection and prefix — the leases (the
   * connector runs a shard only while it holds its lease, and checkpoint writes are fenced by it), the IDENTIFY
   * gate across processes (`<prefix>identify…`) and the shard count (`<prefix>shard-count`).
   */
  readonly fleet?: Fleet;
  /** Webhook callbacks delivered by any process of the fleet, under `<prefix>claim:…`: a copy is acknowledged, not delivered again. */
  readonly claims: DeliveryClaims;
  /** Passive-reply counts shared by the fleet, under `<prefix>reply:…` (the keys of `RedisReplyStore`): `msg_seq` never repeats. */
  readonly replies: ReplyStore;
  readonly #redis: RedisConnection;
  readonly #leases: RedisLeases | undefined;

  constructor(options: RedisSessionStoreOptions = {}) {
    const { lease, ...connection } = resolve(REDIS_SESSION_STORE, options, 'RedisSessionStore');
    this.#redis = new RedisConnection(connection);
    this.claims = new RedisDeliveryClaims(this.#redis);
    const redis = this.#redis;
    this.replies = { spend: (key, expiresAt) => spendReply(redis, key, expiresAt) };
    if (lease !== false) {
      this.#leases = new RedisLeases(this.#redis, lease);
      this.fleet = {
        leases: this.#leases,
        identifyGate: new RedisIdentifyGate(this.#redis),
        shardCount: new RedisShardCount(this.#redis),
      };
    }
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

  save(shard: number, checkpoint: SessionCheckpoint): Promise<void> {
    return this.#write(shard, JSON.stringify(checkpointToStored(checkpoint)));
  }

  clear(shard: number): Promise<void> {
    return this.#write(shard, '');
  }

  /** Gives up the leases held (a standby takes over at once), then disconnects. */
  async close(): Promise<void> {
    await this.#leases?.releaseAll();
    await this.#redis.close();
  }

  /** `text` '' deletes. With leases, the write lands only under this process's lease (Lua, checked in Redis). */
  async #write(shard: number, text: string): Promise<void> {
    const key = this.#key(shard);
    const leases = this.#leases;
    if (leases === undefined) {
      await this.#redis.command(`write ${key}`, text === '' ? ['DEL', key] : ['SET', key, text]);
      return;
    }
    const lease = leases.holding(shard);
    if (lease === undefined) throw notHeld(shard);
    const written = await this.#redis.evaluate(
      `write ${key}`,
      FENCED_WRITE,
      [leases.leaseKey(shard), key],
      [lease.token, text],
    );
    if (Number(written) !== 1) throw lease.fenced();
  }

  #key(shard: number): string {
    return `${this.#redis.prefix}session:${shard}`;
  }
}
