import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdentifyGate } from '../../src/supervisor/identify-gate.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

/** Acquires `n` slots at once and records when each was granted. */
function grants(gate: IdentifyGate, n: number, signal = new AbortController().signal): { at: number[]; all: Promise<boolean[]> } {
  const at: number[] = [];
  const all = Promise.all(
    Array.from({ length: n }, () =>
      gate.acquire(signal).then((slot) => {
        at.push(Date.now());
        return slot !== undefined;
      }),
    ),
  );
  return { at, all };
}

describe('IdentifyGate', () => {
  it('lets one IDENTIFY start per 5 s by default, in order', async () => {
    const { at, all } = grants(new IdentifyGate(), 3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await all).toEqual([true, true, true]);
    expect(at).toEqual([0, 5_000, 10_000]);
  });

  it('lets max_concurrency IDENTIFYs start per 5 s', async () => {
    const gate = new IdentifyGate();
    gate.maxConcurrency = 2;
    const { at, all } = grants(gate, 5);
    await vi.advanceTimersByTimeAsync(10_000);
    await all;
    expect(at).toEqual([0, 0, 5_000, 5_000, 10_000]);
  });

  it('ignores a max_concurrency that is not a positive integer', async () => {
    const gate = new IdentifyGate();
    gate.maxConcurrency = 0;
    gate.maxConcurrency = 2.5;
    const { at, all } = grants(gate, 2);
    await vi.advanceTimersByTimeAsync(5_000);
    await all;
    expect(at).toEqual([0, 5_000]);
  });

  it('a waiter whose signal aborts gets no slot at once and leaves no timer', async () => {
    const gate = new IdentifyGate();
    const controller = new AbortController();
    expect(await gate.acquire(controller.signal)).toBeDefined();
    const waiting = gate.acquire(controller.signal);
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort();
    expect(await waiting).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts the window from when the Identify was sent, not from the grant', async () => {
    const gate = new IdentifyGate();
    const signal = new AbortController().signal;
    const first = await gate.acquire(signal);
    await vi.advanceTimersByTimeAsync(800);
    first?.sent();
    let grantedAt: number | undefined;
    const second = gate.acquire(signal).then(() => {
      grantedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(10_000);
    await second;
    expect(grantedAt).toBe(5_800);
  });
});
