import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { CHECKPOINT, sessionStoreContract } from './store-contract.js';
import {
  PrivateRedis,
  REDIS_URL,
  deleteKeysUnder,
  freePort,
  keysUnder,
  setRaw,
  uniquePrefix,
} from './redis-helpers.js';

let prefix: string;
const opened: RedisSessionStore[] = [];

function open(options: ConstructorParameters<typeof RedisSessionStore>[0] = {}): RedisSessionStore {
  // The store alone, without a connector to take leases: ownership off (the connector tests cover it).
  const store = new RedisSessionStore({ url: REDIS_URL, prefix, lease: false, ...options });
  opened.push(store);
  return store;
}

async function rejection(promise: Promise<unknown>): Promise<QQBotError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QQBotError);
  return err as QQBotError;
}

beforeEach(() => {
  prefix = uniquePrefix();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await deleteKeysUnder(prefix);
});

describe('RedisSessionStore', () => {
  sessionStoreContract(() => open());

  it('keeps one key per shard under the prefix, and nothing else', async () => {
    const store = open();
    await store.save(0, CHECKPOINT);
    await store.save(2, CHECKPOINT);
    expect(await keysUnder(prefix)).toEqual([`${prefix}session:0`, `${prefix}session:2`]);
    await store.clear(2);
    expect(await keysUnder(prefix)).toEqual([`${prefix}session:0`]);
  });

  it.each([
    ['not JSON', 'hello'],
    ['a bad seq', JSON.stringify({ ...CHECKPOINT, seq: 'x' })],
    ['no sessionId', JSON.stringify({ ...CHECKPOINT, sessionId: '' })],
  ])('a damaged key (%s) → load rejects with QQBOT_STORE_CORRUPT naming the key', async (_what, raw) => {
    await setRaw(`${prefix}session:0`, raw);
    const err = await rejection(open().load(0));
    expect(err.code).toBe(ErrorCodes.STORE_CORRUPT);
    expect(err.details.where).toBe(`${prefix}session:0`);
  });

  it('a Redis that does not answer → QQBOT_STORE_UNAVAILABLE within commandTimeoutMs, retryable', async () => {
    const store = open({ url: `redis://127.0.0.1:${await freePort()}`, commandTimeoutMs: 300 });
    const started = Date.now();
    const err = await rejection(store.load(0));
    expect(err.code).toBe(ErrorCodes.STORE_UNAVAILABLE);
    expect(err.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await rejection(store.save(0, CHECKPOINT))).code).toBe(ErrorCodes.STORE_UNAVAILABLE);
  });

  it('Redis going away mid-use: calls fail fast, then work again once it is back', async () => {
    const redis = await PrivateRedis.start();
    try {
      const store = open({ url: redis.url, commandTimeoutMs: 500 });
      await store.save(0, CHECKPOINT);
      await redis.down();
      expect((await rejection(store.save(0, { ...CHECKPOINT, seq: 50 }))).code).toBe(ErrorCodes.STORE_UNAVAILABLE);
      await redis.up();
      // The client reconnects on its own (backoff ≤ 2 s); a caller simply tries again.
      let saved = false;
      const deadline = Date.now() + 10_000;
      while (!saved && Date.now() < deadline) {
        saved = await store.save(0, { ...CHECKPOINT, seq: 51 }).then(
          () => true,
          async () => {
            await new Promise((resolve) => setTimeout(resolve, 100));
            return false;
          },
        );
      }
      expect(saved).toBe(true);
      // The server came back empty (nothing kept on disk) and holds the new checkpoint only.
      expect((await store.load(0))?.seq).toBe(51);
    } finally {
      await redis.down();
    }
  });

  it.each([
    [{ urll: REDIS_URL }, 'Unknown option `RedisSessionStore.urll`; did you mean `RedisSessionStore.url`?'],
    [{ url: 'http://127.0.0.1:6379' }, 'redis://'],
    [{ prefix: '' }, 'prefix'],
    [{ commandTimeoutMs: 0 }, 'commandTimeoutMs'],
    ['redis://127.0.0.1', '`RedisSessionStore` to be an object'],
  ])('refuses bad options %j with QQBOT_INVALID_OPTION', (options, message) => {
    expect(() => new RedisSessionStore(options as never)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION, message: expect.stringContaining(message) }),
    );
  });

  it('a closed store refuses calls with QQBOT_CLOSED', async () => {
    const store = open();
    await store.save(0, CHECKPOINT);
    await store.close();
    expect((await rejection(store.load(0))).code).toBe(ErrorCodes.CLOSED);
  });
});
