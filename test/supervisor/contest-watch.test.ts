import { expect, it } from 'vitest';
import type { Outcome } from '../../src/protocol/outcome.js';
import { CONTEST_CLOSES, CONTEST_WINDOW_MS, ContestWatch } from '../../src/supervisor/contest-watch.js';

const closed = (closeCode: number): Outcome =>
  ({ kind: 'closed', phase: 'ready', closeCode, reason: 'closed' }) as Outcome;

it('3 "resumed elsewhere" closes of live sessions within the window: one QQBOT_SESSION_CONTESTED, contested until the window passes', () => {
  const watch = new ContestWatch(2);
  expect(watch.ended(closed(4009), true, 0)).toBeUndefined();
  expect(watch.ended(closed(4009), true, 1_000)).toBeUndefined();
  const error = watch.ended(closed(4009), true, 2_000);
  const details = { shard: 2, closes: CONTEST_CLOSES, windowMs: CONTEST_WINDOW_MS };
  expect(error).toMatchObject({ code: 'QQBOT_SESSION_CONTESTED', retryable: false, details });
  expect(watch.contested(2_000)).toBe(true);
  // Reported once per fight.
  expect(watch.ended(closed(4009), true, 3_000)).toBeUndefined();
  expect(watch.contested(3_000 + CONTEST_WINDOW_MS)).toBe(false);
  // A new fight after a quiet window is reported again.
  for (const at of [200_000, 200_001]) expect(watch.ended(closed(4009), true, at)).toBeUndefined();
  expect(watch.ended(closed(4009), true, 200_002)?.code).toBe('QQBOT_SESSION_CONTESTED');
});

it('other closes, and a 4009 before any session, do not count', () => {
  const watch = new ContestWatch(0);
  for (let i = 0; i < 5; i++) {
    expect(watch.ended(closed(4000), true, i)).toBeUndefined();
    expect(watch.ended(closed(4009), false, i)).toBeUndefined();
  }
  expect(watch.contested(10)).toBe(false);
});
