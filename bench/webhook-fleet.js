// bench/webhook-fleet: what fleet-wide dedupe costs a webhook replica. The same signed callbacks, through the
// same listener with default options, with and without a shared RedisSessionStore (every callback claimed and
// marked delivered in Redis: two round trips before its 200), in the same run. The load generator is
// bench/webhook-client.js (its own thread, requests signed before the clock starts). Needs Redis on
// 127.0.0.1:6379 (REDIS_URL to change it); skipped without one.
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QQBotConnector } from '../dist/src/index.js';
import { median, round } from './stats.js';
import { GROUP_MESSAGE_SAMPLE as SAMPLE } from './sample.js';

const APP_ID = 'bench-app';
const SECRET = 'bench-secret';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function redisAnswers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function replica(store) {
  const bot = new QQBotConnector({
    appId: APP_ID,
    secret: SECRET,
    transport: { kind: 'webhook', port: 0 },
    ...(store === undefined ? {} : { store }),
  });
  const seen = { received: 0 };
  bot.on('dispatch', () => {
    seen.received += 1;
  });
  await bot.start();
  return { bot, seen, url: `http://127.0.0.1:${bot.webhookAddress().port}/qqbot` };
}

async function timedRound(client, path, count) {
  path.seen.received = 0;
  client.postMessage({ url: path.url });
  const [{ ms, cpuMicros, statuses }] = await once(client, 'message');
  if (statuses[200] !== count || path.seen.received !== count)
    throw new Error(`bench/webhook-fleet: ${JSON.stringify(statuses)}, ${path.seen.received} delivered of ${count}`);
  return { rate: count / (ms / 1000), cpuMicros: cpuMicros / count };
}

export async function run({ runs = 3, count = 5_000, concurrency = 32 } = {}) {
  if (!(await redisAnswers(REDIS_URL))) return { name: 'webhook-fleet', skipped: `no Redis at ${REDIS_URL}` };
  const { RedisSessionStore } = await import('../dist/src/redis/index.js');
  const prefix = `qqbot-bench:${process.pid}:`;
  const client = new Worker(new URL('./webhook-client.js', import.meta.url), {
    workerData: { count, concurrency, secret: SECRET, appId: APP_ID, sample: SAMPLE },
  });
  await once(client, 'message');
  const paths = {
    alone: await replica(undefined),
    fleet: await replica(new RedisSessionStore({ url: REDIS_URL, prefix })),
  };
  const rates = { alone: [], fleet: [] };
  try {
    for (const path of Object.values(paths)) await timedRound(client, path, count);
    for (let i = 0; i < runs; i++)
      for (const [name, path] of Object.entries(paths)) rates[name].push(await timedRound(client, path, count));
  } finally {
    for (const path of Object.values(paths)) await path.bot.close();
    await client.terminate();
    const { createClient } = await import('redis');
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
      if (keys.length > 0) await redis.del(keys);
    redis.destroy();
  }
  const alone = median(rates.alone.map((r) => r.rate));
  const fleet = median(rates.fleet.map((r) => r.rate));
  // This process's CPU per event (every thread; not the Redis server's): what the claims cost a replica.
  const cpu = (name) => round(median(rates[name].map((r) => r.cpuMicros)), 0);
  return {
    name: 'webhook-fleet',
    runs,
    eventsPerRun: count,
    concurrency,
    aloneEventsPerSec: Math.round(alone),
    fleetEventsPerSec: Math.round(fleet),
    ratio: round(fleet / alone, 3),
    cpuMicrosPerEvent: { alone: cpu('alone'), fleet: cpu('fleet') },
    perRun: { alone: rates.alone.map((r) => Math.round(r.rate)), fleet: rates.fleet.map((r) => Math.round(r.rate)) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
