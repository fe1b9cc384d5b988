import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { collect, untilCount, useFakeQQ } from '../helpers.js';
import { PrivateRedis, deleteKeysUnder, uniquePrefix } from './redis-helpers.js';

const env = useFakeQQ();
let redis: PrivateRedis;
let prefix: string;
const opened: RedisSessionStore[] = [];

beforeEach(async () => {
  redis = await PrivateRedis.start();
  prefix = uniquePrefix();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await deleteKeysUnder(prefix, redis.url).catch(() => undefined);
  await redis.down();
});

function open(): RedisSessionStore {
  const store = new RedisSessionStore({ url: redis.url, prefix, lease: false });
  opened.push(store);
  return store;
}

/** The checkpoint of shard 0 as another process would load it. */
async function storedSeq(): Promise<number | undefined> {
  return (await open().load(0))?.seq;
}

it('Redis away (no lease): events still reach the host, QQBOT_STORE_UNAVAILABLE is reported, and the checkpoint lands once Redis is back', async () => {
  const bot = env.make({
    store: new RedisSessionStore({ url: redis.url, prefix, lease: false }),
    checkpoint: { intervalMs: 100 },
  });
  const seen = collect(bot);
  const errors: QQBotError[] = [];
  bot.on('error', (e) => errors.push(e));
  await bot.start();
  const before = await env.fake.emitEvents(3);
  await untilCount(bot, seen, 3);
  await vi.waitFor(async () => expect(await storedSeq()).toBe(before[2]), { timeout: 5_000, interval: 50 });
  await Promise.all(opened.splice(0).map((s) => s.close()));

  await redis.down();
  const unavailable = new Promise<QQBotError>((resolve) => {
    const onError = (e: QQBotError): void => {
      if (e.code !== ErrorCodes.STORE_UNAVAILABLE) return;
      bot.off('error', onError);
      resolve(e);
    };
    bot.on('error', onError);
  });
  const during = await env.fake.emitEvents(3);
  await untilCount(bot, seen, 6);
  expect(seen.map((e) => e.seq)).toEqual([...before, ...during]);
  const error = await unavailable;
  expect(error.retryable).toBe(true);
  expect(errors.every((e) => e.code === ErrorCodes.STORE_UNAVAILABLE)).toBe(true);

  // The private Redis comes back empty: a checkpoint found there was written after it came back.
  await redis.up();
  await vi.waitFor(async () => expect(await storedSeq()).toBe(during[2]), { timeout: 15_000, interval: 100 });
  expect(bot.health().ok).toBe(true);
  // Closed here, while Redis answers (it also closes its store); the after-hooks stop Redis before the fake's.
  await bot.close();
}, 30_000);
