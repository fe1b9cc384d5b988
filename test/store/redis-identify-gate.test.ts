import { afterEach, beforeEach, expect, it } from 'vitest';
import { RedisConnection } from '../../src/store/redis-connection.js';
import { RedisIdentifyGate } from '../../src/store/redis-identify-gate.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix } from './redis-helpers.js';

let prefix: string;
const connections: RedisConnection[] = [];

beforeEach(() => {
  prefix = uniquePrefix();
});

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await deleteKeysUnder(prefix);
});

/** One process's gate: its own connection, the fleet's prefix. */
function gate(windowMs: number): RedisIdentifyGate {
  const connection = new RedisConnection({ url: REDIS_URL, prefix, commandTimeoutMs: 2_000 });
  connections.push(connection);
  return new RedisIdentifyGate(connection, windowMs);
}

it('three processes, max_concurrency 1: IDENTIFY grants are a window apart across the fleet', async () => {
  const windowMs = 600;
  const gates = [gate(windowMs), gate(windowMs), gate(windowMs)];
  const signal = new AbortController().signal;
  const grantedAt: number[] = [];
  await Promise.all(
    gates.map(async (g) => {
      const slot = await g.acquire(signal);
      expect(slot).toBeDefined();
      grantedAt.push(performance.now());
      slot?.sent();
    }),
  );
  grantedAt.sort((a, b) => a - b);
  // Redis counts the window on its own clock; allow this machine's timer granularity.
  expect((grantedAt[1] as number) - (grantedAt[0] as number)).toBeGreaterThanOrEqual(windowMs - 50);
  expect((grantedAt[2] as number) - (grantedAt[1] as number)).toBeGreaterThanOrEqual(windowMs - 50);
});

it('max_concurrency 2 lets two through at once, the third a window later', async () => {
  const windowMs = 600;
  const gates = [gate(windowMs), gate(windowMs), gate(windowMs)];
  for (const g of gates) g.maxConcurrency = 2;
  const signal = new AbortController().signal;
  const started = performance.now();
  const at = await Promise.all(gates.map(async (g) => (await g.acquire(signal), performance.now() - started)));
  at.sort((a, b) => a - b);
  expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(windowMs - 150);
  expect((at[1] as number) - (at[0] as number)).toBeLessThan(windowMs - 150);
});

it('a waiting acquire ends with undefined when its signal aborts', async () => {
  const g = gate(60_000);
  const signal = new AbortController();
  expect(await g.acquire(signal.signal)).toBeDefined();
  const waiting = g.acquire(signal.signal);
  signal.abort();
  expect(await waiting).toBeUndefined();
});
