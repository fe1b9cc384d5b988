import { expect, it } from 'vitest';
import { useFakeQQ } from '../helpers.js';

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
  expect(new Set(bot.status().map((s) => s.threadId)).size).toBe(2);
});
