import { afterEach, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { connectorFor } from '../helpers.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix } from './redis-helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('a process whose shards another holds is a standby: start() resolves, health() is ok; it takes over on release', async () => {
  const fake = await FakeQQServer.start({ shards: 2 });
  cleanups.push(() => fake.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const make = (): QQBotConnector => {
    const bot = connectorFor(fake, { shards: 'auto', store: new RedisSessionStore({ url: REDIS_URL, prefix, lease: { ttlMs: 2_000 } }) });
    cleanups.push(() => bot.close());
    return bot;
  };
  const holder = make();
  await holder.start();
  expect(holder.status().map((s) => s.state)).toEqual(['ready', 'ready']);

  const standby = make();
  await standby.start();
  expect(standby.status().map((s) => s.state)).toEqual(['standby', 'standby']);
  expect(standby.health().ok).toBe(true);
  expect(holder.health().ok).toBe(true);

  // close() releases the leases: the standby takes both shards at once and RESUMEs them from the checkpoints.
  const resumed = new Set<number>();
  const both = new Promise<void>((resolve) =>
    standby.on('resumed', (e) => {
      resumed.add(e.shard);
      if (resumed.size === 2) resolve();
    }),
  );
  await holder.close();
  await both;
  expect(standby.status().map((s) => s.state)).toEqual(['ready', 'ready']);
  expect(fake.stats.identifies).toHaveLength(2);
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
}, 30_000);
