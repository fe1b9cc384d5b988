import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { RestartPolicy, type RestartPolicyOptions } from '../../src/supervisor/restart-policy.js';

// The policy is pure: every call takes the clock value, randomness is injected. No timers are involved.
const DEFAULTS: RestartPolicyOptions = { minDelayMs: 250, maxDelayMs: 30_000, maxRestarts: 10, windowMs: 60_000, stableAfterMs: 30_000 };

/** A policy whose budget never gets in the way, for backoff tests. */
function backoffPolicy(random: number, overrides: Partial<RestartPolicyOptions> = {}): RestartPolicy {
  return new RestartPolicy({ ...DEFAULTS, maxRestarts: 1_000, ...overrides }, () => random);
}

function delayOf(result: ReturnType<RestartPolicy['next']>): number {
  if ('error' in result) throw new Error(`expected a delay, got ${result.error.code}`);
  return result.delayMs;
}

/** `count` failures in a row, one second apart, starting at `from`; returns their delays. */
function failures(policy: RestartPolicy, count: number, from = 0): number[] {
  return Array.from({ length: count }, (_, i) => delayOf(policy.next(from + i * 1_000, false)));
}

describe('backoff', () => {
  it('retries the first failure at once', () => {
    const policy = backoffPolicy(1);
    expect(policy.next(0, false)).toStrictEqual({ delayMs: 0 });
    expect(policy.consecutiveFailures).toBe(1);
  });

  it('doubles the ceiling from 250 ms per failure and caps it at maxDelayMs 30 s', () => {
    expect(failures(backoffPolicy(1), 12)).toStrictEqual([0, 250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('caps at a lower maxDelayMs', () => {
    expect(failures(backoffPolicy(1, { maxDelayMs: 1_500 }), 6)).toStrictEqual([0, 250, 500, 1_000, 1_500, 1_500]);
  });

  it.each<[number, number[]]>([
    [0, [0, 0, 0, 0, 0]],
    [0.5, [0, 125, 250, 500, 1_000]],
    [1, [0, 250, 500, 1_000, 2_000]],
  ])('uses full jitter: random() = %d gives delays %j', (random, expected) => {
    expect(failures(backoffPolicy(random), 5)).toStrictEqual(expected);
  });

  it('keeps each delay within [0, ceilingMs()]', () => {
    const policy = backoffPolicy(0.999);
    for (let i = 0; i < 12; i++) {
      const delay = delayOf(policy.next(i * 1_000, false));
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(policy.ceilingMs());
    }
  });

  it('restarts server-requested reconnects at once without growing the failure count', () => {
    const policy = backoffPolicy(1);
    failures(policy, 3);
    expect(policy.consecutiveFailures).toBe(3);

    expect(policy.next(10_000, true)).toStrictEqual({ delayMs: 0 });
    expect(policy.next(11_000, true)).toStrictEqual({ delayMs: 0 });
    expect(policy.consecutiveFailures).toBe(3);

    // The next real failure continues where the backoff left off: the 4th in a row.
    expect(policy.next(12_000, false)).toStrictEqual({ delayMs: 1_000 });
  });

  it('resets the backoff after a session stayed up stableAfterMs', () => {
    const policy = backoffPolicy(1);
    failures(policy, 4);
    policy.sessionUp(10_000);
    expect(policy.next(10_000 + 30_000, false)).toStrictEqual({ delayMs: 0 });
    expect(policy.consecutiveFailures).toBe(1);
    expect(policy.next(41_000, false)).toStrictEqual({ delayMs: 250 });
  });

  it('keeps the backoff when the session went down 1 ms before stableAfterMs', () => {
    const policy = backoffPolicy(1);
    failures(policy, 4);
    policy.sessionUp(10_000);
    expect(policy.next(10_000 + 30_000 - 1, false)).toStrictEqual({ delayMs: 2_000 });
    expect(policy.consecutiveFailures).toBe(5);
  });

  it('does not reset the backoff for a long gap without a session', () => {
    const policy = backoffPolicy(1);
    failures(policy, 4);
    expect(policy.next(10_000_000, false)).toStrictEqual({ delayMs: 2_000 });
  });

  it('forgets a session once a restart has been counted', () => {
    const policy = backoffPolicy(1);
    failures(policy, 4);
    policy.sessionUp(10_000);
    expect(delayOf(policy.next(11_000, false))).toBe(2_000);
    // No new sessionUp: the old one must not reset the backoff later.
    expect(delayOf(policy.next(100_000, false))).toBe(4_000);
  });
});

describe('restart budget', () => {
  function budgetError(result: ReturnType<RestartPolicy['next']>): QQBotError {
    if (!('error' in result)) throw new Error(`expected the budget to be spent, got a delay of ${result.delayMs} ms`);
    return result.error;
  }

  it('stops with QQBOT_RESTART_BUDGET after 11 restarts in 60 s', () => {
    const policy = new RestartPolicy(DEFAULTS, () => 0);
    for (let i = 0; i < 10; i++) expect(policy.next(i * 5_000, false)).toHaveProperty('delayMs');
    const error = budgetError(policy.next(59_999, false));
    expect(error).toBeInstanceOf(QQBotError);
    expect(error.code).toBe(ErrorCodes.RESTART_BUDGET);
    expect(error.retryable).toBe(false);
  });

  it('counts server-requested restarts towards the budget', () => {
    const policy = new RestartPolicy(DEFAULTS, () => 0);
    for (let i = 0; i < 10; i++) expect(policy.next(i * 1_000, true)).toStrictEqual({ delayMs: 0 });
    expect(budgetError(policy.next(10_000, true)).code).toBe(ErrorCodes.RESTART_BUDGET);
  });

  it.each<[string, number[]]>([
    ['evenly, 6.001 s apart', Array.from({ length: 11 }, (_, i) => i * 6_001)],
    ['10 in a burst, the 11th just over 60 s after the first', [...Array.from({ length: 10 }, (_, i) => i), 60_001]],
    ['two bursts of 10, just over 60 s apart', [...Array.from({ length: 10 }, () => 0), ...Array.from({ length: 10 }, () => 60_001)]],
    ['30 restarts, 6.001 s apart', Array.from({ length: 30 }, (_, i) => i * 6_001)],
  ])('never stops when at most 10 restarts fall in any 60 s window: %s', (_name, times) => {
    const policy = new RestartPolicy(DEFAULTS, () => 0);
    for (const t of times) expect(policy.next(t, false), `restart at ${t} ms`).toHaveProperty('delayMs');
  });

  it('stops at the first restart when maxRestarts is 0', () => {
    const policy = new RestartPolicy({ ...DEFAULTS, maxRestarts: 0 }, () => 0);
    const error = budgetError(policy.next(0, false));
    expect(error.code).toBe(ErrorCodes.RESTART_BUDGET);
    expect(error.retryable).toBe(false);
  });

  it('allows exactly maxRestarts restarts in the window', () => {
    const policy = new RestartPolicy({ ...DEFAULTS, maxRestarts: 3 }, () => 0);
    expect([0, 1, 2].map((t) => 'delayMs' in policy.next(t, false))).toStrictEqual([true, true, true]);
    expect(budgetError(policy.next(3, false)).code).toBe(ErrorCodes.RESTART_BUDGET);
  });
});

describe('regressions', () => {
  it('never returns NaN with minDelayMs 0, however many failures in a row', () => {
    const policy = new RestartPolicy({ minDelayMs: 0, maxDelayMs: 0, maxRestarts: 1e9, windowMs: 1, stableAfterMs: 30_000 }, () => 0.5);
    const delays = failures(policy, 1_100);
    expect(delays.every((d) => d === 0)).toBe(true);
  });
});
