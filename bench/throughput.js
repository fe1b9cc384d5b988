// bench/throughput: events per second the host receives through the connector (a burst gateway in its own
// thread → WebSocket → worker thread → events port → host), against the raw baseline measured in the same run:
// one thread posting the same events to the main thread with postMessage. Several runs; medians reported.
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QQBotConnector, Intents } from '../dist/src/index.js';
import { median, round } from './stats.js';
import { GROUP_MESSAGE_SAMPLE as SAMPLE } from './sample.js';


async function raw(count) {
  const worker = new Worker(new URL('./raw-post-thread.js', import.meta.url));
  await once(worker, 'online');
  let received = 0;
  const done = new Promise((resolve) => {
    worker.on('message', () => {
      if (++received === count) resolve();
    });
  });
  const t0 = performance.now();
  worker.postMessage({ count, sample: SAMPLE });
  await done;
  const rate = count / ((performance.now() - t0) / 1000);
  await worker.terminate();
  return rate;
}

async function connector(count) {
  const gateway = new Worker(new URL('./burst-gateway.js', import.meta.url), { workerData: { count, sample: SAMPLE } });
  const [{ endpoints }] = await once(gateway, 'message');
  const bot = new QQBotConnector({ appId: 'bench-app', secret: 'bench-secret', intents: Intents.GROUP_AND_C2C_EVENT, endpoints });
  let received = 0;
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });
  bot.on('dispatch', () => {
    if (++received === count) resolveDone();
  });
  await bot.start();
  const t0 = performance.now();
  gateway.postMessage('go');
  await done;
  const rate = count / ((performance.now() - t0) / 1000);
  await bot.close();
  gateway.postMessage('close');
  await once(gateway, 'exit');
  return rate;
}

export async function run({ runs = 5, count = 100_000 } = {}) {
  const baseline = [];
  const ours = [];
  // One untimed round of each first: JIT warm-up of this thread's receive path.
  await raw(count);
  await connector(count);
  for (let i = 0; i < runs; i++) {
    // Interleaved, so both see the same machine load.
    baseline.push(await raw(count));
    ours.push(await connector(count));
  }
  const baselineEventsPerSec = median(baseline);
  const medianEventsPerSec = median(ours);
  return {
    name: 'throughput',
    runs,
    eventsPerRun: count,
    baselineEventsPerSec: Math.round(baselineEventsPerSec),
    medianEventsPerSec: Math.round(medianEventsPerSec),
    ratio: round(medianEventsPerSec / baselineEventsPerSec, 3),
    perRun: ours.map((r, i) => ({ eventsPerSec: Math.round(r), baselineEventsPerSec: Math.round(baseline[i]) })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
