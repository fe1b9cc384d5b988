import { afterEach, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import type { QQBotError } from '../../src/errors.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { connectorFor } from '../helpers.js';
import { PrivateRedis, REDIS_URL, deleteKeysUnder, getRaw, uniquePrefix, runCleanups } from './redis-helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await runCleanups(cleanups);
});

it("shards 'auto' in a fleet: the first process stores its count for good; a later one recommended another adopts it and says how to change it", async () => {
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const key = `${prefix}shard-count`;
  // Two platforms' answers, nothing shared but the Redis prefix: the recommendation changed between the starts.
  const [before, after] = await Promise.all([
    FakeQQServer.start({ shards: 2, maxConcurrency: 2 }),
    FakeQQServer.start({ shards: 3, maxConcurrency: 2 }),
  ]);
  cleanups.push(
    () => before.close(),
    () => after.close(),
  );
  const make = (fake: FakeQQServer): QQBotConnector => {
    const bot = connectorFor(fake, {
      shards: 'auto',
      store: new RedisSessionStore({ url: REDIS_URL, prefix, lease: true }),
    });
    cleanups.push(() => bot.close());
    return bot;
  };

  const first = make(before);
  await first.start();
  expect(before.stats.identifies.map((i) => i.shard).sort()).toEqual([
    [0, 2],
    [1, 2],
  ]);
  // No expiry: the count outlives every process of the fleet.
  expect(await getRaw(key)).toMatchObject({ value: '2', pttl: -1 });

  const second = make(after);
  const errors: QQBotError[] = [];
  second.on('error', (e) => errors.push(e));
  await second.start();
  // The fleet's 2 shards, not the 3 recommended: a standby for both, as the first process holds them.
  expect(second.status().map((s) => s.state)).toEqual(['standby', 'standby']);
  expect(errors.map((e) => [e.code, e.retryable])).toEqual([['QQBOT_SHARD_COUNT_DIFFERS', false]]);
  expect(errors[0]?.details).toEqual({ recommended: 3, fleetShards: 2, key });
  expect(errors[0]?.message).toContain(`delete ${key}`);
  expect(after.stats.identifies).toEqual([]);
  expect((await getRaw(key)).value).toBe('2');
}, 30_000);

it("shards 'auto' in a fleet whose Redis does not answer yet: the count is not agreed, so no shard starts; retried until Redis is back", async () => {
  const redis = await PrivateRedis.start();
  cleanups.push(() => redis.down());
  await redis.down();
  const fake = await FakeQQServer.start({ shards: 2, maxConcurrency: 2 });
  cleanups.push(() => fake.close());
  const prefix = uniquePrefix();
  const bot = connectorFor(fake, {
    shards: 'auto',
    store: new RedisSessionStore({ url: redis.url, prefix, lease: true }),
  });
  cleanups.push(() => bot.close());
  const errors: QQBotError[] = [];
  const twoFailures = new Promise<void>((resolve) => {
    bot.on('error', (e) => {
      errors.push(e);
      if (errors.length === 2) resolve();
    });
  });
  const started = bot.start();
  await twoFailures;
  expect(errors.map((e) => [e.code, e.retryable])).toEqual([
    ['QQBOT_STORE_UNAVAILABLE', true],
    ['QQBOT_STORE_UNAVAILABLE', true],
  ]);
  expect(bot.status()).toEqual([]);
  await redis.up();
  await started;
  expect(bot.status().map((s) => s.state)).toEqual(['ready', 'ready']);
  expect(await getRaw(`${prefix}shard-count`, redis.url)).toMatchObject({ value: '2', pttl: -1 });
}, 30_000);
