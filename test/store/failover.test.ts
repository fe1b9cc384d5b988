import { afterEach, expect, it } from 'vitest';
import { FakeQQServer } from '../../src/testing/index.js';
import { HostProcess, has, killHosts, seqsOf, type HostRecord } from './host-process.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix, runCleanups } from './redis-helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await killHosts();
  await runCleanups(cleanups);
});

async function pair(
  lease: true | object,
  fakeOptions: Parameters<typeof FakeQQServer.start>[0] = {},
): Promise<{ fake: FakeQQServer; holder: HostProcess; standby: HostProcess }> {
  const fake = await FakeQQServer.start(fakeOptions);
  cleanups.push(() => fake.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const config = { endpoints: fake.endpoints, store: { kind: 'redis', url: REDIS_URL, prefix, lease } };
  const holder = new HostProcess(config);
  await holder.until(has('ready'), 15_000, 'READY on the first process');
  const standby = new HostProcess(config);
  // Its start() resolves as soon as it found the lease held: a hot standby is up (and healthy) while it waits.
  await standby.until(has('up'), 15_000, 'the standby to be up');
  expect(standby.records.find((r) => r.kind === 'up')).toMatchObject({ states: ['standby'], ok: true });
  return { fake, holder, standby };
}

it('kill -9 of the holder (default lease): the standby RESUMEs after the lease expires, no IDENTIFY, 0 lost', async () => {
  const { fake, holder, standby } = await pair(true);
  const stream = fake.emitEvents(3_600, { ratePerSec: 200 });
  await holder.until((r) => seqsOf(r).length >= 300, 15_000, '300 events');
  expect(standby.dispatches()).toEqual([]);
  const killedAt = Date.now();
  await holder.signal('SIGKILL');
  await standby.until(has('resumed'), 25_000, 'the standby to resume');
  const resumedAt = standby.records.find((r) => r.kind === 'resumed')?.at ?? 0;
  // The default lease is 10 s; the figure itself is measured by bench/failover.js.
  expect(resumedAt - killedAt).toBeGreaterThan(0);
  const sent = await stream;
  const before = seqsOf(holder.records);
  await standby.until((r) => new Set([...before, ...seqsOf(r)]).size >= sent.length, 20_000, 'every event');
  expect(standby.records.some((r) => r.kind === 'ready')).toBe(false);
  expect(fake.stats.identifies).toHaveLength(1);
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
  const seen = new Set(before);
  expect(standby.dispatches().filter((r) => seen.has(r.seq as number) && !r.redelivered)).toEqual([]);
  // An honest flag: flagged but never delivered before, at most one checkpoint batch (100).
  expect(standby.dispatches().filter((r) => r.redelivered && !seen.has(r.seq as number)).length).toBeLessThanOrEqual(
    100,
  );
}, 90_000);

it('SIGSTOP of the holder past its lease, then SIGCONT: the standby runs the shard, the old holder delivers nothing more', async () => {
  const ttlMs = 5_000;
  // The platform drops a socket that stopped heartbeating; here it does so well before the lease expires, so the
  // standby's RESUME never overlaps the stopped holder's socket.
  const { fake, holder, standby } = await pair({ ttlMs }, { heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 2_500 });
  const stream = fake.emitEvents(2_000, { ratePerSec: 200 });
  await holder.until((r) => seqsOf(r).length >= 200, 15_000, '200 events');
  // Lines are stamped by the host: what it wrote before the stop may still be in the pipe.
  const stoppedAt = Date.now();
  await holder.signal('SIGSTOP');
  const afterStop = (r: HostRecord): boolean => r.at > stoppedAt;
  await standby.until(has('resumed'), 20_000, 'the standby to resume');
  await standby.until((r) => seqsOf(r).length >= 200, 15_000, 'the standby to deliver');
  holder.child.kill('SIGCONT');
  // It wakes, finds its lease gone and says so; from then on it delivers nothing.
  await holder.until(
    (r) => r.some((x) => afterStop(x) && x.kind === 'error' && x.code === 'QQBOT_LEASE_LOST'),
    15_000,
    'QQBOT_LEASE_LOST',
  );
  const sent = await stream;
  const before = seqsOf(holder.records.filter((r) => !afterStop(r)));
  await standby.until((r) => new Set([...before, ...seqsOf(r)]).size >= sent.length, 20_000, 'every event');
  expect(holder.records.filter((r) => afterStop(r) && r.kind === 'dispatch')).toEqual([]);
  expect(fake.stats.identifies).toHaveLength(1);
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
}, 90_000);
