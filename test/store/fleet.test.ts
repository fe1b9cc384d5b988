import { afterEach, expect, it } from 'vitest';
import { IDENTIFY_WINDOW_MS } from '../../src/protocol/payloads.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { HostProcess, killHosts, untilFleet, type HostRecord } from './host-process.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix, runCleanups } from './redis-helpers.js';

// Several host processes share the shards of one bot through the Redis store (README "Running more than one
// process"). Every wait is on an event (a host's JSON line, a status answer); no test sleeps.

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await killHosts();
  await runCleanups(cleanups);
});

const isSession = (r: HostRecord): boolean => r.kind === 'ready' || r.kind === 'resumed';
const up = (records: HostRecord[]): boolean => records.some((r) => r.kind === 'up');

/** The shards `host` got a session for (after `since`, epoch ms). */
function sessionShards(host: HostProcess, since = 0): Set<number> {
  return new Set(host.records.filter((r) => isSession(r) && r.at > since).map((r) => r.shard as number));
}

async function startFleet(
  count: number,
  shards: number,
  lease: true | object,
): Promise<{ fake: FakeQQServer; hosts: HostProcess[]; config: object }> {
  const fake = await FakeQQServer.start({ shards, maxConcurrency: 1 });
  cleanups.push(() => fake.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  const config = { endpoints: fake.endpoints, shards: 'auto', store: { kind: 'redis', url: REDIS_URL, prefix, lease } };
  const hosts = Array.from({ length: count }, () => new HostProcess(config));
  return { fake, hosts, config };
}

/**
 * Every host's shard states, asked again while any is 'idle' (bounded): a process at its `maxShards` reads a lease
 * once per poll, so it may call a shard free for up to one poll after another process took it over.
 */
async function settledStatuses(hosts: HostProcess[], timeoutMs = 5_000): Promise<{ states: string[]; ok: boolean }[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(hosts.map((h) => h.status()));
    if (Date.now() > until || statuses.every((s) => !s.states.includes('idle'))) return statuses;
  }
}

/** Asks every host for its shard states: each shard is 'ready' in exactly one and 'standby' in the others. */
async function expectEachShardHeldOnce(hosts: HostProcess[], shards: number, maxShards = shards): Promise<number[][]> {
  const statuses = await settledStatuses(hosts);
  const held = statuses.map((s) => s.states.flatMap((state, shard) => (state === 'ready' ? [shard] : [])));
  for (const [i, status] of statuses.entries()) {
    expect(status.states).toHaveLength(shards);
    expect(status.states.every((state) => state === 'ready' || state === 'standby')).toBe(true);
    expect(status.ok).toBe(true);
    expect((held[i] as number[]).length).toBeLessThanOrEqual(maxShards);
  }
  expect(held.flat().sort()).toEqual(Array.from({ length: shards }, (_, i) => i));
  return held;
}

/** At most `max_concurrency` (1) IDENTIFYs within any identify window, across the fleet, as the fake recorded them. */
function expectIdentifiesSpaced(fake: FakeQQServer): void {
  const at = fake.stats.identifies.map((i) => i.at).sort((a, b) => a - b);
  // 50 ms for the clocks of arrival versus send (the same tolerance as the one-process shards test).
  for (let i = 1; i < at.length; i++)
    expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(IDENTIFY_WINDOW_MS - 50);
}

/** The fake's side of "each shard held once": one session per shard, each delivering to one socket. */
function expectOneSessionPerShard(fake: FakeQQServer, shards: number): void {
  expect(fake.stats.identifies.map((i) => i.shard[0]).sort()).toEqual(Array.from({ length: shards }, (_, i) => i));
  const delivering = fake.sessions.filter((s) => s.delivering).map((s) => s.shard[0]);
  expect(delivering.sort()).toEqual(Array.from({ length: shards }, (_, i) => i));
  expect(fake.stats.maxConcurrentPerSession).toBe(1);
}

/**
 * Kills the host holding the most shards; resolves once every one of its shards has a session in a survivor,
 * with the time from the kill to the last of those sessions.
 */
async function killBiggestHolder(
  hosts: HostProcess[],
  held: number[][],
  boundMs: number,
): Promise<{ survivors: HostProcess[]; shards: number[]; takeoverMs: number }> {
  const victimIndex = held.reduce((best, shards, i) => (shards.length > (held[best] as number[]).length ? i : best), 0);
  const victim = hosts[victimIndex] as HostProcess;
  const shards = held[victimIndex] as number[];
  const survivors = hosts.filter((h) => h !== victim);
  const killedAt = Date.now();
  await victim.signal('SIGKILL');
  const takenOver = (): boolean =>
    shards.every((shard) => survivors.some((h) => sessionShards(h, killedAt).has(shard)));
  await untilFleet(survivors, takenOver, boundMs, `shards ${shards.join(', ')} held again`);
  const last = Math.max(
    ...survivors.flatMap((h) => h.records.filter((r) => isSession(r) && r.at > killedAt).map((r) => r.at)),
  );
  return { survivors, shards, takeoverMs: last - killedAt };
}

