import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import type { ShardLease } from '../../src/fleet/leases.js';
import { CHECKPOINT } from './store-contract.js';
import { PrivateRedis, REDIS_URL, deleteKeysUnder, uniquePrefix } from './redis-helpers.js';

let prefix: string;
const stores: RedisSessionStore[] = [];
const aborts: AbortController[] = [];

beforeEach(() => {
  prefix = uniquePrefix();
});

afterEach(async () => {
  aborts.splice(0).forEach((a) => a.abort());
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await deleteKeysUnder(prefix);
});

/** One process's store, with leases. */
function processStore(lease: object = { ttlMs: 2_000 }, url = REDIS_URL): RedisSessionStore {
  const store = new RedisSessionStore({ url, prefix, lease, commandTimeoutMs: 300 });
  stores.push(store);
  return store;
}

async function acquire(store: RedisSessionStore, shard = 0): Promise<ShardLease> {
  const signal = new AbortController();
  aborts.push(signal);
  const lease = await store.fleet?.leases.acquire(shard, signal.signal);
  if (lease === undefined) throw new Error('no lease');
  return lease;
}

async function redisCommand(...args: string[]): Promise<unknown> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

function lostReason(lease: ShardLease): Promise<QQBotError> {
  return new Promise((resolve) => {
    if (lease.lost.aborted) resolve(lease.lost.reason as QQBotError);
    else lease.lost.addEventListener('abort', () => resolve(lease.lost.reason as QQBotError), { once: true });
  });
}

