import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import { CHANNEL_NAMES, type ChannelMessages } from '../../src/metrics/channels.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { FAST, connectorFor, type Overrides } from '../helpers.js';
import { PrivateRedis, REDIS_URL, deleteKeysUnder, uniquePrefix, runCleanups } from './redis-helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await runCleanups(cleanups);
});

it('a process whose shards another holds is a standby: start() resolves, health() is ok; it takes over on release', async () => {
  const fake = await FakeQQServer.start({ shards: 2 });
  cleanups.push(() => fake.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const make = (): QQBotConnector => {
    const bot = connectorFor(fake, {
      shards: 'auto',
      store: new RedisSessionStore({ url: REDIS_URL, prefix, lease: { ttlMs: 2_000 } }),
    });
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

/** A fake of `shards` shards, and a `make()` for processes sharing one lease prefix on `url`; all cleaned up. */
async function fleet(
  shards: number,
  lease: object,
  url = REDIS_URL,
): Promise<{ fake: FakeQQServer; make: (overrides?: Overrides) => QQBotConnector }> {
  const fake = await FakeQQServer.start({ shards, maxConcurrency: shards });
  cleanups.push(() => fake.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const make = (overrides: Overrides = {}): QQBotConnector => {
    const bot = connectorFor(fake, {
      shards: 'auto',
      store: new RedisSessionStore({ url, prefix, lease }),
      ...overrides,
    });
    cleanups.push(() => bot.close());
    return bot;
  };
  return { fake, make };
}

const statesOf = (bot: QQBotConnector): string[] =>
  bot
    .status()
    .map((s) => s.state)
    .sort();

it('one process at lease.maxShards, alone: the shards it cannot take are idle (unhealthy, start() waits); standby once another process holds them, idle again when freed', async () => {
  const { fake, make } = await fleet(4, { ttlMs: 2_000, maxShards: 2 });
  const a = make();
  let started = false;
  const aStarted = a.start();
  // Awaited below; a rejection before then must not go unhandled.
  aStarted.then(() => (started = true)).catch(() => undefined);
  await fake.waitFor(() => a.status().filter((s) => s.state === 'ready').length === 2, 15_000);
  // Several polls at its limit (every 200 ms): the other two leases are free, so nobody runs those shards.
  await new Promise((resolve) => setTimeout(resolve, 800));
  expect(statesOf(a)).toEqual(['idle', 'idle', 'ready', 'ready']);
  expect(a.health().ok).toBe(false);
  expect(started).toBe(false);

  // A second process takes them: A is now their standby, healthy, and its start() resolves.
  const b = make();
  await b.start();
  expect(statesOf(b)).toEqual(['ready', 'ready', 'standby', 'standby']);
  await aStarted;
  expect(statesOf(a)).toEqual(['ready', 'ready', 'standby', 'standby']);
  expect(a.health().ok).toBe(true);

  // B leaves; A, still at its limit, cannot take them: idle and unhealthy again.
  await b.close();
  await fake.waitFor(() => a.status().filter((s) => s.state === 'idle').length === 2, 10_000);
  expect(a.health().ok).toBe(false);
  // B's IDENTIFYs wait for the fleet's gate behind A's (5 s windows): most of this test's time.
}, 60_000);

it('a standby whose Redis stops answering is idle and unhealthy; once Redis is back one process runs the shard and the other is its standby', async () => {
  const redis = await PrivateRedis.start();
  cleanups.push(() => redis.down());
  const { fake, make } = await fleet(1, { ttlMs: 2_000 }, redis.url);
  const holder = make();
  await holder.start();
  const standby = make();
  await standby.start();
  expect(statesOf(standby)).toEqual(['standby']);
  expect(standby.health().ok).toBe(true);

  await redis.down();
  await fake.waitFor(() => statesOf(standby)[0] === 'idle', 10_000);
  expect(standby.health().ok).toBe(false);

  // The server comes back empty: whichever process takes the free lease runs the shard, the other is its standby.
  await redis.up();
  await fake.waitFor(() => [...statesOf(holder), ...statesOf(standby)].sort().join() === 'ready,standby', 15_000);
  expect(holder.health().ok && standby.health().ok).toBe(true);
}, 30_000);

it('time as a standby is not time without a session: a takeover through a brief outage does not give up (restart.giveUpAfterMs)', async () => {
  const { fake, make } = await fleet(1, { ttlMs: 2_000 });
  const holder = make();
  await holder.start();
  const giveUpAfterMs = 1_500;
  const standby = make({ restart: { ...FAST.restart, giveUpAfterMs } });
  let fatal: unknown;
  standby.on('fatal', (error) => (fatal = error));
  await standby.start();
  const waitedSince = Date.now();
  // The scenario itself: a standby for longer than giveUpAfterMs before it takes over.
  await new Promise((resolve) => setTimeout(resolve, giveUpAfterMs + 500));

  const reconnects: ChannelMessages['reconnect'][] = [];
  const onReconnect = (message: unknown): void => void reconnects.push(message as ChannelMessages['reconnect']);
  diagnosticsChannel.subscribe(CHANNEL_NAMES.reconnect, onReconnect);
  cleanups.push(async () => diagnosticsChannel.unsubscribe(CHANNEL_NAMES.reconnect, onReconnect));
  const resumed = new Promise<void>((resolve) => standby.once('resumed', () => resolve()));
  // The gateway is away when the standby takes over: its first attempt fails, and it must back off, not give up.
  fake.refuseConnections(60_000);
  const takeoverAt = Date.now();
  await holder.close();
  await fake.waitFor(() => fake.stats.refusedConnections >= 1, 10_000);
  const during = standby.status()[0];
  expect(during?.disconnectedSince).toBeGreaterThanOrEqual(takeoverAt);
  fake.refuseConnections(0);
  await resumed;
  expect(fatal).toBeUndefined();
  expect(statesOf(standby)).toEqual(['ready']);
  // The reconnect latency counts from the takeover, not from when the standby started waiting.
  expect(reconnects).toHaveLength(1);
  expect(reconnects[0]?.ms).toBeLessThan(Date.now() - waitedSince - giveUpAfterMs);
}, 30_000);
