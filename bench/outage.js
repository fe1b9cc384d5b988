// bench/outage: how soon a session is back once the platform answers again, and what a long outage costs. A
// connector with default options holds a session against FakeQQServer; then the whole platform is unreachable for
// 30 s or 90 s (`fake.outage(ms)`: every connection reset, token, REST and gateway alike), events go on meanwhile.
// Reported per outage length, over several connectors: time from the platform's return to RESUMED (median, max),
// attempts and probes made during the outage, `/gateway/bot` calls, IDENTIFYs and events lost. Each sample runs
// in its own thread (the connector's diagnostics channels count its probes, and channels are per thread); the
// samples of one length run side by side. The baseline, in the same run: the same outages with probes off
// (`restart.probeIntervalMs: 0`), the backoff alone. QQBOT_BENCH_LONG_OUTAGE=1 adds a 5-minute outage.
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CHANNEL_NAMES, Intents, QQBotConnector } from '../dist/src/index.js';
import { FakeQQServer } from '../dist/src/testing/index.js';
import { median, round } from './stats.js';

const EVENTS_BEFORE = 10;
const EVENTS_DURING = 20;

/** One connector through one outage of `outageMs`, on this thread; `restart` is `{}` (the defaults) or the baseline's. */
async function oneRun(outageMs, restart) {
  const fake = await FakeQQServer.start();
  const bot = new QQBotConnector({
    appId: 'test-app',
    secret: 'test-secret',
    intents: Intents.GROUP_AND_C2C_EVENT,
    endpoints: fake.endpoints,
    restart,
  });
  const seen = new Map();
  bot.on('dispatch', (e) => seen.set(e.seq, (seen.get(e.seq) ?? 0) + 1));
  const restarts = [];
  bot.on('restart', (e) => restarts.push(e));
  // Handled errors (each failed attempt's, an escalation's QQBOT_RESTART_BUDGET): counted, not printed as warnings.
  let errors = 0;
  bot.on('error', () => (errors += 1));
  const probes = { answered: 0, unanswered: 0 };
  const onProbe = (m) => (m.answered ? (probes.answered += 1) : (probes.unanswered += 1));
  diagnosticsChannel.subscribe(CHANNEL_NAMES.probe, onProbe);
  await bot.start();
  await fake.emitEvents(EVENTS_BEFORE);
  await fake.waitFor(() => seen.size >= EVENTS_BEFORE, 10_000);

  const before = {
    gatewayBotCalls: fake.stats.gatewayBotCalls,
    identifies: fake.stats.identifies.length,
    tokenCalls: fake.stats.tokenCalls,
  };
  const resumed = new Promise((resolve) => bot.once('resumed', () => resolve(performance.now())));
  const start = performance.now();
  fake.outage(outageMs);
  await fake.emitEvents(EVENTS_DURING);
  const back = start + outageMs;
  const backMs = (await resumed) - back;
  await fake.waitFor(() => seen.size >= EVENTS_BEFORE + EVENTS_DURING, 10_000).catch(() => undefined);
  const lost = EVENTS_BEFORE + EVENTS_DURING - seen.size;
  const duplicated = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
  const result = {
    backMs,
    attempts: restarts.length,
    escalations: restarts.filter((r) => r.escalated).length,
    errors,
    probes: probes.answered + probes.unanswered,
    probesAnswered: probes.answered,
    gatewayBotCalls: fake.stats.gatewayBotCalls - before.gatewayBotCalls,
    tokenCalls: fake.stats.tokenCalls - before.tokenCalls,
    identifies: fake.stats.identifies.length - before.identifies,
    resetConnections: fake.stats.resetConnections,
    lost,
    duplicated,
  };
  diagnosticsChannel.unsubscribe(CHANNEL_NAMES.probe, onProbe);
  await bot.close();
  await fake.close();
  return result;
}

function sampleInThread(outageMs, restart) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { outageMs, restart } });
  return new Promise((resolve, reject) => {
    worker.once('message', (result) => {
      console.error(
        `outage ${outageMs / 1000} s${restart.probeIntervalMs === 0 ? ' (probes off)' : ''}: back after ${round(result.backMs)} ms`,
      );
      resolve(result);
    });
    worker.once('error', reject);
  });
}

async function outageOf(outageMs, samples, restart) {
  const runs = await Promise.all(Array.from({ length: samples }, () => sampleInThread(outageMs, restart)));
  const sum = (key) => runs.reduce((s, r) => s + r[key], 0);
  const backs = runs.map((r) => r.backMs);
  return {
    outageS: outageMs / 1000,
    samples,
    backMedianMs: round(median(backs)),
    backMaxMs: round(Math.max(...backs)),
    attemptsMedian: median(runs.map((r) => r.attempts)),
    attemptsMax: Math.max(...runs.map((r) => r.attempts)),
    probesMedian: median(runs.map((r) => r.probes)),
    gatewayBotCallsMax: Math.max(...runs.map((r) => r.gatewayBotCalls)),
    identifies: sum('identifies'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    perRun: runs.map((r) => ({ ...r, backMs: round(r.backMs) })),
  };
}

/** Outage lengths in seconds; the 5-minute one only with QQBOT_BENCH_LONG_OUTAGE=1 (it makes `npm run bench` long). */
export const OUTAGES_S = process.env.QQBOT_BENCH_LONG_OUTAGE === '1' ? [30, 90, 300] : [30, 90];

const PROBES_OFF = { probeIntervalMs: 0 };

/** Every length, and the baseline, at once: the bench takes as long as the longest outage, not their sum. */
export async function run({ outagesS = OUTAGES_S, samples = 5, baseline = true } = {}) {
  const [outages, probesOff] = await Promise.all([
    Promise.all(outagesS.map((s) => outageOf(s * 1000, samples, {}))),
    baseline ? Promise.all(outagesS.map((s) => outageOf(s * 1000, samples, PROBES_OFF))) : [],
  ]);
  return {
    name: 'outage',
    samplesPerOutage: samples,
    outages,
    baselineProbesOff: probesOff.map(({ perRun: _perRun, ...summary }) => summary),
  };
}

if (!isMainThread && workerData?.outageMs !== undefined) {
  parentPort.postMessage(await oneRun(workerData.outageMs, workerData.restart));
} else if (isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
