import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeCallbackSender } from '../../src/testing/fake-callback.js';
import { HostProcess, killHosts, untilFleet } from '../store/host-process.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix } from '../store/redis-helpers.js';
import { RoundRobinProxy } from './round-robin-proxy.js';

// Real child processes (dist/: `npm run build` first), a real Redis, a real node:http proxy: three replicas of one
// webhook bot, default options but port 0, sharing one RedisSessionStore (default options).

const REPLICA = fileURLToPath(new URL('../fixtures/webhook-replica.js', import.meta.url));
const CREDENTIALS = { appId: '102000777', secret: 'fleet-secret-0123456789' };
/** Each event is POSTed this many times at once, each copy redelivered until answered 200, as the platform does. */
const COPIES = 3;

let prefix = '';
let proxy: RoundRobinProxy | undefined;
let sender: FakeCallbackSender | undefined;

afterEach(async () => {
  sender?.close();
  await proxy?.close();
  await killHosts();
  await deleteKeysUnder(prefix);
  sender = undefined;
  proxy = undefined;
});

async function fleet(
  count: number,
): Promise<{ replicas: HostProcess[]; proxy: RoundRobinProxy; sender: FakeCallbackSender }> {
  prefix = uniquePrefix();
  const replicas = Array.from(
    { length: count },
    () => new HostProcess({ ...CREDENTIALS, store: { url: REDIS_URL, prefix } }, { script: REPLICA }),
  );
  await Promise.all(
    replicas.map((r) => r.until((records) => records.some((x) => x.kind === 'up'), 30_000, 'the replica listening')),
  );
  const ports = replicas.map((r) => r.records.find((x) => x.kind === 'up')!.port!);
  proxy = await RoundRobinProxy.start(ports);
  // The platform's behaviour: a copy not answered 200 (a 502 from the proxy, a 503, no answer) is sent again.
  sender = new FakeCallbackSender(
    { url: proxy.url.href, tries: 6, timeoutMs: 15_000, retryDelayMs: 100, concurrency: 48 },
    CREDENTIALS,
    () => undefined,
  );
  return { replicas, proxy, sender };
}

/** Posts events `from`…`to - 1`, each as {@link COPIES} concurrent copies, `lanes` events at a time. */
async function postEvents(
  poster: FakeCallbackSender,
  ids: string[],
  lanes: number,
  onEvent?: (done: number) => void,
): Promise<boolean[]> {
  const acked: boolean[] = [];
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const event = {
        id,
        type: 'C2C_MESSAGE_CREATE',
        data: { id: `msg-${id}`, content: 'hi', author: { user_openid: 'U1' }, timestamp: new Date().toISOString() },
      };
      const copies = await Promise.all(Array.from({ length: COPIES }, () => poster.deliver(event)));
      acked.push(copies.every(Boolean));
      onEvent?.(++done);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return acked;
}

function deliveredIds(replicas: readonly HostProcess[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of replicas) for (const d of r.dispatches()) counts.set(d.id!, (counts.get(d.id!) ?? 0) + 1);
  return counts;
}

describe('a webhook fleet: 3 replicas behind a round-robin proxy, one RedisSessionStore', () => {
  it('delivers each event exactly once across the fleet when every event is POSTed 3 times; every copy is acknowledged', async () => {
    const { replicas, sender: poster } = await fleet(3);
    const ids = Array.from({ length: 300 }, (_, i) => `fleet-${i}`);
    const acked = await postEvents(poster, ids, 12);
    expect(acked.every(Boolean)).toBe(true);
    await untilFleet(replicas, () => deliveredIds(replicas).size === ids.length, 10_000, 'every id delivered');
    const counts = deliveredIds(replicas);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    // Copies really were spread: every replica delivered some, and the others acknowledged theirs without delivering.
    for (const r of replicas) expect(r.dispatches().length).toBeGreaterThan(0);
    expect(poster.stats.gaveUp).toBe(0);
    expect(poster.stats.posts).toBeGreaterThanOrEqual(ids.length * COPIES);
    expect(replicas.flatMap((r) => r.records.filter((x) => x.kind === 'error' || x.kind === 'fatal'))).toEqual([]);
  }, 120_000);

  it('loses nothing and duplicates nothing among the survivors when one replica is killed (kill -9) mid-stream', async () => {
    const { replicas, sender: poster, proxy: lb } = await fleet(3);
    const ids = Array.from({ length: 400 }, (_, i) => `kill-${i}`);
    const victim = replicas[1]!;
    let killed: Promise<void> | undefined;
    const acked = await postEvents(poster, ids, 12, (done) => {
      if (done === 120) killed = victim.signal('SIGKILL');
    });
    await killed;
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(acked.every(Boolean)).toBe(true);
    const survivors = replicas.filter((r) => r !== victim);
    const all = (): Map<string, number> => deliveredIds(replicas);
    await untilFleet(survivors, () => ids.every((id) => all().has(id)), 15_000, 'every id delivered');
    const bySurvivors = deliveredIds(survivors);
    // 0 lost: each id was delivered somewhere (the victim's own deliveries count until it died).
    expect(ids.filter((id) => !all().has(id))).toEqual([]);
    // 0 duplicates among the survivors: what the victim held was redelivered and taken by one of them, once.
    expect([...bySurvivors].filter(([, n]) => n > 1)).toEqual([]);
    expect(poster.stats.gaveUp).toBe(0);
    // The proxy did see the victim go (requests it held were answered 502 and redelivered).
    expect(lb.failed).toBeGreaterThan(0);
  }, 120_000);
});
