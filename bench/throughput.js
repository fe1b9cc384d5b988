// bench/throughput: events per second the host receives, and what each event costs the host's main thread, on
// four paths reading the same events: raw postMessage from a thread, one message per event (what naive thread
// isolation costs), a plain in-process `ws` client on the host thread reading the same burst gateway (what a
// user would otherwise write), and the connector with default options (burst gateway in its own thread →
// WebSocket → worker thread → its link → host), once with a listener that only counts and once with one that
// reads every `data` (parsed on first read). Host-thread cost per event, two ways: the main thread's event-loop
// active time (performance.eventLoopUtilization: wall time, so it grows when the thread waits for a core) and
// its CPU time (Linux: /proc schedstat of the main thread; null elsewhere). Interleaved runs; medians reported.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { QQBotConnector, Intents } from '../dist/src/index.js';
import { median, round } from './stats.js';
import { GROUP_MESSAGE_SAMPLE as SAMPLE } from './sample.js';

/** CPU time of this (the main) thread in ns, or null where /proc does not tell it. */
function mainThreadCpuNs() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]);
  } catch {
    return null;
  }
}

/** Calls `start`, waits for `done` (all `count` events arrived), and measures the rate and the host-thread time per event. */
async function measure(count, start, done) {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuNs();
  const t0 = performance.now();
  start();
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = mainThreadCpuNs();
  const { active } = performance.eventLoopUtilization(elu0);
  return {
    eventsPerSec: count / seconds,
    hostUsPerEvent: (active * 1000) / count,
    hostCpuUsPerEvent: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / 1000 / count,
  };
}

function counter(count) {
  let received = 0;
  let resolve;
  const done = new Promise((r) => (resolve = r));
  return { done, tick: () => ++received === count && resolve() };
}

async function raw(count) {
  const worker = new Worker(new URL('./raw-post-thread.js', import.meta.url));
  await once(worker, 'online');
  const { done, tick } = counter(count);
  worker.on('message', tick);
  const result = await measure(count, () => worker.postMessage({ count, sample: SAMPLE }), done);
  await worker.terminate();
  return result;
}

async function startGateway(count) {
  const gateway = new Worker(new URL('./burst-gateway.js', import.meta.url), { workerData: { count, sample: SAMPLE } });
  const [{ endpoints }] = await once(gateway, 'message');
  return {
    endpoints,
    go: () => gateway.postMessage('go'),
    async close() {
      gateway.postMessage('close');
      await once(gateway, 'exit');
    },
  };
}

/** What a user would write without the connector: one `ws` client on the host thread, parsing every frame. */
async function plainWs(count) {
  const gateway = await startGateway(count);
  const ws = new WebSocket(`${gateway.endpoints.api.replace('http', 'ws')}/websocket`);
  const { done, tick } = counter(count);
  let ready;
  const isReady = new Promise((resolve) => (ready = resolve));
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.op === 10)
      ws.send(
        JSON.stringify({
          op: 2,
          d: { token: 'QQBot bench-token', intents: Intents.GROUP_AND_C2C_EVENT, shard: [0, 1] },
        }),
      );
    else if (frame.t === 'READY') ready();
    else if (frame.op === 0) tick();
  });
  await isReady;
  const result = await measure(count, gateway.go, done);
  ws.close();
  await gateway.close();
  return result;
}

/** `readData`: the listener reads every event's `data`, so the host parses each one (what most handlers do). */
async function connectorPath(count, readData) {
  const gateway = await startGateway(count);
  const bot = new QQBotConnector({
    appId: 'bench-app',
    secret: 'bench-secret',
    intents: Intents.GROUP_AND_C2C_EVENT,
    endpoints: gateway.endpoints,
  });
  const { done, tick } = counter(count);
  // The sum is kept so the reads cannot be optimised away.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  let sum = 0;
  bot.on('dispatch', readData ? (e) => ((sum += e.data.n), tick()) : tick);
  await bot.start();
  const result = await measure(count, gateway.go, done);
  await bot.close();
  await gateway.close();
  return result;
}

const PATHS = {
  raw,
  plainWs,
  connector: (count) => connectorPath(count, false),
  connectorData: (count) => connectorPath(count, true),
};

export async function run({ runs = 5, count = 100_000 } = {}) {
  const results = Object.fromEntries(Object.keys(PATHS).map((name) => [name, []]));
  // One untimed round of each first: JIT warm-up of this thread's receive paths.
  for (const path of Object.values(PATHS)) await path(count);
  for (let i = 0; i < runs; i++) {
    // Interleaved, so every path sees the same machine load.
    for (const [name, path] of Object.entries(PATHS)) results[name].push(await path(count));
  }
  const med = (rs, key) => (rs.some((r) => r[key] === null) ? null : round(median(rs.map((r) => r[key])), 2));
  const summary = (rs) => ({
    eventsPerSec: Math.round(median(rs.map((r) => r.eventsPerSec))),
    hostUsPerEvent: med(rs, 'hostUsPerEvent'),
    hostCpuUsPerEvent: med(rs, 'hostCpuUsPerEvent'),
  });
  const [rawS, wsS, ours, oursData] = [
    summary(results.raw),
    summary(results.plainWs),
    summary(results.connector),
    summary(results.connectorData),
  ];
  const ratio = (a, b) => (a === null || b === null ? null : round(a / b, 3));
  return {
    name: 'throughput',
    runs,
    eventsPerRun: count,
    raw: rawS,
    plainWs: wsS,
    connector: ours,
    connectorReadingData: oursData,
    ratioToRaw: round(ours.eventsPerSec / rawS.eventsPerSec, 3),
    ratioToPlainWs: round(ours.eventsPerSec / wsS.eventsPerSec, 3),
    /** Host-thread time per event, connector ÷ plain ws client: ≤ 1 means isolation costs the host nothing extra. */
    hostCostToPlainWs: ratio(ours.hostUsPerEvent, wsS.hostUsPerEvent),
    hostCpuToPlainWs: ratio(ours.hostCpuUsPerEvent, wsS.hostCpuUsPerEvent),
    /** The same with a listener that reads every `data` (the plain client parses every frame in any case). */
    readingDataHostCostToPlainWs: ratio(oursData.hostUsPerEvent, wsS.hostUsPerEvent),
    readingDataHostCpuToPlainWs: ratio(oursData.hostCpuUsPerEvent, wsS.hostCpuUsPerEvent),
    /** Per run, events/s and [ELU µs, CPU µs] per event on the host thread. */
    perRun: results.connector.map((r, i) => {
      const pair = (x) => [
        round(x.hostUsPerEvent, 2),
        x.hostCpuUsPerEvent === null ? null : round(x.hostCpuUsPerEvent, 2),
      ];
      const d = results.connectorData[i];
      return {
        connector: [round(r.eventsPerSec, 0), ...pair(r)],
        connectorReadingData: [round(d.eventsPerSec, 0), ...pair(d)],
        plainWs: [round(results.plainWs[i].eventsPerSec, 0), ...pair(results.plainWs[i])],
        raw: [round(results.raw[i].eventsPerSec, 0), ...pair(results.raw[i])],
      };
    }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
