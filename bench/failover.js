// bench/failover: how long a shard is without a process when its holder dies, and how honest the `redelivered`
// flag is after it. Two host processes (test/fixtures/store-host.js, default options) run one bot against
// FakeQQServer at 200 events/s; the holder is killed with SIGKILL `kills` times, a fresh standby started after
// each kill. Per store (Redis with its default 10 s lease, the file store's lock): kill → the standby's RESUMED,
// percentiles; events lost (must be 0); duplicates, those not flagged (must be 0), and events flagged but never
// delivered before (per takeover; target ≤ one checkpoint batch).
import { DEFAULT_LEASE } from '../dist/src/redis/index.js';
import { DEFAULT_CHECKPOINT } from '../dist/src/store/checkpointer.js';
import { FakeQQServer } from '../dist/src/testing/index.js';
import { benchStore, HostFleet } from './host-fleet.js';
import { percentile, round } from './stats.js';

async function failovers(kind, kills) {
  const fake = await FakeQQServer.start();
  const { store, cleanup } = await benchStore(kind);
  const fleet = new HostFleet({ endpoints: fake.endpoints, store });
  const failoverMs = [];
  const overFlagged = [];
  const stop = new AbortController();
  let stream;
  try {
    fleet.start();
    await fleet.until(() => fleet.holder !== undefined, 20_000, 'the first session');
    let standby = fleet.start();
    stream = fake.emitEvents(1_000_000, { ratePerSec: 200, signal: stop.signal });
    for (let i = 0; i < kills; i++) {
      const victim = fleet.holder;
      const seen = fleet.ledger.delivered.size;
      await fleet.until(() => standby.up && fleet.ledger.delivered.size >= seen + 300, 20_000, 'events before the kill');
      const killedAt = Date.now();
      await fleet.stop(victim.host, 'SIGKILL');
      const before = fleet.ledger.snapshot();
      await fleet.until(() => fleet.holder !== victim, DEFAULT_LEASE.ttlMs + 20_000, 'the standby to take over');
      failoverMs.push(fleet.holder.record.at - killedAt);
      // The replay is over once live events flow again: count the flags of this takeover then.
      const after = fleet.ledger.delivered.size;
      await fleet.until(() => fleet.ledger.delivered.size >= after + 300, 20_000, 'live events after the takeover');
      overFlagged.push(fleet.ledger.overFlagged - before.overFlagged);
      standby = fleet.start();
      console.error(`failover ${kind} ${i + 1}/${kills}: ${failoverMs.at(-1)} ms, flagged never delivered ${overFlagged.at(-1)}`);
    }
    stop.abort();
    const sent = await stream;
    await fleet.until(() => sent.every((seq) => fleet.ledger.delivered.has(seq)), 20_000, 'every event');
    const { ledger } = fleet;
    return {
      store: kind,
      kills,
      p50Ms: percentile(failoverMs, 50),
      p90Ms: percentile(failoverMs, 90),
      maxMs: Math.max(...failoverMs),
      eventsSent: sent.length,
      lost: sent.filter((seq) => !ledger.delivered.has(seq)).length,
      duplicates: ledger.duplicates,
      unflaggedDuplicates: ledger.unflaggedDuplicates,
      flaggedNeverDeliveredP50: percentile(overFlagged, 50),
      flaggedNeverDeliveredMax: Math.max(...overFlagged),
      identifies: fake.stats.identifies.length,
      maxConcurrentPerSession: fake.stats.maxConcurrentPerSession,
      meanFailoverS: round(failoverMs.reduce((a, b) => a + b, 0) / failoverMs.length / 1000, 2),
    };
  } finally {
    stop.abort();
    await fleet.close();
    await fake.close();
    await cleanup();
  }
}

export async function run({ kills = 10 } = {}) {
  return {
    name: 'failover',
    leaseTtlMs: DEFAULT_LEASE.ttlMs,
    target: `Redis: ≤ lease + 1 s = ${DEFAULT_LEASE.ttlMs + 1_000} ms; flagged but never delivered ≤ one batch (${DEFAULT_CHECKPOINT.batchSize}) per takeover; 0 lost, 0 unflagged duplicates`,
    redis: await failovers('redis', kills),
    file: await failovers('file', kills),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
