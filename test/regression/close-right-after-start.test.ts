import { afterEach, expect, it } from 'vitest';
import type { QQBotError } from '../../src/errors.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { connectorFor } from '../helpers.js';

// start() awaits the shard plan before it creates the shards: a close() in between once found no shard to
// close, resolved, and the shards started after it (READY after close(), start() pending for good).

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeQQ(shards = 1): Promise<FakeQQServer> {
  const fake = await FakeQQServer.start({ shards });
  cleanups.push(() => fake.close());
  return fake;
}

it.each([2, 'auto'] as const)(
  'start() then close() at once (shards: %s): start() rejects with QQBOT_CLOSED and no shard starts',
  async (shards) => {
    const fake = await fakeQQ(2);
    const bot = connectorFor(fake, { shards });
    cleanups.push(() => bot.close());
    const ready: number[] = [];
    bot.on('ready', (e) => ready.push(e.shard));
    const started = bot.start().catch((e: unknown) => e as QQBotError);
    await bot.close();
    expect(await started).toMatchObject({ code: 'QQBOT_CLOSED' });
    expect(bot.status()).toEqual([]);
    expect(ready).toEqual([]);
    expect(fake.stats.identifies).toEqual([]);
  },
);

it("start({ signal }) aborted while shards: 'auto' retries the count: QQBOT_ABORTED caused by the last failure", async () => {
  const fake = await fakeQQ();
  fake.failGatewayBot(1_000, 503);
  const bot = connectorFor(fake, { shards: 'auto' });
  cleanups.push(() => bot.close());
  const controller = new AbortController();
  bot.on('error', () => controller.abort());
  const err = await bot.start({ signal: controller.signal }).catch((e: unknown) => e as QQBotError);
  expect(err).toMatchObject({ code: 'QQBOT_ABORTED', cause: { code: 'QQBOT_GATEWAY_UNAVAILABLE' } });
});
