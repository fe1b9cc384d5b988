import { setTimeout as delay } from 'node:timers/promises';
import { expect, it } from 'vitest';
import type { QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import { collect, expectExactlyOnceInOrder, nextEvent, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ();

// The README invites users to drill kills; the old budget went fatal at the 11th and backed off to 680 ms
// between kills although each one had resumed cleanly.
it('50 terminateWorker() kills at 2 per second during a stream, with the default restart options: all resumed, exactly once, in order, no backoff', async () => {
  const bot = env.make({ restart: {} });
  const events = collect(bot);
  const restarts: RestartEvent[] = [];
  const errors: QQBotError[] = [];
  bot.on('restart', (e) => restarts.push(e));
  bot.on('error', (e) => errors.push(e));
  bot.on('fatal', (e) => errors.push(e));
  await bot.start();
  const total = 4_000;
  const flowing = env.fake.emitEvents(total, { ratePerSec: 150 });
  const started = performance.now();
  for (let kill = 0; kill < 50; kill++) {
    // 2 per second: kill n at 500 ms · n from the start of the drill (pacing, not waiting for a result). On a
    // loaded 2-core box a fresh thread can take seconds to start: then the next kill follows its RESUMED at once.
    const due = started + kill * 500 - performance.now();
    if (due > 0) await delay(due);
    const resumed = nextEvent(bot, 'resumed');
    await bot.terminateWorker();
    await resumed;
  }
  await flowing;
  await untilCount(bot, events, total, 30_000);
  expectExactlyOnceInOrder(events, 0, total);
  expect(env.fake.stats.identifies).toHaveLength(1);
  expect(env.fake.stats.resumes).toHaveLength(50);
  expect(env.fake.stats.maxConcurrentPerSession).toBe(1);
  expect(restarts).toHaveLength(50);
  expect(
    restarts.every(
      (r) => r.kind === 'worker-died' && r.decision === 'resume' && r.progressed && r.delayMs === 0 && !r.escalated,
    ),
  ).toBe(true);
  expect(errors).toStrictEqual([]);
  expect(bot.status()[0]).toMatchObject({ state: 'ready', restarts: 50, consecutiveFailures: 0 });
}, 180_000);
