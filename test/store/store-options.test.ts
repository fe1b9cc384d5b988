import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { DEFAULT_LEASE, DEFAULT_REDIS_CONNECTION, RedisReplyStore, RedisSessionStore } from '../../src/redis/index.js';
import { ThreadPool } from '../../src/runners/thread-pool.js';
import { FileSessionStore } from '../../src/store/file-session-store.js';
import { CHECKPOINT } from './store-contract.js';
import { REDIS_URL, deleteKeysUnder, getRaw, uniquePrefix } from './redis-helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  // Every cleanup runs, whatever an earlier one did: a store that fails to close must not keep its keys.
  const results = await Promise.allSettled(
    cleanups
      .splice(0)
      .reverse()
      .map((cleanup) => cleanup()),
  );
  for (const result of results) if (result.status === 'rejected') throw result.reason;
});

/** A Redis store on the shared server under a prefix of its own, closed and its keys deleted after the test. */
function redisStore(options: ConstructorParameters<typeof RedisSessionStore>[0] = {}): RedisSessionStore {
  const prefix = uniquePrefix();
  const store = new RedisSessionStore({ url: REDIS_URL, prefix, commandTimeoutMs: 2_000, ...options });
  cleanups.push(() => deleteKeysUnder(prefix));
  cleanups.push(() => store.close());
  return store;
}

describe('unknown keys are refused with the nearest known one, before anything opens', () => {
  it.each([
    [
      'RedisSessionStore: a connection key',
      () => new RedisSessionStore({ commandTimeout: 500 } as never),
      'Unknown option `RedisSessionStore.commandTimeout`; did you mean `RedisSessionStore.commandTimeoutMs`?',
    ],
    [
      'RedisSessionStore: lease',
      () => new RedisSessionStore({ leases: false } as never),
      'Unknown option `RedisSessionStore.leases`; did you mean `RedisSessionStore.lease`?',
    ],
    [
      'RedisSessionStore: lease.ttlMs',
      () => new RedisSessionStore({ lease: { ttl: 1_000 } } as never),
      'Unknown option `RedisSessionStore.lease.ttl`; did you mean `RedisSessionStore.lease.ttlMs`?',
    ],
    [
      'RedisSessionStore: lease.maxShards',
      () => new RedisSessionStore({ lease: { maxShard: 2 } } as never),
      'Unknown option `RedisSessionStore.lease.maxShard`; did you mean `RedisSessionStore.lease.maxShards`?',
    ],
    [
      'RedisReplyStore: prefix',
      () => new RedisReplyStore({ prefx: 'bot:' } as never),
      'Unknown option `RedisReplyStore.prefx`; did you mean `RedisReplyStore.prefix`?',
    ],
    [
      'RedisReplyStore: a store-only key',
      () => new RedisReplyStore({ lease: false } as never),
      'Unknown option `RedisReplyStore.lease`; known options: `RedisReplyStore.url`, `RedisReplyStore.prefix`, `RedisReplyStore.commandTimeoutMs`',
    ],
    [
      'FileSessionStore: lease',
      () => new FileSessionStore(join(tmpdir(), 'never-written.json'), { leas: false } as never),
      'Unknown option `FileSessionStore.leas`; did you mean `FileSessionStore.lease`?',
    ],
    [
      'ThreadPool: resourceLimits',
      () => new ThreadPool({ resourceLimits: { stackSize: 4 } as never }),
      'Unknown option `resourceLimits.stackSize`; did you mean `resourceLimits.stackSizeMb`?',
    ],
    [
      'ThreadPool: shared resourceLimits',
      () => ThreadPool.shared({ maxOldGenerationSize: 64 } as never),
      'Unknown option `resourceLimits.maxOldGenerationSize`; did you mean `resourceLimits.maxOldGenerationSizeMb`?',
    ],
  ])('%s', (_what, build, message) => {
    expect(build).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION, message }));
  });
});

