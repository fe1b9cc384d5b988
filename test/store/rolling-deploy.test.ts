import { afterEach, describe, expect, it } from 'vitest';
import { FakeQQServer } from '../../src/testing/index.js';
import { HostProcess, has, killHosts, seqsOf, storeConfig, untilFleet, type HostRecord } from './host-process.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix, runCleanups } from './redis-helpers.js';

// A rolling deploy as Kubernetes or Docker runs one: the new process B starts while A runs, then A gets SIGTERM
// (the fixture calls close()). Default options on both stores: B must wait as a standby, then RESUME A's session.
// The figures (SIGTERM → RESUMED) are measured by bench/rolling-deploy.js; the bounds here are generous.

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await killHosts();
  await runCleanups(cleanups);
});

const isSession = (r: HostRecord): boolean => r.kind === 'ready' || r.kind === 'resumed';

async function fakeServer(options: Parameters<typeof FakeQQServer.start>[0] = {}): Promise<FakeQQServer> {
  const fake = await FakeQQServer.start(options);
  cleanups.push(() => fake.close());
  return fake;
}

/**
 * SIGTERM to `owner` during a 200 events/s stream; `successor` must RESUME. Checks the deploy's correctness: one
 * IDENTIFY in all, never two sockets on the session, nothing lost, and every event both delivered flagged.
 */
async function expectHandover(fake: FakeQQServer, owner: HostProcess, successor: HostProcess): Promise<number> {
  const stream = fake.emitEvents(1_200, { ratePerSec: 200 });
  await owner.until((r) => seqsOf(r).length >= 200, 15_000, '200 events on the owner');
  expect(successor.dispatches()).toEqual([]);
  const sigtermAt = Date.now();
  await owner.signal('SIGTERM');
  await successor.until(has('resumed'), 20_000, 'the successor to resume');
  const resumedAt = successor.records.find((r) => r.kind === 'resumed')?.at ?? 0;
  const sent = await stream;
  const before = seqsOf(owner.records);
  await successor.until((r) => new Set([...before, ...seqsOf(r)]).size >= sent.length, 20_000, 'every event');

  expect(successor.records.some((r) => r.kind === 'ready')).toBe(false);
  expect(fake.stats.identifies).toHaveLength(1);
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
  const delivered = new Set([...before, ...seqsOf(successor.records)]);
  expect(sent.filter((seq) => !delivered.has(seq))).toEqual([]);
  const seen = new Set(before);
  expect(successor.dispatches().filter((r) => seen.has(r.seq as number) && !r.redelivered)).toEqual([]);
  expect(owner.child.exitCode).toBe(0);
  return resumedAt - sigtermAt;
}

/** A runs the session (READY), then B starts and is up: both on a store of `kind` with default options. */
async function ownerThenStandby(
  kind: 'file' | 'redis',
  fakeOptions: Parameters<typeof FakeQQServer.start>[0] = {},
): Promise<{ fake: FakeQQServer; a: HostProcess; b: HostProcess }> {
  const fake = await fakeServer(fakeOptions);
  const config = { endpoints: fake.endpoints, store: await storeConfig(kind, cleanups) };
  const a = new HostProcess(config);
  await a.until(has('ready'), 15_000, 'READY on A');
  const b = new HostProcess(config);
  await b.until(has('up'), 15_000, 'B to be up');
  return { fake, a, b };
}

