import { afterEach, expect, it } from 'vitest';
import { createClient } from 'redis';
import type { QQBotConnector } from '../../src/connector.js';
import type { ReadyEvent } from '../../src/events.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { connectorFor } from '../helpers.js';
import { REDIS_URL, deleteKeysUnder, getRaw, uniquePrefix, runCleanups } from './redis-helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await runCleanups(cleanups);
});

it('remaining 1 across two processes sharing a leased store, 2 shards: one IDENTIFY, the other waits for reset_after; a RESUME spends nothing', async () => {
  const resetAfterMs = 3_000;
  // max_concurrency 2: only the session-start budget can hold the second IDENTIFY back.
  const fake = await FakeQQServer.start({
    shards: 2,
    maxConcurrency: 2,
    sessionStartRemaining: 1,
    sessionStartResetAfterMs: resetAfterMs,
  });
  cleanups.push(() => fake.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const budgetKey = `${prefix}identify-budget`;
  // Each process runs one shard: two processes, each IDENTIFYing its own. 'auto': each reads max_concurrency (and
  // the budget) on its main thread before any IDENTIFY, as a fleet does.
  const make = (): QQBotConnector => {
    const bot = connectorFor(fake, {
      shards: 'auto',
      store: new RedisSessionStore({ url: REDIS_URL, prefix, lease: { maxShards: 1 } }),
    });
    cleanups.push(() => bot.close());
    return bot;
  };
  const bots = [make(), make()];
  const ready: ReadyEvent[] = [];
  const readyCount = (n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const bot of bots) bot.on('ready', () => ready.length >= n && resolve());
    });
  for (const bot of bots) bot.on('ready', (e) => ready.push(e));
  const [firstReady, bothReady] = [readyCount(1), readyCount(2)];
  // start() resolves only once each process has its own shard's session (the other is a standby): the second
  // waits for reset_after, so the 'ready' events say when each shard has its session.
  const started = Promise.all(bots.map((bot) => bot.start()));
  // Awaited below; a rejection before then must not go unhandled.
  started.catch(() => undefined);

  await firstReady;
  // The first IDENTIFY spent the fleet's budget (remaining 1, read by each main thread's /gateway/bot).
  expect(fake.stats.identifies).toHaveLength(1);
  const spent = await getRaw(budgetKey);
  expect(spent.value).toBe('0');
  expect(spent.pttl).toBeGreaterThan(0);

  await bothReady;
  await started;
  const [first, second] = fake.stats.identifies;
  expect(new Set(fake.stats.identifies.map((i) => i.shard[0]))).toEqual(new Set([0, 1]));
  // The reset on Redis's clock, less the first IDENTIFY's own connect time after its answer.
  expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(resetAfterMs - 500);
  expect(ready).toHaveLength(2);

  // No session starts left at all, for a minute: a RESUME still goes through, and spends nothing.
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  await client.set(budgetKey, '0', { PX: 60_000 });
  client.destroy();
  const holder = bots.find((bot) => bot.status()[0]?.state === 'ready') as QQBotConnector;
  const resumed = new Promise((resolve) => holder.once('resumed', resolve));
  await holder.terminateWorker(0);
  await resumed;
  expect(fake.stats.identifies).toHaveLength(2);
  expect((await getRaw(budgetKey)).value).toBe('0');
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
}, 30_000);
