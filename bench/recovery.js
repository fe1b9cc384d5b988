// bench/recovery: kill the worker (terminateWorker) ≥ 100 times while events stream, and measure
// kill → RESUMED latency plus lost and duplicated events. Several runs; medians reported.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { QQBotConnector, Intents } from '../dist/src/index.js';
import { startFakeThread } from './fake-client.js';
import { lostAndDuplicated, median, percentile, round } from './stats.js';

async function oneRun({ kills, ratePerSec, spacingMs }) {
  const fake = await startFakeThread({ heartbeatIntervalMs: 30_000 });
  const bot = new QQBotConnector({
    appId: 'test-app',
    secret: 'test-secret',
    intents: Intents.GROUP_AND_C2C_EVENT,
    endpoints: fake.endpoints,
  });
  const seen = new Map();
  let received = 0;
  bot.on('dispatch', (e) => {
    received += 1;
    seen.set(e.data.n, (seen.get(e.data.n) ?? 0) + 1);
  });
  await bot.start();
  const total = Math.ceil(((kills * (spacingMs + 50)) / 1000) * ratePerSec) + 500;
  const streaming = fake.call('emit', { count: total, options: { ratePerSec } });
  const latencies = [];
  /** Kill → the old thread gone ('restart'), and from there → RESUMED: where the time goes. */
  const killToRestart = [];
  const restartToResumed = [];
  const at = (name) => new Promise((resolve) => bot.once(name, () => resolve(performance.now())));
  for (let i = 0; i < kills; i++) {
    await new Promise((resolve) => setTimeout(resolve, spacingMs));
    const restarted = at('restart');
    const resumed = at('resumed');
    const t0 = performance.now();
    await bot.terminateWorker();
    const [t1, t2] = await Promise.all([restarted, resumed]);
    latencies.push(t2 - t0);
    killToRestart.push(t1 - t0);
    restartToResumed.push(t2 - t1);
  }
  await streaming;
  const deadline = Date.now() + 10_000;
  while (received < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const { lost, duplicated } = lostAndDuplicated(seen, total);
  const stats = await fake.call('stats');
  await bot.close();
  await fake.close();
  return {
    latencies,
    killToRestart,
    restartToResumed,
    lost,
    duplicated,
    events: total,
    identifies: stats.identifies.length,
    resumes: stats.resumes.length,
  };
}

/** How many kills a bench run makes; README and docs/benchmarks.md quote these (test/kill-counts.test.ts). */
export const KILL_PLAN = { runs: 3, killsPerRun: 100, backToBackKills: 50 };

/**
 * `spacingMs` between kills: 200 ms lets the pool boot the replacement spare (~90 ms of module loading), so each
 * kill is recovered on a warm thread, as a real crash would be. `backToBack` also measures kills every 20 ms,
 * faster than a spare can boot, to show the cost of a cold thread.
 */
export async function run({
  runs = KILL_PLAN.runs,
  kills = KILL_PLAN.killsPerRun,
  ratePerSec = 2_000,
  spacingMs = 200,
  backToBack = true,
} = {}) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await oneRun({ kills, ratePerSec, spacingMs }));
  const cold = backToBack ? await oneRun({ kills: KILL_PLAN.backToBackKills, ratePerSec, spacingMs: 20 }) : undefined;
  const medians = results.map((r) => median(r.latencies));
  const p99s = results.map((r) => percentile(r.latencies, 99));
  return {
    name: 'recovery',
    runs,
    killsPerRun: kills,
    medianMs: round(median(medians)),
    p99Ms: round(median(p99s)),
    spacingMs,
    perRun: results.map((r, i) => ({
      medianMs: round(medians[i]),
      p99Ms: round(p99s[i]),
      killToRestartMedianMs: round(median(r.killToRestart)),
      restartToResumedMedianMs: round(median(r.restartToResumed)),
      lost: r.lost,
      duplicated: r.duplicated,
      events: r.events,
      identifies: r.identifies,
      resumes: r.resumes,
    })),
    lost: results.reduce((sum, r) => sum + r.lost, 0) + (cold?.lost ?? 0),
    duplicated: results.reduce((sum, r) => sum + r.duplicated, 0) + (cold?.duplicated ?? 0),
    ...(cold === undefined
      ? {}
      : {
          backToBack: {
            kills: KILL_PLAN.backToBackKills,
            spacingMs: 20,
            medianMs: round(median(cold.latencies)),
            p99Ms: round(percentile(cold.latencies, 99)),
            lost: cold.lost,
            duplicated: cold.duplicated,
          },
        }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