describe('bad values name the option', () => {
  it.each([
    [() => new RedisSessionStore({ lease: { ttlMs: 299 } }), 'Expected `RedisSessionStore.lease.ttlMs` to be ≥ 300'],
    [
      () => new RedisSessionStore({ lease: { maxShards: 0 } }),
      'Expected `RedisSessionStore.lease.maxShards` to be ≥ 1',
    ],
    [() => new RedisSessionStore({ lease: 'yes' as never }), 'Expected `RedisSessionStore.lease` to be an object'],
    [() => new RedisReplyStore({ url: 'http://127.0.0.1:6379' }), 'Expected `RedisReplyStore.url` to be a redis://'],
    [
      () => new FileSessionStore(join(tmpdir(), 'never-written.json'), { lease: 'no' as never }),
      'Expected `FileSessionStore.lease` to be true or false',
    ],
    [
      () => new ThreadPool({ resourceLimits: { maxOldGenerationSizeMb: 0 } }),
      'Expected `resourceLimits.maxOldGenerationSizeMb` to be a positive number',
    ],
    [() => new ThreadPool({ resourceLimits: 64 as never }), 'Expected `resourceLimits` to be an object'],
  ])('%#', (build, message) => {
    expect(build).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION, message: expect.stringContaining(message) }),
    );
  });
});

describe('the defaults come from the one declaration', () => {
  it('the exported defaults', () => {
    expect(DEFAULT_REDIS_CONNECTION).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'qqbot:',
      commandTimeoutMs: 2_000,
    });
    expect(DEFAULT_LEASE).toEqual({ ttlMs: 10_000, maxShards: Number.MAX_SAFE_INTEGER });
    expect(Object.isFrozen(DEFAULT_REDIS_CONNECTION) && Object.isFrozen(DEFAULT_LEASE)).toBe(true);
  });

  it.each([
    ['lease left out', {}],
    ['lease: true', { lease: true }],
    ['lease: {}', { lease: {} }],
  ])('Redis: %s is a lease of the default TTL and no shard limit, taken on the real server', async (_what, options) => {
    const store = redisStore(options);
    const leases = store.fleet?.leases;
    expect(leases?.maxShards).toBe(Number.MAX_SAFE_INTEGER);
    const lease = await leases?.acquire(0, AbortSignal.timeout(10_000));
    expect(lease?.held()).toBe(true);
    const { pttl } = await getRaw(`${store.prefix}lease:0`);
    expect(pttl).toBeGreaterThan(DEFAULT_LEASE.ttlMs - 5_000);
    expect(pttl).toBeLessThanOrEqual(DEFAULT_LEASE.ttlMs);
    await store.save(0, CHECKPOINT);
    expect(await store.load(0)).toEqual(CHECKPOINT);
  });

  it('Redis: lease: false has no fleet and writes unfenced, on the real server', async () => {
    const store = redisStore({ lease: false });
    expect(store.fleet).toBeUndefined();
    await store.save(0, CHECKPOINT);
    expect(await store.load(0)).toEqual(CHECKPOINT);
  });

  it('Redis: a given lease.maxShards and ttlMs reach the leases', async () => {
    const store = redisStore({ lease: { ttlMs: 1_000, maxShards: 1 } });
    expect(store.fleet?.leases.maxShards).toBe(1);
    await store.fleet?.leases.acquire(0, AbortSignal.timeout(10_000));
    expect((await getRaw(`${store.prefix}lease:0`)).pttl).toBeLessThanOrEqual(1_000);
  });

  it('FileSessionStore: a lock by default, none with lease: false', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qqbot-store-options-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const leased = new FileSessionStore(join(dir, 'a.json'));
    cleanups.push(() => leased.close());
    expect(leased.fleet?.leases).toBeDefined();
    expect(new FileSessionStore(join(dir, 'b.json'), { lease: false }).fleet).toBeUndefined();
  });

  it('ThreadPool: resource limits keep their values, fractions included; left out, none', () => {
    expect(
      new ThreadPool({ resourceLimits: { maxOldGenerationSizeMb: 64, stackSizeMb: 0.5 } }).resourceLimits,
    ).toStrictEqual({ maxOldGenerationSizeMb: 64, stackSizeMb: 0.5 });
    expect(new ThreadPool().resourceLimits).toBeUndefined();
  });
});
