import { expect, it } from 'vitest';
import { FakeQQServer } from '../../src/testing/index.js';
import { FAST, connectorFor } from '../helpers.js';

it('the budget probe outlasts its own /gateway/bot fetch: httpMs 1 500, a 1.2 s answer, remaining 1 → one IDENTIFY until reset_after', async () => {
  const resetAfterMs = 2_000;
  // max_concurrency 2: only the session-start budget can hold the second IDENTIFY back.
  const fake = await FakeQQServer.start({
    maxConcurrency: 2,
    sessionStartRemaining: 1,
    sessionStartResetAfterMs: resetAfterMs,
  });
  // 2 shards, no count read at start: the first grant is the probe, and its attempt's fetch is the slow one.
  const bot = connectorFor(fake, { shards: 2, timeouts: { ...FAST.timeouts, httpMs: 1_500 } });
  fake.delayGatewayBot(1, 1_200);
  try {
    await bot.start();
    const [first, second] = fake.stats.identifies;
    expect(fake.stats.identifies).toHaveLength(2);
    // The second waited for the budget's reset, less the first IDENTIFY's own connect time after the answer.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(resetAfterMs - 500);
  } finally {
    await bot.close();
    await fake.close();
  }
}, 20_000);
