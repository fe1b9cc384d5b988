import { describe, expect, it } from 'vitest';
import { BodyAdmission } from '../../src/transports/webhook/body-admission.js';
import { RateLimit } from '../../src/transports/webhook/rate-limit.js';

describe('BodyAdmission: the budget of requests still sending their body', () => {
  it('when full, drops the oldest pending request for a new one; a released place is free again', () => {
    const budget = new BodyAdmission(3);
    const dropped: string[] = [];
    const admit = (name: string, peer: string): (() => void) => budget.admit(peer, () => dropped.push(name));
    admit('a', 'p1');
    const releaseB = admit('b', 'p1');
    admit('c', 'p1');
    admit('d', 'p1');
    expect(dropped).toEqual(['a']);
    releaseB();
    admit('e', 'p1');
    expect(dropped).toEqual(['a']);
    expect(budget.pending).toBe(3);
  });

  it('takes the request to drop from the address holding the most, never the platform’s while it holds fewer', () => {
    const budget = new BodyAdmission(8);
    const dropped: string[] = [];
    budget.admit('platform', () => dropped.push('platform'));
    for (let i = 0; i < 20; i++) budget.admit('attacker', () => dropped.push(`attacker-${i}`));
    budget.admit('platform', () => dropped.push('platform-2'));
    expect(dropped).toEqual(Array.from({ length: 14 }, (_, i) => `attacker-${i}`));
    expect(budget.pending).toBe(8);
  });

  it('releasing twice, or after being dropped, changes nothing', () => {
    const budget = new BodyAdmission(1);
    const release = budget.admit('p', () => undefined);
    budget.admit('q', () => undefined);
    release();
    release();
    expect(budget.pending).toBe(1);
  });
});

describe('RateLimit: token buckets per peer and in all', () => {
  it('allows the burst, refills at the rate, and holds every peer to the global bucket', () => {
    let now = 0;
    const limit = new RateLimit({ perSecond: 10, burst: 4 }, { perSecond: 1, burst: 2 }, () => now);
    expect([limit.take('a'), limit.take('a'), limit.take('a')]).toEqual([true, true, false]);
    now += 1_000;
    expect([limit.take('a'), limit.take('a')]).toEqual([true, false]);
    // The global bucket (refilled to 4, one taken by a) lets three more peers through, then none.
    expect([limit.take('b'), limit.take('c'), limit.take('d'), limit.take('e')]).toEqual([true, true, true, false]);
    now += 200;
    expect([limit.take('e'), limit.take('f'), limit.take('g')]).toEqual([true, true, false]);
  });
});
