// npm run soak (not in CI, several minutes): default options through three faults (kills, an outage, a stale-session loop), one after
// the other, on one connector and one event stream:
//   1. 1 000 terminateWorker() kills while events stream;
//   2. a 3-minute outage: the gateway refuses every connection and GET /gateway/bot answers 500;
//   3. a stale-session loop: every RESUME gets RESUMED, then close 4009 at once.
// Prints lost, duplicated and fatal counts (all must be 0) and recovery percentiles. Needs `npm run build`.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { QQBotConnector, Intents } from '../dist/src/index.js';
import { startFakeThread } from './fake-client.js';
import { lostAndDuplicated, median, percentile, round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '1000' },
    'outage-s': { type: 'string', default: '180' },
    /** Between a RESUMED and the next kill: lets the pool boot the replacement spare, as bench/recovery does. */
    'spacing-ms': { type: 'string', default: '200' },
  },
});
const KILLS = Number(args.kills);
const OUTAGE_MS = Number(args['outage-s']) * 1000;
const SPACING_MS = Number(args['spacing-ms']);
/** Events per second during the kills and the outage (the outage's events wait in the fake's replay log). */
const RATE = 1_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (text) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);
const percentiles = (values) => ({
  n: values.length,
  medianMs: round(median(values)),
  p99Ms: round(percentile(values, 99)),
  maxMs: round(Math.max(...values)),
});

/** Resolves with the time of the next `name` event. */
const next = (bot, name) => new Promise((resolve) => bot.once(name, () => resolve(performance.now())));

// The outage's events (RATE × 180 s) must stay in the replay log, as they would on the platform's side.
const fake = await startFakeThread({ replayLimit: 2_000_000 });
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
let fatal = 0;
const errors = {};
bot.on('fatal', () => (fatal += 1));
bot.on('error', (e) => (errors[e.code] = (errors[e.code] ?? 0) + 1));
let restarts = 0;
bot.on('restart', () => (restarts += 1));

await bot.start();
let dispatched = 0;
const stream = () =>
  fake.call('emit', { count: 100_000_000, options: { ratePerSec: RATE } }).then((n) => (dispatched += n));

// 1. Kills during a stream.
log(`phase 1: ${KILLS} kills, ${SPACING_MS} ms after each RESUMED, ${RATE} events/s`);
let streaming = stream();
const killLatencies = [];
const phase1Started = performance.now();
for (let i = 0; i < KILLS; i++) {
  await sleep(SPACING_MS);
  const resumed = next(bot, 'resumed');
  const t0 = performance.now();
  await bot.terminateWorker();
  killLatencies.push((await resumed) - t0);
  if ((i + 1) % 100 === 0) log(`  ${i + 1} kills, median so far ${round(median(killLatencies))} ms`);
}
const phase1Seconds = round((performance.now() - phase1Started) / 1000);

// 2. Outage: refused connections and a failing /gateway/bot, while events keep coming.
log(`phase 2: ${OUTAGE_MS / 1000} s outage`);
await fake.call('fault', { method: 'failGatewayBot', args: [1_000_000] });
await fake.call('fault', { method: 'refuseConnections', args: [OUTAGE_MS] });
const outageResumed = next(bot, 'resumed');
await fake.call('fault', { method: 'dropConnections', args: [] });
await sleep(OUTAGE_MS);
await fake.call('fault', { method: 'failGatewayBot', args: [0] });
const outageOver = performance.now();
const outageRecoveryMs = (await outageResumed) - outageOver;
await fake.call('stopEmit');
await streaming;

// 3. Stale-session loop: every RESUMED is closed with 4009 at once; the connector must back off and IDENTIFY.
log('phase 3: stale-session loop');
await waitDelivered(dispatched);
const statsBefore = await fake.call('stats');
await fake.call('fault', { method: 'closeAfterResumed', args: [1_000_000, 4009] });
const identified = next(bot, 'ready');
const loopStarted = performance.now();
await fake.call('fault', { method: 'closeConnections', args: [4009] });
const staleRecoveryMs = (await identified) - loopStarted;
await fake.call('fault', { method: 'closeAfterResumed', args: [0] });
const statsAfter = await fake.call('stats');

// The new session delivers too.
streaming = stream();
await sleep(2_000);
await fake.call('stopEmit');
await streaming;
await waitDelivered(dispatched);

const { lost, duplicated } = lostAndDuplicated(seen, dispatched);
const status = bot.status()[0];
await bot.close();
await fake.close();

console.log(
  JSON.stringify(
    {
      node: process.version,
      events: dispatched,
      received,
      lost,
      duplicated,
      fatal,
      kills: { ...percentiles(killLatencies), seconds: phase1Seconds },
      outage: { seconds: OUTAGE_MS / 1000, recoveryAfterEndMs: round(outageRecoveryMs) },
      staleSessionLoop: {
        resumesUntilIdentify: statsAfter.resumes.length - statsBefore.resumes.length,
        identifyAfterMs: round(staleRecoveryMs),
      },
      restarts,
      errors,
      finalState: status?.state,
    },
    null,
    2,
  ),
);

async function waitDelivered(count) {
  const deadline = Date.now() + 60_000;
  while (seen.size < count && Date.now() < deadline) await sleep(20);
}
