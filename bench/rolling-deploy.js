// bench/rolling-deploy: a rolling deploy, as Kubernetes or Docker runs one, repeated. The next process starts
// while the current one runs (it waits as a standby), then the current one gets SIGTERM (the fixture calls
// close()). Default options, per store (Redis, file), 200 events/s from FakeQQServer. Reported: SIGTERM → the
// successor's RESUMED (target ≤ 1 s), IDENTIFYs in all (target 1), events lost (0), duplicates and those not
// flagged `redelivered` (0), flagged events never delivered before.
import { withFleet } from './host-fleet.js';
import { percentile } from './stats.js';

function deploys(kind, count) {
  return withFleet(kind, async (fleet) => {
    const handoverMs = [];
    for (let i = 0; i < count; i++) {
      const current = fleet.holder;
      const next = fleet.start();
      const seen = fleet.ledger.delivered.size;
      await fleet.until(
        () => next.up && fleet.ledger.delivered.size >= seen + 200,
        20_000,
        'the next process up as a standby',
      );
      const sigtermAt = Date.now();
      await fleet.stop(current.host, 'SIGTERM');
      await fleet.until(() => fleet.holder !== current, 20_000, 'the successor to take over');
      handoverMs.push(fleet.holder.record.at - sigtermAt);
      console.error(`deploy ${kind} ${i + 1}/${count}: SIGTERM → ${fleet.holder.record.kind} ${handoverMs.at(-1)} ms`);
    }
    return {
      deploys: count,
      p50Ms: percentile(handoverMs, 50),
      p90Ms: percentile(handoverMs, 90),
      maxMs: Math.max(...handoverMs),
      flaggedNeverDelivered: fleet.ledger.overFlagged,
    };
  });
}

export async function run({ count = 10 } = {}) {
  return {
    name: 'rolling-deploy',
    target: 'SIGTERM → RESUMED ≤ 1 000 ms; 1 IDENTIFY; 0 lost; 0 unflagged duplicates',
    redis: await deploys('redis', count),
    file: await deploys('file', count),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
