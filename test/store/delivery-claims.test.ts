import { describe, expect, it } from 'vitest';
import { MemoryDeliveryClaims, type DeliveryClaims } from '../../src/store/delivery-claims.js';
import { getRaw, sharedClaims } from './redis-helpers.js';

const { prefix, claims: redisClaims } = sharedClaims();

/** Two callers on one record: two processes on one Redis, or one process's memory twice. */
const CASES: [string, () => [DeliveryClaims, DeliveryClaims]][] = [
  [
    'memory',
    () => {
      const claims = new MemoryDeliveryClaims();
      return [claims, claims];
    },
  ],
  ['Redis, two processes', () => [redisClaims(), redisClaims()]],
];

describe.each(CASES)('delivery claims (%s)', (_name, make) => {
  let n = 0;
  const key = (): string => `e:${_name}-${n++}`;

  it('lets one caller claim a key; the other sees it pending, then delivered', async () => {
    const [a, b] = make();
    const k = key();
    expect(await a.claim(k, 5_000)).toBe('claimed');
    expect(await b.claim(k, 5_000)).toBe('pending');
    await a.delivered(k, Date.now() + 60_000);
    expect(await b.claim(k, 5_000)).toBe('delivered');
    expect(await a.claim(k, 5_000)).toBe('delivered');
  });

  it('frees a claim at once when its holder releases it', async () => {
    const [a, b] = make();
    const k = key();
    expect(await a.claim(k, 5_000)).toBe('claimed');
    await a.release(k);
    expect(await b.claim(k, 5_000)).toBe('claimed');
  });

  it('lets a claim whose holder went silent lapse after claimMs: the next caller takes it', async () => {
    const [a, b] = make();
    const k = key();
    expect(await a.claim(k, 50)).toBe('claimed');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await b.claim(k, 5_000)).toBe('claimed');
  });

  it('forgets a delivered key when its window closes', async () => {
    const [a, b] = make();
    const k = key();
    expect(await a.claim(k, 5_000)).toBe('claimed');
    await a.delivered(k, Date.now() + 100);
    expect(await b.claim(k, 5_000)).toBe('delivered');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await b.claim(k, 5_000)).toBe('claimed');
  });
});

describe('RedisDeliveryClaims', () => {
  it('keeps a delivered key in Redis under <prefix>claim:, expiring with the window', async () => {
    const claims = redisClaims();
    expect(await claims.claim('e:kept', 5_000)).toBe('claimed');
    await claims.delivered('e:kept', Date.now() + 300_000);
    const { value, pttl } = await getRaw(`${prefix}claim:e:kept`);
    expect(value).toBe('d');
    expect(pttl).toBeGreaterThan(290_000);
    expect(pttl).toBeLessThanOrEqual(300_000);
  });

  it('never releases a claim that lapsed and now belongs to another process', async () => {
    const [a, b] = [redisClaims(), redisClaims()];
    expect(await a.claim('e:stolen', 50)).toBe('claimed');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await b.claim('e:stolen', 5_000)).toBe('claimed');
    await a.release('e:stolen');
    expect(await a.claim('e:stolen', 5_000)).toBe('pending');
  });
});

describe('MemoryDeliveryClaims', () => {
  it('is bounded by time, not by count: 10 000 keys all remembered within the window, none after it', () => {
    let now = 1_000_000;
    const claims = new MemoryDeliveryClaims(() => now);
    for (let i = 0; i < 10_000; i++) {
      claims.claimNow(`e:${i}`, 1_000);
      claims.deliveredNow(`e:${i}`, now + 300_000);
    }
    expect(claims.claimNow('e:0', 1_000)).toBe('delivered');
    now += 300_001;
    expect(claims.claimNow('e:1', 1_000)).toBe('claimed');
    expect(claims.size).toBe(1);
  });
});
