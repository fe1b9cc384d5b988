import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import type { DeliveryClaims } from '../../src/store/delivery-claims.js';
import { CallbackGate } from '../../src/transports/webhook/callback-gate.js';
import type { WebhookDispatch } from '../../src/transports/webhook/request-handler.js';
import { sharedClaims } from '../store/redis-helpers.js';

const { claims: processClaims } = sharedClaims();

let n = 0;
function dispatch(id = `gate-${n++}`): WebhookDispatch {
  return {
    type: 'C2C_MESSAGE_CREATE',
    id,
    seq: -1,
    frame: '{}',
    problem: undefined,
    key: `e:${id}`,
    expiresAt: Date.now() + 300_000,
  };
}

/** A gate that records what it delivered, dropped and reported. */
function gate(shared: DeliveryClaims | undefined, deliverTimeoutMs = 5_000) {
  const seen = { delivered: [] as string[], duplicates: 0, reports: [] as QQBotError[] };
  const g = new CallbackGate({
    shared,
    deliver: (d) => void seen.delivered.push(d.id!),
    duplicate: () => void (seen.duplicates += 1),
    report: (e) => void seen.reports.push(e),
    deliverTimeoutMs,
  });
  return Object.assign(seen, { deliver: (d: WebhookDispatch) => g.deliver(d) });
}

/** Settles to 'settled' / 'rejected', or 'waiting' if `p` has not settled within `ms`. */
function stateAfter(p: void | Promise<void>, ms: number): Promise<'settled' | 'rejected' | 'waiting'> {
  return Promise.race([
    Promise.resolve(p).then(
      () => 'settled' as const,
      () => 'rejected' as const,
    ),
    new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms)),
  ]);
}

describe('CallbackGate', () => {
  it('alone: delivers the first copy, acknowledges the others without delivering them', () => {
    const g = gate(undefined);
    const d = dispatch();
    expect(g.deliver(d)).toBeUndefined();
    expect(g.deliver({ ...d })).toBeUndefined();
    expect(g.delivered).toEqual([d.id]);
    expect(g.duplicates).toBe(1);
  });

  it('in a fleet: a copy at another process is not acknowledged before the first has it, then acknowledged without delivery', async () => {
    let markDelivered!: () => void;
    const marked = new Promise<void>((resolve) => (markDelivered = resolve));
    const claimsA = processClaims();
    // Process A delivers at once but its "delivered" mark reaches Redis only when the test says so.
    const slowA: DeliveryClaims = {
      claim: (k, ms) => claimsA.claim(k, ms),
      delivered: async (k, at) => {
        await marked;
        await claimsA.delivered(k, at);
      },
      release: (k) => claimsA.release(k),
    };
    const a = gate(slowA);
    const b = gate(processClaims());
    const d = dispatch();
    const first = a.deliver(d);
    // A has claimed it in Redis and delivered it (its first command also opens its connection).
    const deadline = Date.now() + 5_000;
    while (a.delivered.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(a.delivered).toEqual([d.id]);
    const copy = b.deliver({ ...d });
    expect(await stateAfter(copy, 300)).toBe('waiting');
    markDelivered();
    expect(await stateAfter(first, 2_000)).toBe('settled');
    expect(await stateAfter(copy, 2_000)).toBe('settled');
    expect(b.delivered).toEqual([]);
    expect(b.duplicates).toBe(1);
  });

  it('in a fleet: takes over a claim whose holder died once it lapses, within the request deadline', async () => {
    const dead = processClaims();
    const b = gate(processClaims(), 1_000);
    const d = dispatch();
    // A process claimed it (for half the deadline, as a gate does) and died before delivering.
    expect(await dead.claim(d.key, 500)).toBe('claimed');
    const started = Date.now();
    expect(await stateAfter(b.deliver(d), 3_000)).toBe('settled');
    expect(b.delivered).toEqual([d.id]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('in a fleet: answers "not delivered" (503) past the wait while another process still holds the claim, and a later copy may try again', async () => {
    const holder = processClaims();
    const b = gate(processClaims(), 400);
    const d = dispatch();
    expect(await holder.claim(d.key, 60_000)).toBe('claimed');
    expect(await stateAfter(b.deliver(d), 3_000)).toBe('rejected');
    expect(b.delivered).toEqual([]);
    await holder.release(d.key);
    expect(await stateAfter(b.deliver({ ...d }), 3_000)).toBe('settled');
    expect(b.delivered).toEqual([d.id]);
  });

  it('delivers under its own dedupe when the store does not answer, and reports that once', async () => {
    const down = new QQBotError(ErrorCodes.STORE_UNAVAILABLE, 'Redis is away', { retryable: true });
    const g = gate({
      claim: () => Promise.reject(down),
      delivered: () => Promise.reject(down),
      release: () => Promise.reject(down),
    });
    const d = dispatch();
    await g.deliver(d);
    await g.deliver(dispatch());
    await g.deliver({ ...d });
    expect(g.delivered).toHaveLength(2);
    expect(g.duplicates).toBe(1);
    expect(g.reports.map((e) => e.code)).toEqual([ErrorCodes.STORE_UNAVAILABLE]);
    expect(g.reports[0]!.cause).toBe(down);
  });
});