describe.each(['file', 'redis'] as const)('%s store, default options', (kind) => {
  it('rolling deploy: B starts while A runs (a healthy standby), A gets SIGTERM → B RESUMEs; 1 IDENTIFY, 0 lost', async ({
    annotate,
  }) => {
    const { fake, a, b } = await ownerThenStandby(kind);
    expect(b.records.find((r) => r.kind === 'up')).toMatchObject({ states: ['standby'], ok: true });
    expect(await a.status()).toEqual({ states: ['ready'], ok: true });

    const handoverMs = await expectHandover(fake, a, b);
    await annotate(`${kind}: SIGTERM → RESUMED on B ${handoverMs} ms`);
    expect(handoverMs).toBeLessThan(15_000);
    // A closed its socket with a code that keeps the session (4000), never 1000.
    expect(fake.sessions[0]?.resumable).toBe(true);
  }, 90_000);

  it('both started at once: one runs the session, the other stands by; SIGTERM to the one running hands it over', async () => {
    const fake = await fakeServer();
    const config = { endpoints: fake.endpoints, store: await storeConfig(kind, cleanups) };
    const hosts = [new HostProcess(config), new HostProcess(config)];
    await untilFleet(hosts, () => hosts.every((h) => h.records.some((r) => r.kind === 'up')), 30_000, 'both up');
    const states = hosts.map((h) => h.records.find((r) => r.kind === 'up')?.states?.[0]).sort();
    expect(states).toEqual(['ready', 'standby']);
    const owner = hosts.find((h) => h.records.some(isSession)) as HostProcess;
    const successor = hosts.find((h) => h !== owner) as HostProcess;
    await expectHandover(fake, owner, successor);
  }, 90_000);
});

it('file store: kill -9 of the owner ends its lock; the standby RESUMEs; flagged = real duplicates + at most one batch', async () => {
  const { fake, a, b } = await ownerThenStandby('file');
  const stream = fake.emitEvents(2_000, { ratePerSec: 200 });
  await a.until((r) => seqsOf(r).length >= 300, 15_000, '300 events on A');
  await a.signal('SIGKILL');
  await b.until(has('resumed'), 30_000, 'B to resume');
  const sent = await stream;
  const before = new Set(seqsOf(a.records));
  await b.until((r) => new Set([...before, ...seqsOf(r)]).size >= sent.length, 20_000, 'every event');
  expect(fake.stats.identifies).toHaveLength(1);
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
  const flagged = b.dispatches().filter((r) => r.redelivered);
  // Every real duplicate flagged; flagged but never delivered before: at most one checkpoint batch (100).
  expect(b.dispatches().filter((r) => before.has(r.seq as number) && !r.redelivered)).toEqual([]);
  expect(flagged.filter((r) => !before.has(r.seq as number)).length).toBeLessThanOrEqual(100);
}, 90_000);

it('file store: a stopped owner (SIGSTOP) keeps the lock — the standby never runs the session beside it — and runs on after SIGCONT', async () => {
  // The fake drops the stopped owner's socket when its heartbeats stop: the session is then nobody's for a while.
  const { fake, a, b } = await ownerThenStandby('file', { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 1_500 });
  await a.signal('SIGSTOP');
  await fake.waitFor(() => fake.sessions[0]?.delivering === false, 15_000);
  // Past the drop, B is still a standby (healthy): a paused process is not a dead one.
  expect(await b.status()).toEqual({ states: ['standby'], ok: true });
  a.child.kill('SIGCONT');
  const stoppedUntil = Date.now();
  await a.until(
    (r) => r.some((x) => x.kind === 'resumed' && x.at >= stoppedUntil - 1_000),
    20_000,
    'A to resume after SIGCONT',
  );
  const sent = await fake.emitEvents(20);
  await a.until((r) => sent.every((seq) => seqsOf(r).includes(seq)), 15_000, 'A to deliver');
  expect(b.dispatches()).toEqual([]);
  expect(fake.stats.identifies).toHaveLength(1);
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
}, 60_000);

it('Redis store with lease: false, two processes: the session is fought over → QQBOT_SESSION_CONTESTED on "error", health().ok false', async () => {
  const fake = await fakeServer();
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const config = { endpoints: fake.endpoints, store: { kind: 'redis', url: REDIS_URL, prefix, lease: false } };
  const a = new HostProcess(config);
  await a.until(has('ready'), 15_000, 'READY on A');
  // B loads A's checkpoint and RESUMEs A's live session: each kicks the other off with 4009, again and again.
  const b = new HostProcess(config);
  const contested = (r: HostRecord): boolean => r.kind === 'error' && r.code === 'QQBOT_SESSION_CONTESTED';
  await untilFleet([a, b], () => [a, b].some((h) => h.records.some(contested)), 60_000, 'QQBOT_SESSION_CONTESTED');
  const reporter = [a, b].find((h) => h.records.some(contested)) as HostProcess;
  expect((await reporter.status()).ok).toBe(false);
}, 90_000);
