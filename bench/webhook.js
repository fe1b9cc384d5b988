// bench/webhook: verified events per second through the webhook transport, against a bare node:http server
// that only reads the body, in the same run. The load generator runs in its own thread and signs every request
// before the clock starts; every server gets the same requests with the same keep-alive concurrency.
// - handler: `bot.webhookHandler()` on a node:http server on the main thread: checks, Ed25519 verify (on
//   libuv's pool), dedupe, 'dispatch', then the 200.
// - transport: `transport: { kind: 'webhook' }` with default options: the listener in a worker thread checks
//   and verifies (on libuv's pool), hands the event to the host (dedupe, 'dispatch'), which acknowledges it
//   before the 200 goes out.
// Each reports events/s (median of `runs`), its ratio to the bare server's, and the CPU time of the whole
// process per event over the timed window.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QQBotConnector } from '../dist/src/index.js';
import { median, round } from './stats.js';
import { GROUP_MESSAGE_SAMPLE as SAMPLE } from './sample.js';

const APP_ID = 'bench-app';
const SECRET = 'bench-secret';
const ACK = '{"op":12,"d":0}';

async function drive(client, url, count) {
  client.postMessage({ url });
  const [{ ms, cpuMicros, statuses }] = await once(client, 'message');
  if (statuses[200] !== count)
    throw new Error(`bench/webhook: expected ${count} answers 200, got ${JSON.stringify(statuses)}`);
  return { rate: count / (ms / 1000), cpuMicros: cpuMicros / count };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}/qqbot`;
}

async function closeServer(server) {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function counted(bot) {
  const seen = { received: 0 };
  bot.on('dispatch', () => {
    seen.received += 1;
  });
  return seen;
}

/** Each round checks that every event reached the host's listener exactly once. */
function rounds(url, seen) {
  return async (client, count) => {
    seen.received = 0;
    const result = await drive(client, url, count);
    if (seen.received !== count) throw new Error(`bench/webhook: ${seen.received} of ${count} events reached the host`);
    return result;
  };
}

// Each path is set up once and serves every round, as a long-running server does: the transport's worker
// thread gets its JIT warm-up in the untimed first round like the main thread does, instead of being a cold
// isolate in every timed round.
async function bare() {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.end(ACK));
  });
  const url = await listen(server);
  return { round: (client, count) => drive(client, url, count), close: () => closeServer(server) };
}

async function transport() {
  const bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
  const seen = counted(bot);
  await bot.start();
  return { round: rounds(`http://127.0.0.1:${bot.webhookAddress().port}/qqbot`, seen), close: () => bot.close() };
}

async function handler() {
  const bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, intents: 1 });
  const seen = counted(bot);
  const server = createServer(bot.webhookHandler());
  const url = await listen(server);
  return {
    round: rounds(url, seen),
    close: async () => {
      await closeServer(server);
      await bot.close();
    },
  };
}

export async function run({ runs = 5, count = 10_000, concurrency = 32 } = {}) {
  const client = new Worker(new URL('./webhook-client.js', import.meta.url), {
    workerData: { count, concurrency, secret: SECRET, appId: APP_ID, sample: SAMPLE },
  });
  await once(client, 'message');
  const paths = { baseline: await bare(), transport: await transport(), handler: await handler() };
  const measured = Object.fromEntries(Object.keys(paths).map((name) => [name, []]));
  try {
    // One untimed round of each first (JIT warm-up), then interleaved rounds so all see the same load.
    for (const path of Object.values(paths)) await path.round(client, count);
    for (let i = 0; i < runs; i++) {
      for (const [name, path] of Object.entries(paths)) measured[name].push(await path.round(client, count));
    }
  } finally {
    for (const path of Object.values(paths)) await path.close();
    await client.terminate();
  }
  const rates = (name) => measured[name].map((m) => m.rate);
  // CPU of the whole process (load generator and libuv's pool included) per event: where the verify's cost shows.
  const cpu = (name) => round(median(measured[name].map((m) => m.cpuMicros)), 0);
  const baselineEventsPerSec = median(rates('baseline'));
  const result = {
    name: 'webhook',
    runs,
    eventsPerRun: count,
    concurrency,
    baselineEventsPerSec: Math.round(baselineEventsPerSec),
    baselineCpuMicrosPerEvent: cpu('baseline'),
  };
  for (const name of ['transport', 'handler']) {
    const eventsPerSec = median(rates(name));
    result[name] = {
      medianEventsPerSec: Math.round(eventsPerSec),
      ratio: round(eventsPerSec / baselineEventsPerSec, 3),
      cpuMicrosPerEvent: cpu(name),
      perRun: rates(name).map(Math.round),
    };
  }
  result.perRunBaseline = rates('baseline').map(Math.round);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
