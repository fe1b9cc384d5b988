import { expect, it } from 'vitest';
import type { RestartEvent } from '../../src/events.js';
import { nextEvent, useFakeQQ } from '../helpers.js';

const env = useFakeQQ({ sessionStartRemaining: 0 });

it('no session starts left (remaining 0) waits reset_after before identifying, without giving up', async () => {
  const bot = env.make();
  const restart = nextEvent<RestartEvent>(bot, 'restart');
  const started = bot.start().catch((e: unknown) => e);
  // The fake answers reset_after: 14_400_000 (4 h), as the platform's docs show.
  expect(await restart).toMatchObject({ kind: 'session-limit', decision: 'identify', delayMs: 14_400_000 });
  expect(bot.status()[0]?.state).toBe('backoff');
  expect(env.fake.stats.connections).toBe(0);
  await bot.close();
  expect(await started).toMatchObject({ code: 'QQBOT_CLOSED' });
});