/** Events spread over every shard reach the survivors, each exactly once. */
async function expectDelivered(fake: FakeQQServer, hosts: HostProcess[], shards: number): Promise<void> {
  const count = shards * 2;
  const sent = await fake.emitEvents(count);
  expect(sent).toHaveLength(count);
  const ns = (): number[] => hosts.flatMap((h) => h.dispatches().map((r) => r.n as number));
  await untilFleet(hosts, () => new Set(ns()).size === count, 15_000, `${count} events`);
  expect(ns().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
}

const TTL_MS = 2_500;
/** Generous: timing targets live in benches (bench/failover.js); this only catches a takeover that never comes. */
const TAKEOVER_BOUND_MS = TTL_MS + IDENTIFY_WINDOW_MS + 15_000;

it('3 processes, 4 shards from /gateway/bot, lease.maxShards 2: each shard held once; kill -9 of a holder → its shards held again', async ({
  annotate,
}) => {
  const { fake, hosts } = await startFleet(3, 4, { ttlMs: TTL_MS, maxShards: 2 });
  await Promise.all(hosts.map((h) => h.until(up, 60_000, 'start() to resolve')));
  await untilFleet(
    hosts,
    () => new Set(hosts.flatMap((h) => [...sessionShards(h)])).size === 4,
    60_000,
    'a session on every shard',
  );
  const held = await expectEachShardHeldOnce(hosts, 4, 2);
  expectOneSessionPerShard(fake, 4);

  const { survivors, takeoverMs } = await killBiggestHolder(hosts, held, TAKEOVER_BOUND_MS);
  await annotate(`kill -9 → last of its shards RESUMED elsewhere: ${takeoverMs} ms (lease ${TTL_MS} ms)`);
  expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
  await expectEachShardHeldOnce(survivors, 4, 2);
  // The survivors RESUMEd the stored sessions: still one IDENTIFY per shard, spaced across the fleet.
  expectOneSessionPerShard(fake, 4);
  expectIdentifiesSpaced(fake);
  await expectDelivered(fake, survivors, 4);
}, 150_000);

it('3 processes without maxShards: the shards are shared whichever process wins each lease; a kill hands them over', async ({
  annotate,
}) => {
  const { fake, hosts } = await startFleet(3, 4, { ttlMs: TTL_MS });
  await Promise.all(hosts.map((h) => h.until(up, 60_000, 'start() to resolve')));
  await untilFleet(
    hosts,
    () => new Set(hosts.flatMap((h) => [...sessionShards(h)])).size === 4,
    60_000,
    'a session on every shard',
  );
  const held = await expectEachShardHeldOnce(hosts, 4);
  expectOneSessionPerShard(fake, 4);

  const { survivors, takeoverMs } = await killBiggestHolder(hosts, held, TAKEOVER_BOUND_MS);
  await annotate(`kill -9 → last of its shards RESUMED elsewhere: ${takeoverMs} ms (lease ${TTL_MS} ms)`);
  await expectEachShardHeldOnce(survivors, 4);
  expectOneSessionPerShard(fake, 4);
  expectIdentifiesSpaced(fake);
  await expectDelivered(fake, survivors, 4);
}, 150_000);

it('default options (lease: true, no maxShards), 2 processes × 2 shards: one runs both, the other is a healthy standby and takes both over after a kill', async ({
  annotate,
}) => {
  const { fake, hosts, config } = await startFleet(1, 2, true);
  const first = hosts[0] as HostProcess;
  await first.until(up, 60_000, 'the first process to be up');
  expect(first.records.find((r) => r.kind === 'up')).toMatchObject({ states: ['ready', 'ready'], ok: true });
  const standby = new HostProcess(config);
  await standby.until(up, 30_000, 'the standby to be up');
  expect(standby.records.find((r) => r.kind === 'up')).toMatchObject({ states: ['standby', 'standby'], ok: true });

  const defaultTtlMs = 10_000;
  const { takeoverMs } = await killBiggestHolder(
    [first, standby],
    [[0, 1], []],
    defaultTtlMs + IDENTIFY_WINDOW_MS + 15_000,
  );
  await annotate(`kill -9 → both shards RESUMED on the standby: ${takeoverMs} ms (default lease ${defaultTtlMs} ms)`);
  expect(await standby.status()).toEqual({ states: ['ready', 'ready'], ok: true });
  expect(standby.records.some((r) => r.kind === 'ready')).toBe(false);
  expectOneSessionPerShard(fake, 2);
  expectIdentifiesSpaced(fake);
  await expectDelivered(fake, [standby], 2);
}, 150_000);
