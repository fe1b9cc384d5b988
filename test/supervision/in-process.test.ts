import { expect, it } from 'vitest';
import { collect, expectExactlyOnceInOrder, nextEvent, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ();

it("runner: 'in-process' runs a session on the host's thread, resumes after a close and after a kill", async () => {
  const bot = env.make({ runner: 'in-process' });
  const events = collect(bot);
  await bot.start();
  expect(bot.status()[0]).toMatchObject({ state: 'ready', threadId: null });
  await env.fake.emitEvents(10);
  await untilCount(bot, events, 10);
  let resumed = nextEvent(bot, 'resumed');
  env.fake.closeConnections(4009);
  await resumed;
  await env.fake.emitEvents(10);
  await untilCount(bot, events, 20);
  resumed = nextEvent(bot, 'resumed');
  await bot.terminateWorker();
  await env.fake.emitEvents(10);
  await resumed;
  await untilCount(bot, events, 30);
  expectExactlyOnceInOrder(events, 0, 30);
  expect(env.fake.stats.identifies).toHaveLength(1);
  expect(env.fake.stats.resumes).toHaveLength(2);
  expect(env.fake.stats.maxConcurrentPerSession).toBe(1);
  await bot.close();
  expect(env.fake.stats.liveConnections).toBe(0);
});
