// bench/webhook: verified events per second through the webhook transport, against a bare node:http server
// that only reads the body, in the same run. The load generator runs in its own thread and signs every request
// before the clock starts; every server gets the same requests with the same keep-alive concurrency.
// - handler: `bot.webhookHandler()` on a node:http server on the main thread: checks, Ed25519 verify, dedupe,
//   'dispatch', then the 200.
// - transport: `transport: { kind: 'webhook' }`: the listener in a worker thread verifies, hands the event to
//   the host (dedupe, 'dispatch'), which acknowledges it before the 200 goes out.
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
  const [{ ms, statuses }] = await once(client, 'message');
  if (statuses[200] !== count) throw new Error(`bench/webhook: expected ${count} answers 200, got ${JSON.stringify(statuses)}`);
  return count / (ms / 1000);
}

async function bare(client, count) {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.end(ACK));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const rate = await drive(client, `http://127.0.0.1:${server.address().port}/qqbot`, count);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return rate;
}

function counted(bot) {
  const seen = { received: 0 };
  bot.on('dispatch', () => {
    seen.received += 1;
  });
  return seen;
}

async function transport(client, count) {
  const bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
  const seen = counted(bot);
  await bot.start();
  const rate = await drive(client, `http://127.0.0.1:${bot.webhookAddress().port}/qqbot`, count);
  if (seen.received !== count) throw new Error(`bench/webhook: ${seen.received} of ${count} events reached the host`);
  await bot.close();
  return rate;
}

async function handler(client, count) {
  const bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, intents: 1 });
  const seen = counted(bot);
  const server = createServer(bot.webhookHandler());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const rate = await drive(client, `http://127.0.0.1:${server.address().port}/qqbot`, count);
  if (seen.received !== count) throw new Error(`bench/webhook: ${seen.received} of ${count} events reached the host`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await bot.close();
  return rate;
}

export async function run({ runs = 5, count = 10_000, concurrency = 32 } = {}) {
  const client = new Worker(new URL('./webhook-client.js', import.meta.url), { workerData: { count, concurrency, secret: SECRET, appId: APP_ID, sample: SAMPLE } });
  await once(client, 'message');
  const paths = { transport, handler };
  const rates = { baseline: [], ...Object.fromEntries(Object.keys(paths).map((name) => [name, []])) };
  try {
    // One untimed round of each first (JIT warm-up), then interleaved rounds so all see the same load.
    await bare(client, count);
    for (const path of Object.values(paths)) await path(client, count);
    for (let i = 0; i < runs; i++) {
      rates.baseline.push(await bare(client, count));
      for (const [name, path] of Object.entries(paths)) rates[name].push(await path(client, count));
    }
  } finally {
    await client.terminate();
  }
  const baselineEventsPerSec = median(rates.baseline);
  const result = { name: 'webhook', runs, eventsPerRun: count, concurrency, baselineEventsPerSec: Math.round(baselineEventsPerSec) };
  for (const name of Object.keys(paths)) {
    const eventsPerSec = median(rates[name]);
    result[name] = { medianEventsPerSec: Math.round(eventsPerSec), ratio: round(eventsPerSec / baselineEventsPerSec, 3), perRun: rates[name].map(Math.round) };
  }
  result.perRunBaseline = rates.baseline.map(Math.round);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
