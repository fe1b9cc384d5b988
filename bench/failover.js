// bench/failover: how long a shard is without a process when its holder dies, and how honest the `redelivered`
// flag is after it. Two host processes (test/fixtures/store-host.js, default options) run one bot against
// FakeQQServer at 200 events/s; the holder is killed with SIGKILL `kills` times, a fresh standby started after
// each kill. Per store (Redis with its default 10 s lease, the file store's lock): kill → the standby's RESUMED,
// percentiles; events lost (must be 0); duplicates, those not flagged (must be 0), and events flagged but never
// delivered before (per takeover; target ≤ one checkpoint batch).
import { DEFAULT_LEASE } from '../dist/src/redis/index.js';
import { DEFAULT_CHECKPOINT } from '../dist/src/store/checkpointer.js';
import { withFleet } from './host-fleet.js';
import { percentile, round } from './stats.js';

function failovers(kind, kills) {
  return withFleet(kind, async (fleet) => {
    const failoverMs = [];
    const overFlagged = [];
    let standby = fleet.start();
    for (let i = 0; i < kills; i++) {
      const victim = fleet.holder;
      const seen = fleet.ledger.delivered.size;
      await fleet.until(
        () => standby.up && fleet.ledger.delivered.size >= seen + 300,
        20_000,
        'events before the kill',
      );
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
      console.error(
        `failover ${kind} ${i + 1}/${kills}: ${failoverMs.at(-1)} ms, flagged never delivered ${overFlagged.at(-1)}`,
      );
    }
    return {
      kills,
      p50Ms: percentile(failoverMs, 50),
      p90Ms: percentile(failoverMs, 90),
      maxMs: Math.max(...failoverMs),
      meanFailoverS: round(failoverMs.reduce((a, b) => a + b, 0) / failoverMs.length / 1000, 2),
      flaggedNeverDeliveredP50: percentile(overFlagged, 50),
      flaggedNeverDeliveredMax: Math.max(...overFlagged),
    };
  });
}

export async function run({ kills = 10 } = {}) {
  return {
    name: 'failover',
    leaseTtlMs: DEFAULT_LEASE.ttlMs,
    target:
      `Redis: ≤ lease + 1 s = ${DEFAULT_LEASE.ttlMs + 1_000} ms; ` +
      `flagged but never delivered ≤ one batch (${DEFAULT_CHECKPOINT.batchSize}) per takeover; 0 lost, 0 unflagged duplicates`,
    redis: await failovers('redis', kills),
    file: await failovers('file', kills),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
