import { afterEach, beforeEach, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS } from '../../src/options.js';
import { budgetProbeMs } from '../../src/protocol/session-start.js';
import { RedisConnection } from '../../src/redis-client/redis-connection.js';
import { RedisIdentifyGate } from '../../src/fleet/redis-identify-gate.js';
import { REDIS_URL, deleteKeysUnder, getRaw, uniquePrefix } from './redis-helpers.js';

/** A probe's lifetime, as `budgetProbeMs` derives it from the default `timeouts.httpMs`. */
const PROBE_MS = budgetProbeMs(DEFAULT_TIMEOUTS.httpMs);

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

/** Gates that know a session-start budget large enough not to matter (as the fake answers by default). */
async function gatesWithBudget(n: number, windowMs: number): Promise<RedisIdentifyGate[]> {
  const gates = Array.from({ length: n }, () => gate(windowMs));
  await gates[0]?.budget(1_000, 60_000);
  return gates;
}

it('three processes, max_concurrency 1: IDENTIFY grants are a window apart across the fleet', async () => {
  const windowMs = 600;
  const gates = await gatesWithBudget(3, windowMs);
  const signal = new AbortController().signal;
  const grantedAt: number[] = [];
  await Promise.all(
    gates.map(async (g) => {
      const slot = await g.acquire(signal, PROBE_MS);
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

it('a grant sent later than the window keeps its place across the fleet: the next IDENTIFY waits a window after that send', async () => {
  const windowMs = 300;
  const [a, b] = (await gatesWithBudget(2, windowMs)) as [RedisIdentifyGate, RedisIdentifyGate];
  const signal = new AbortController().signal;
  const slot = await a.acquire(signal, PROBE_MS);
  let grantedAt: number | undefined;
  const second = b.acquire(signal, PROBE_MS).then(() => (grantedAt = performance.now()));
  // A's attempt is slow (a cold thread under load): its Identify goes out past the window after its grant.
  await new Promise((resolve) => setTimeout(resolve, windowMs + 300));
  expect(grantedAt).toBeUndefined();
  const sentAt = performance.now();
  slot?.sent();
  await second;
  expect((grantedAt as number) - sentAt).toBeGreaterThanOrEqual(windowMs - 50);
});

it('max_concurrency 2 lets two through at once, the third a window later', async () => {
  const windowMs = 600;
  const gates = await gatesWithBudget(3, windowMs);
  for (const g of gates) g.maxConcurrency = 2;
  const signal = new AbortController().signal;
  const started = performance.now();
  const at = await Promise.all(
    gates.map(async (g) => ((await g.acquire(signal, PROBE_MS))?.sent(), performance.now() - started)),
  );
  at.sort((a, b) => a - b);
  expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(windowMs - 150);
  expect((at[1] as number) - (at[0] as number)).toBeLessThan(windowMs - 150);
});

it('a waiting acquire ends with undefined when its signal aborts', async () => {
  const [g] = (await gatesWithBudget(1, 60_000)) as [RedisIdentifyGate];
  const signal = new AbortController();
  expect(await g.acquire(signal.signal, PROBE_MS)).toBeDefined();
  const waiting = g.acquire(signal.signal, PROBE_MS);
  signal.abort();
  expect(await waiting).toBeUndefined();
});

/** Acquires on every gate at once; each grant's time (ms from the call) and whether it was the probe, by time. */
async function grantsOf(
  gates: RedisIdentifyGate[],
  started = performance.now(),
): Promise<{ at: number; probe: boolean | undefined }[]> {
  const signal = new AbortController().signal;
  const grants = await Promise.all(
    gates.map(async (g) => ({ probe: (await g.acquire(signal, PROBE_MS))?.probe, at: performance.now() - started })),
  );
  return grants.sort((a, b) => a.at - b.at);
}

it('budget 1 shared by two processes: exactly one grant; the other waits for the reset, then probes', async () => {
  const gates = [gate(600), gate(600)];
  for (const g of gates) g.maxConcurrency = 2;
  const resetAfterMs = 1_000;
  // The reset counts from the budget's write: time the grants from before it, so a slow round trip cannot eat the margin.
  const started = performance.now();
  await gates[0]?.budget(1, resetAfterMs);
  const granted = grantsOf(gates, started);
  const [first, second] = await granted;
  expect(first).toMatchObject({ probe: false });
  expect(first?.at).toBeLessThan(resetAfterMs / 2);
  // The budget's reset, on Redis's clock; allow this machine's timer granularity.
  expect(second?.at).toBeGreaterThanOrEqual(resetAfterMs - 50);
  // Nothing was known after the reset: the late one is the probe, and holds the others back until its answer.
  expect(second).toMatchObject({ probe: true });
  expect((await getRaw(`${prefix}identify-budget`)).value).toBe('probe');
});

it('no budget known: one probe across the fleet; the others wait for its answer, which counts the probe', async () => {
  const gates = [gate(60_000), gate(60_000), gate(60_000)];
  for (const g of gates) g.maxConcurrency = 3;
  const signal = new AbortController().signal;
  const slots = gates.map((g) => g.acquire(signal, PROBE_MS));
  const probe = await Promise.race(slots);
  expect(probe?.probe).toBe(true);
  const budget = await getRaw(`${prefix}identify-budget`);
  expect(budget.value).toBe('probe');
  expect(budget.pttl).toBeGreaterThan(0);
  // The probe's /gateway/bot answer: remaining 5, of which one is the probe's own IDENTIFY (granted, not yet counted).
  await gates[0]?.budget(5, 60_000);
  const all = await Promise.all(slots);
  expect(all.filter((s) => s?.probe === true)).toHaveLength(1);
  expect((await getRaw(`${prefix}identify-budget`)).value).toBe('2');
});

it("the platform's answer is the truth: it raises a spent budget, and one without session_start_limit ends a probe", async () => {
  const g = gate(600);
  g.maxConcurrency = 5;
  const signal = new AbortController().signal;
  await g.budget(0, 60_000);
  await g.budget(3, 60_000);
  expect((await g.acquire(signal, PROBE_MS))?.probe).toBe(false);
  expect((await getRaw(`${prefix}identify-budget`)).value).toBe('2');
  await deleteKeysUnder(prefix);
  expect((await g.acquire(signal, PROBE_MS))?.probe).toBe(true);
  const next = g.acquire(signal, PROBE_MS);
  await g.budget(undefined, undefined);
  expect((await next)?.probe).toBe(true);
});

it("a probe holds the others back for its probeMs (timeouts.httpMs + a margin), and its answer counts the probe's IDENTIFY even past the window", async () => {
  const windowMs = 200;
  const g = gate(windowMs);
  g.maxConcurrency = 5;
  const signal = new AbortController().signal;
  expect((await g.acquire(signal, budgetProbeMs(20_000)))?.probe).toBe(true);
  const probe = await getRaw(`${prefix}identify-budget`);
  expect(probe.value).toBe('probe');
  // A fixed 10 s let a second probe go while the first attempt's fetch could still answer.
  expect(probe.pttl).toBeGreaterThan(20_000);
  // The answer comes after the probe's grant left the window: remaining 1 is still the probe's own IDENTIFY.
  await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
  await g.budget(1, 60_000);
  expect((await getRaw(`${prefix}identify-budget`)).value).toBe('0');
});
