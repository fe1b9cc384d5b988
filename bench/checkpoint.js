// bench/checkpoint: what durable checkpoints cost the event path. The same burst of events (burst-gateway.js,
// its own thread) through a connector with the default in-memory store and through one with a
// RedisSessionStore on 127.0.0.1:6379, both with default options, interleaved; medians of several runs.
// Target: Redis / memory ≥ 0.9 (the event path never waits on the store).
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createClient } from 'redis';
import { QQBotConnector, Intents } from '../dist/src/index.js';
import { RedisSessionStore } from '../dist/src/redis/index.js';
import { median, round } from './stats.js';

const SAMPLE = {
  author: { member_openid: 'E4F4AEA33253A2797FB897C50B81D7ED' },
  content: ' event',
  group_openid: 'C9F778FE6ADF9D1D1DBE395BF744A33A',
  id: 'ROBOT1.0_veoihkGXzQIzRZ5MsV6CpqZGRF8UgD4bNWNJyjMe5tQVhmQ9UJ0EIP2Q7Sm5P8uF',
  timestamp: '2023-11-06T13:37:18+08:00',
  attachments: [],
};

const REDIS_URL = 'redis://127.0.0.1:6379';

async function eventsPerSec(count, store) {
  const gateway = new Worker(new URL('./burst-gateway.js', import.meta.url), { workerData: { count, sample: SAMPLE } });
  const [{ endpoints }] = await once(gateway, 'message');
  const bot = new QQBotConnector({ appId: 'bench-app', secret: 'bench-secret', intents: Intents.GROUP_AND_C2C_EVENT, endpoints, ...(store ? { store } : {}) });
  let received = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
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

async function deleteUnder(prefix) {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) if (keys.length > 0) await client.del(keys);
  client.destroy();
}

export async function run({ runs = 5, count = 50_000 } = {}) {
  const prefix = `qqbot-bench:${randomBytes(4).toString('hex')}:`;
  const memory = [];
  const redis = [];
  const withRedis = () => eventsPerSec(count, new RedisSessionStore({ url: REDIS_URL, prefix }));
  try {
    // One untimed round of each first (JIT warm-up), then interleaved so both see the same machine load.
    await eventsPerSec(count);
    await deleteUnder(prefix);
    await withRedis();
    for (let i = 0; i < runs; i++) {
      memory.push(await eventsPerSec(count));
      // Each run starts a new session: a stored one would be RESUMEd against a gateway that does not know it.
      await deleteUnder(prefix);
      redis.push(await withRedis());
    }
  } finally {
    await deleteUnder(prefix);
  }
  return {
    name: 'checkpoint',
    runs,
    eventsPerRun: count,
    memoryEventsPerSec: Math.round(median(memory)),
    redisEventsPerSec: Math.round(median(redis)),
    ratio: round(median(redis) / median(memory), 3),
    target: '≥ 0.9',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
