import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError, toWire } from '../../src/errors.js';
import type { Outcome } from '../../src/protocol/outcome.js';
import { RATE_LIMIT_DELAY_MS } from '../../src/protocol/close-codes.js';
import {
  RetryLoop,
  unreachedHost,
  type RetryProbe,
  type RetryStep,
  type TryEnd,
} from '../../src/supervisor/retry-loop.js';
import { ScriptedTokens, closed, refused, timedOut } from './scripted-runner.js';

// The one retry loop, driven by scripted tries and a scripted probe: no sockets. Backoffs are long (a minute,
// random() = 1), probes short (20 ms): a try that starts soon after a wait began was started by a probe.

const MINUTE = 60_000;
const RESTART = {
  minDelayMs: MINUTE,
  maxDelayMs: MINUTE,
  maxRestarts: 1_000,
  windowMs: MINUTE,
  giveUpAfterMs: Number.POSITIVE_INFINITY,
};
const URLS = {
  token: 'https://token.example/t',
  api: 'https://api.example',
  gateway: 'wss://gateway.example/websocket',
};

const closing: AbortController[] = [];
afterEach(() => closing.splice(0).forEach((c) => c.abort()));

/** A probe whose answer the test sets; it records every probe. */
function scriptedProbe(): RetryProbe & { up: boolean; probes: { url: string; answered: boolean }[] } {
  const probe = {
    up: false,
    probes: [] as { url: string; answered: boolean }[],
    intervalMs: 20,
    target: (outcome: Outcome) => unreachedHost(outcome, URLS),
    answers: () => Promise.resolve(probe.up),
    probed: (url: string, answered: boolean) => void probe.probes.push({ url, answered }),
  };
  return probe;
}

/**
 * Runs a loop whose tries end with `outcomes` in turn (then stay pending until the test ends), and records when
 * each try started and each restart step.
 */
function runLoop(outcomes: Outcome[], probe: RetryProbe) {
  const signal = new AbortController();
  closing.push(signal);
  const starts: number[] = [];
  const steps: RetryStep[] = [];
  const waiters = new Set<() => void>();
  const loop = new RetryLoop({
    restart: RESTART,
    probe,
    tokens: new ScriptedTokens(),
    names: { subject: 's', failures: 'f', lacking: 'l' },
    random: () => 1,
  });
  const done = loop.run<never>(
    {
      run: (): Promise<TryEnd<never> | undefined> => {
        starts.push(performance.now());
        waiters.forEach((w) => w());
        const outcome = outcomes.shift();
        if (outcome === undefined)
          return new Promise((resolve) => signal.signal.addEventListener('abort', () => resolve(undefined)));
        return Promise.resolve({ outcome, progressed: false });
      },
      escalated: () => undefined,
      restarting: (step) => void steps.push(step),
      since: () => Date.now(),
    },
    signal.signal,
  );
  /** Resolves once `n` tries started; rejects after `ms`. */
  const tries = (n: number, ms = 5_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (starts.length < n) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${starts.length} tries started, not ${n}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { starts, steps, tries, done };
}

describe('RetryLoop probes', () => {
  it('a host that answers again ends a minute-long backoff at the next probe', async () => {
    const probe = scriptedProbe();
    const run = runLoop([refused('handshake')], probe);
    await run.tries(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(run.starts).toHaveLength(1);
    expect(run.steps[0]?.delayMs).toBe(MINUTE);
    probe.up = true;
    await run.tries(2, 2_000);
    // Probes asked the gateway's host (the handshake failed), not /gateway/bot.
    expect(new Set(probe.probes.map((p) => p.url))).toEqual(new Set([URLS.gateway]));
    expect(probe.probes.at(-1)?.answered).toBe(true);
  });

  it('probes the host the try could not reach: the token endpoint, the API for /gateway/bot, the gateway', () => {
    const error = toWire(new QQBotError(ErrorCodes.NETWORK, 'token endpoint unreachable', { retryable: true }));
    const tokenFailed: Outcome = { kind: 'token-failed', phase: 'token', error, reason: error.message };
    expect(unreachedHost(tokenFailed, URLS)).toBe(URLS.token);
    expect(unreachedHost(refused('gateway'), URLS)).toBe(URLS.api);
    expect(unreachedHost(timedOut('gateway'), URLS)).toBe(URLS.api);
    expect(unreachedHost(timedOut('handshake'), URLS)).toBe(URLS.gateway);
    expect(unreachedHost(refused('handshake'), { ...URLS, gateway: null })).toBe(URLS.api);
    // The platform answered: nothing to probe.
    expect(unreachedHost(refused('handshake', true), URLS)).toBeUndefined();
    expect(unreachedHost(timedOut('hello'), URLS)).toBeUndefined();
    expect(unreachedHost(closed(4009), URLS)).toBeUndefined();
  });

  it('a probe that always answers while the tries fail wakes one try, then waits for a "down" before waking another', async () => {
    const probe = scriptedProbe();
    probe.up = true;
    const run = runLoop([refused('handshake'), refused('handshake'), refused('handshake')], probe);
    await run.tries(2, 2_000);
    // The probe-woken try failed as well: probes that still answer no longer end the wait.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(run.starts).toHaveLength(2);
    probe.up = false;
    await new Promise((resolve) => setTimeout(resolve, 60));
    probe.up = true;
    await run.tries(3, 2_000);
  });

  it('a delay the protocol imposes (4008) is waited out: no probes', async () => {
    const probe = scriptedProbe();
    probe.up = true;
    const run = runLoop([closed(4008)], probe);
    await run.tries(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(run.steps[0]?.delayMs).toBe(Math.max(MINUTE, RATE_LIMIT_DELAY_MS));
    expect(run.starts).toHaveLength(1);
    expect(probe.probes).toEqual([]);
  });

  it('probeIntervalMs 0: no probes, the backoff alone', async () => {
    const probe = { ...scriptedProbe(), intervalMs: 0, up: true };
    const run = runLoop([refused('handshake')], probe);
    await run.tries(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(run.starts).toHaveLength(1);
    expect(probe.probes).toEqual([]);
  });
});
