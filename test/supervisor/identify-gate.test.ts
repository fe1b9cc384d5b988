import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { budgetProbeMs } from '../../src/protocol/session-start.js';
import { IdentifyGate } from '../../src/fleet/memory-identify-gate.js';

/** A probe's lifetime, as `budgetProbeMs` derives it for some `timeouts.httpMs`. */
const PROBE_MS = 10_000;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

/** A gate that knows the platform's session-start budget (the fake's and the docs' figures by default). */
function gateWithBudget(remaining = 1_000, resetAfterMs = 14_400_000): IdentifyGate {
  const gate = new IdentifyGate();
  void gate.budget(remaining, resetAfterMs);
  return gate;
}

/** A gate with no budget known yet, and its first grant: the probe. */
async function probedGate(maxConcurrency: number): Promise<{ gate: IdentifyGate; signal: AbortSignal }> {
  const gate = new IdentifyGate();
  gate.maxConcurrency = maxConcurrency;
  const signal = new AbortController().signal;
  const probe = await gate.acquire(signal, PROBE_MS);
  expect(probe?.probe).toBe(true);
  return { gate, signal };
}

/** Acquires `n` slots at once and records when each was granted; each Identify is sent at once. */
function grants(
  gate: IdentifyGate,
  n: number,
  signal = new AbortController().signal,
): { at: number[]; all: Promise<boolean[]> } {
  const at: number[] = [];
  const all = Promise.all(
    Array.from({ length: n }, () =>
      gate.acquire(signal, PROBE_MS).then((slot) => {
        slot?.sent();
        at.push(Date.now());
        return slot !== undefined;
      }),
    ),
  );
  return { at, all };
}

describe('IdentifyGate', () => {
  it('lets one IDENTIFY start per 5 s by default, in order', async () => {
    const { at, all } = grants(gateWithBudget(), 3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await all).toEqual([true, true, true]);
    expect(at).toEqual([0, 5_000, 10_000]);
  });

  it('lets max_concurrency IDENTIFYs start per 5 s', async () => {
    const gate = gateWithBudget();
    gate.maxConcurrency = 2;
    const { at, all } = grants(gate, 5);
    await vi.advanceTimersByTimeAsync(10_000);
    await all;
    expect(at).toEqual([0, 0, 5_000, 5_000, 10_000]);
  });

  it('ignores a max_concurrency that is not a positive integer', async () => {
    const gate = gateWithBudget();
    gate.maxConcurrency = 0;
    gate.maxConcurrency = 2.5;
    const { at, all } = grants(gate, 2);
    await vi.advanceTimersByTimeAsync(5_000);
    await all;
    expect(at).toEqual([0, 5_000]);
  });

  it('a waiter whose signal aborts gets no slot at once and leaves no timer', async () => {
    const gate = gateWithBudget();
    const controller = new AbortController();
    expect(await gate.acquire(controller.signal, PROBE_MS)).toBeDefined();
    const waiting = gate.acquire(controller.signal, PROBE_MS);
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort();
    expect(await waiting).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts the window from when the Identify was sent, not from the grant', async () => {
    const gate = gateWithBudget();
    const signal = new AbortController().signal;
    const first = await gate.acquire(signal, PROBE_MS);
    await vi.advanceTimersByTimeAsync(800);
    first?.sent();
    let grantedAt: number | undefined;
    const second = gate.acquire(signal, PROBE_MS).then(() => {
      grantedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(10_000);
    await second;
    expect(grantedAt).toBe(5_800);
  });

  it('a grant sent later than the window keeps its place: the next IDENTIFY waits a window after that send', async () => {
    const gate = gateWithBudget();
    const signal = new AbortController().signal;
    const first = await gate.acquire(signal, PROBE_MS);
    let grantedAt: number | undefined;
    const second = gate.acquire(signal, PROBE_MS).then(() => {
      grantedAt = Date.now();
    });
    // A cold start under load: the first Identify goes out 7 s after its grant.
    await vi.advanceTimersByTimeAsync(7_000);
    expect(grantedAt).toBeUndefined();
    first?.sent();
    await vi.advanceTimersByTimeAsync(10_000);
    await second;
    expect(grantedAt).toBeGreaterThanOrEqual(12_000);
    expect(grantedAt).toBeLessThanOrEqual(12_250);
  });
});

describe('IdentifyGate: the session-start budget', () => {
  it('spends one per grant; at 0 no IDENTIFY until the reset, even with room in the window', async () => {
    const gate = gateWithBudget(2, 30_000);
    gate.maxConcurrency = 10;
    const { at, all } = grants(gate, 3);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await all).toEqual([true, true, true]);
    // The third waited for the reset, then probed (nothing known after it).
    expect(at).toEqual([0, 0, 30_000]);
  });

  it('an answer counts the grants of the last 5 s the platform may not have seen yet', async () => {
    const { gate } = await probedGate(2);
    // The probe's own /gateway/bot answer, read before it identified: remaining 1 is that IDENTIFY's.
    await gate.budget(1, 20_000);
    const { at, all } = grants(gate, 1);
    await vi.advanceTimersByTimeAsync(20_000);
    await all;
    expect(at).toEqual([20_000]);
  });

  it('no budget known: one grant probes, the others wait for its answer, then spend what it says', async () => {
    const { gate, signal } = await probedGate(3);
    let granted: (boolean | undefined)[] = [];
    const waiting = Promise.all([gate.acquire(signal, PROBE_MS), gate.acquire(signal, PROBE_MS)]).then((slots) => {
      granted = slots.map((s) => s?.probe);
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(granted).toEqual([]);
    await gate.budget(100, 60_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await waiting;
    expect(granted).toEqual([false, false]);
  });

  it('an answer without session_start_limit ends the probe; an unanswered probe ends after its probeMs', async () => {
    const gate = new IdentifyGate();
    gate.maxConcurrency = 3;
    const signal = new AbortController().signal;
    await gate.acquire(signal, PROBE_MS);
    const second = gate.acquire(signal, PROBE_MS);
    await gate.budget(undefined, undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await second)?.probe).toBe(true);
    let thirdAt: number | undefined;
    const third = gate.acquire(signal, PROBE_MS).then((slot) => {
      thirdAt = Date.now();
      return slot;
    });
    await vi.advanceTimersByTimeAsync(PROBE_MS + 1_000);
    expect((await third)?.probe).toBe(true);
    expect(thirdAt).toBeGreaterThanOrEqual(PROBE_MS);
  });

  it("a probe lasts as long as its attempt's /gateway/bot may take (timeouts.httpMs + a margin): httpMs 20 000, a 12 s answer, one IDENTIFY", async () => {
    const gate = new IdentifyGate();
    gate.maxConcurrency = 3;
    const signal = new AbortController().signal;
    const probeMs = budgetProbeMs(20_000);
    expect((await gate.acquire(signal, probeMs))?.probe).toBe(true);
    let second: boolean | undefined;
    const waiting = gate.acquire(signal, probeMs).then((slot) => {
      second = slot?.probe;
    });
    // A fixed 10 s probe let a second one go here, while the first fetch could still answer.
    await vi.advanceTimersByTimeAsync(12_000);
    expect(second).toBeUndefined();
    // remaining 1 is the probe's own IDENTIFY (granted 12 s ago, past the 5 s window, still to go out): none left.
    await gate.budget(1, 60_000);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(second).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_000);
    await waiting;
    expect(second).toBe(true);
  });
});
