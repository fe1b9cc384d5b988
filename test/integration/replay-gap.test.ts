import { expect, it } from 'vitest';
import type { ReadyEvent } from '../../src/events.js';
import { collect, nextEvent, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ({ heartbeatIntervalMs: 1_000, replayLimit: 10 });

it('a resume from beyond the server replay buffer re-identifies and announces the gap with ready', async () => {
  const bot = env.make();
  const events = collect(bot);
  await bot.start();
  await env.fake.emitEvents(5);
  await untilCount(bot, events, 5);

  // Keep the reconnect from reaching Resume while 30 events are sent: only the last 10 stay replayable.
  env.fake.holdHello(true);
  env.fake.dropConnections();
  await env.fake.waitFor(() => env.fake.stats.connections === 2, 5_000);
  await env.fake.emitEvents(30);
  const ready = nextEvent<ReadyEvent>(bot, 'ready');
  env.fake.holdHello(false);

  expect(await ready).toMatchObject({ newSession: true });
  expect(env.fake.stats.resumes).toHaveLength(1);
  expect(env.fake.stats.identifies).toHaveLength(2);
  await env.fake.emitEvents(3);
  await untilCount(bot, events, 8);
  // The gap: events 5..34 belonged to the old session and are gone; the host was told by 'ready'.
  expect(events.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 35, 36, 37]);
});
