import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART } from '../../src/options.js';
import { RestartPolicy, type RestartPolicyOptions } from '../../src/supervisor/restart-policy.js';

// The policy is pure: every call takes the clock value, randomness is injected. No timers are involved.
const DEFAULTS: RestartPolicyOptions = DEFAULT_RESTART;

/** `count` attempts in a row without progress, one second apart from `from`; their delays. */
function failures(policy: RestartPolicy, count: number, from = 0): number[] {
  return Array.from({ length: count }, (_, i) => policy.next(from + i * 1_000, false).delayMs);
}

describe('backoff', () => {
  it('after an attempt that made progress, the next starts at once and the count is cleared', () => {
    const policy = new RestartPolicy(DEFAULTS, () => 1);
    failures(policy, 3);
    expect(policy.consecutiveFailures).toBe(3);
    expect(policy.next(10_000, true)).toStrictEqual({ delayMs: 0, escalate: false });
    expect(policy.consecutiveFailures).toBe(0);
  });

  it('doubles the ceiling from 250 ms per attempt without progress and caps it at maxDelayMs 30 s', () => {
    const policy = new RestartPolicy({ ...DEFAULTS, maxRestarts: 1_000 }, () => 0.999_999);
    expect(failures(policy, 10).map((ms) => Math.round(ms / 10) * 10)).toStrictEqual([
      250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it.each<[number, number[]]>([
    [0, [0, 0, 0, 0]],
    [0.5, [125, 250, 500, 1_000]],
  ])('uses full jitter: random() = %d gives delays %j', (random, expected) => {
    expect(failures(new RestartPolicy(DEFAULTS, () => random), 4)).toStrictEqual(expected);
  });

  it('kill drills with progress never back off: 1 000 in a row all restart at once', () => {
    const policy = new RestartPolicy(DEFAULTS, () => 1);
    for (let i = 0; i < 1_000; i++) expect(policy.next(i * 10, true)).toStrictEqual({ delayMs: 0, escalate: false });
  });
});

describe('budget', () => {
  it('escalates (never gives up) after more than maxRestarts failures within windowMs, waits maxDelayMs, and starts the window afresh', () => {
    const policy = new RestartPolicy(DEFAULTS, () => 0);
    for (let i = 0; i < 10; i++) expect(policy.next(i, false).escalate).toBe(false);
    expect(policy.next(10, false)).toStrictEqual({ delayMs: 30_000, escalate: true });
    // A fresh window: ten more failures before the next escalation.
    for (let i = 0; i < 10; i++) expect(policy.next(100 + i, false).escalate).toBe(false);
    expect(policy.next(200, false).escalate).toBe(true);
  });

  it('counts only failures inside the sliding window', () => {
    const policy = new RestartPolicy(DEFAULTS, () => 0);
    // One failure every 7 s: never more than 9 inside 60 s.
    for (let i = 0; i < 100; i++) expect(policy.next(i * 7_000, false).escalate).toBe(false);
  });

  it('an outage of any length keeps trying: 10 000 fast failures escalate again and again, never give up', () => {
    const policy = new RestartPolicy(DEFAULTS, () => 0);
    let now = 0;
    let escalations = 0;
    for (let i = 0; i < 10_000; i++) {
      const step = policy.next(now, false);
      expect(step.delayMs).toBeLessThanOrEqual(DEFAULTS.maxDelayMs);
      if (step.escalate) {
        escalations += 1;
        expect(step.delayMs).toBe(DEFAULTS.maxDelayMs);
      }
      now += step.delayMs + 100;
    }
    expect(escalations).toBe(Math.floor(10_000 / 11));
  });
});
