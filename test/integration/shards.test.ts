import { expect, it } from 'vitest';
import { collect, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ({ shards: 2 });

it('opens every shard [i, n] and spaces their IDENTIFYs by the identify window (max_concurrency 1 per 5 s)', async () => {
  const bot = env.make({ shards: 2 });
  await bot.start();
  const identifies = env.fake.stats.identifies;
  expect(identifies.map((i) => i.shard).sort()).toEqual([
    [0, 2],
    [1, 2],
  ]);
  const [first, second] = identifies.map((i) => i.at);
  expect((second as number) - (first as number)).toBeGreaterThanOrEqual(4_950);
  expect(bot.status().map((s) => s.state)).toEqual(['ready', 'ready']);
  // The default pool: both shards' sessions in one thread (threads: 'own' gives each its own).
  expect(new Set(bot.status().map((s) => s.threadId)).size).toBe(1);

  // Events spread over both shards; each shard delivers its own, once and in order.
  const events = collect(bot);
  await env.fake.emitEvents(10);
  await untilCount(bot, events, 10);
  for (const shard of [0, 1]) {
    const ns = events.filter((e) => e.shard === shard).map((e) => (e.data as { n: number }).n);
    expect(ns).toEqual([0, 2, 4, 6, 8].map((n) => n + shard));
  }
  env.fake.dispatch(
    'C2C_MESSAGE_CREATE',
    { id: 'm-1', content: 'to shard 1', timestamp: new Date().toISOString(), author: { user_openid: 'U1' } },
    { shard: 1 },
  );
  await untilCount(bot, events, 11);
  expect(events.at(-1)).toMatchObject({ shard: 1, type: 'C2C_MESSAGE_CREATE' });
});