it('one holder per shard: the other waits, and its writes are refused with QQBOT_LEASE_LOST', async () => {
  const a = processStore();
  const b = processStore();
  const leaseA = await acquire(a);
  expect(leaseA.held()).toBe(true);
  const waiting = new AbortController();
  aborts.push(waiting);
  let bGot = false;
  const waits: string[] = [];
  const bLease = b.fleet?.leases
    .acquire(0, waiting.signal, (kind) => waits.push(kind))
    .then((l) => ((bGot = l !== undefined), l));
  await a.save(0, CHECKPOINT);
  await expect(b.save(0, { ...CHECKPOINT, seq: 99 })).rejects.toMatchObject({
    code: ErrorCodes.LEASE_LOST,
    retryable: true,
  });
  expect(await b.load(0)).toEqual(CHECKPOINT);
  // A lease renewed every third of its TTL outlives several TTLs.
  const until = performance.now() + 5_000;
  while (performance.now() < until) {
    expect(leaseA.held()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(bGot).toBe(false);
  // Told once that it is a standby, however many tries found the lease taken (changes only).
  expect(waits).toEqual(['standby']);
  waiting.abort();
  expect(await bLease).toBeUndefined();
});

it('release hands the shard over at once, with a larger fencing token', async () => {
  const a = processStore();
  const b = processStore();
  const leaseA = await acquire(a);
  const bLease = acquire(b);
  const started = performance.now();
  await leaseA.release();
  expect((await lostReason(leaseA)).code).toBe(ErrorCodes.LEASE_LOST);
  const leaseB = await bLease;
  expect(performance.now() - started).toBeLessThan(2_000);
  expect(Number(leaseB.token.split(':')[0])).toBeGreaterThan(Number(leaseA.token.split(':')[0]));
  await b.save(0, CHECKPOINT);
  await expect(a.save(0, { ...CHECKPOINT, seq: 1 })).rejects.toMatchObject({ code: ErrorCodes.LEASE_LOST });
});

it('fencing: an old holder whose lease expired (a pause) cannot overwrite the new holder’s checkpoint', async () => {
  const a = processStore({ ttlMs: 60_000 });
  const b = processStore({ ttlMs: 60_000 });
  const leaseA = await acquire(a);
  // The lease expires in Redis while A still believes it holds it (as after a long GC pause or a partition).
  await redisCommand('DEL', `${prefix}lease:0`);
  const leaseB = await acquire(b);
  await b.save(0, { ...CHECKPOINT, sessionId: 'from-b', seq: 10 });
  expect(leaseA.held()).toBe(true);
  await expect(a.save(0, { ...CHECKPOINT, sessionId: 'from-a', seq: 5 })).rejects.toMatchObject({
    code: ErrorCodes.LEASE_LOST,
  });
  await expect(a.clear(0)).rejects.toMatchObject({ code: ErrorCodes.LEASE_LOST });
  expect(leaseA.lost.aborted).toBe(true);
  expect(leaseA.held()).toBe(false);
  expect(leaseB.held()).toBe(true);
  expect(await b.load(0)).toMatchObject({ sessionId: 'from-b', seq: 10 });
});

it('a holder that cannot renew (Redis gone) gives the shard up before the lease can expire', async () => {
  const redis = await PrivateRedis.start();
  try {
    const a = processStore({ ttlMs: 2_000 }, redis.url);
    const lease = await acquire(a);
    const acquiredAt = performance.now();
    await redis.down();
    const reason = await lostReason(lease);
    const lostAfter = performance.now() - acquiredAt;
    expect(reason.code).toBe(ErrorCodes.LEASE_LOST);
    // 4/5 of the TTL after the last renewal was sent: always before Redis would have let it expire.
    expect(lostAfter).toBeLessThan(2_000);
    expect(lease.held()).toBe(false);
  } finally {
    await redis.down();
  }
});

/** Each kind `acquire()` reports while it waits, and a way to await the next one. */
function waitLog(): { kinds: string[]; onWaiting: (kind: string) => void; next: (kind: string) => Promise<void> } {
  const kinds: string[] = [];
  const waiters = new Set<{ kind: string; resolve: () => void }>();
  return {
    kinds,
    onWaiting: (kind) => {
      kinds.push(kind);
      for (const w of waiters) {
        if (w.kind !== kind) continue;
        waiters.delete(w);
        w.resolve();
      }
    },
    next: (kind) => new Promise((resolve) => waiters.add({ kind, resolve })),
  };
}

it('lease.maxShards: a process holds at most that many; past it a free shard stays idle, one another process holds is a standby', async () => {
  const a = processStore({ ttlMs: 2_000, maxShards: 1 });
  const b = processStore({ ttlMs: 2_000 });
  const lease0 = await acquire(a, 0);
  const signal = new AbortController();
  aborts.push(signal);
  let second: ShardLease | undefined;
  const log = waitLog();
  const pending = a.fleet?.leases.acquire(1, signal.signal, log.onWaiting).then((l) => (second = l));
  // Several polls (every 200 ms) at the limit: shard 1 is free, so nobody runs it and A must not call itself its standby.
  await new Promise((resolve) => setTimeout(resolve, 800));
  expect(log.kinds).toEqual([]);
  // Another process takes it: now A is its standby; freed while A is still at its limit: idle again.
  const isStandby = log.next('standby');
  const leaseB = await acquire(b, 1);
  await isStandby;
  const isIdle = log.next('idle');
  await leaseB.release();
  await isIdle;
  expect(log.kinds).toEqual(['standby', 'idle']);
  expect(second).toBeUndefined();
  await lease0.release();
  await pending;
  expect(second?.shard).toBe(1);
});

it('lease.maxShards: the tries for a shard another process holds never crowd out a free shard', async () => {
  const a = processStore();
  const b = processStore({ ttlMs: 2_000, maxShards: 1 });
  await acquire(a, 0);
  // Started in this order, shard 0's tries would always come first and, had they taken B's one slot for their
  // round trip, shard 1's would always find B at its limit.
  const signal = new AbortController();
  aborts.push(signal);
  const log = waitLog();
  const isStandby = log.next('standby');
  const standby = b.fleet?.leases.acquire(0, signal.signal, log.onWaiting);
  // Taken at its first try; 25 polls is a generous bound that still tells "never" from "at once".
  let timer: NodeJS.Timeout | undefined;
  const starved = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('shard 1 was never tried')), 5_000)),
  );
  const lease1 = await Promise.race([acquire(b, 1), starved]).finally(() => clearTimeout(timer));
  expect(lease1.shard).toBe(1);
  await isStandby;
  signal.abort();
  expect(await standby).toBeUndefined();
});

it('a standby whose Redis stops answering is idle (nobody is known to run the shard), and takes the lease once Redis is back', async () => {
  const redis = await PrivateRedis.start();
  try {
    const a = processStore({ ttlMs: 2_000 }, redis.url);
    const b = processStore({ ttlMs: 2_000 }, redis.url);
    await acquire(a);
    const signal = new AbortController();
    aborts.push(signal);
    const log = waitLog();
    const isStandby = log.next('standby');
    const pending = b.fleet?.leases.acquire(0, signal.signal, log.onWaiting);
    await isStandby;
    const isIdle = log.next('idle');
    await redis.down();
    await isIdle;
    // The server comes back empty: the lease is free, and B takes it.
    await redis.up();
    expect((await pending)?.shard).toBe(0);
    expect(log.kinds).toEqual(['standby', 'idle']);
  } finally {
    await redis.down();
  }
});

it('refuses bad lease options with QQBOT_INVALID_OPTION', () => {
  expect(() => new RedisSessionStore({ lease: { ttlMs: 10 } })).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
  expect(() => new RedisSessionStore({ lease: { ttl: 1_000 } as never })).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
  expect(() => new RedisSessionStore({ lease: 'yes' as never })).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
});
