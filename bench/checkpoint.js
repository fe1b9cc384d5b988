// bench/checkpoint: what durable checkpoints cost the event path. The same burst of events (burst-gateway.js,
// its own thread) through a connector with the default in-memory store and through one with a
// RedisSessionStore on 127.0.0.1:6379, both with default options, interleaved; medians of several runs.
// Target: Redis / memory ≥ 0.9 (the event path never waits on the store). On a shared machine the events/s of one
// run swing by ±30 % with the neighbours' load, so each run also reports the CPU it cost per event — this process
// (every thread) plus the Redis server's own (INFO cpu). Other processes' load barely moves the first; the second
// counts every client of that server, so run it on a Redis nobody else is using for a clean figure.
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

/** The Redis server's CPU seconds so far (user + sys), from INFO cpu. */
async function redisCpuSeconds(client) {
  const info = await client.info('cpu');
  const field = (name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function eventsPerSec(count, store, probe) {
  const gateway = new Worker(new URL('./burst-gateway.js', import.meta.url), { workerData: { count, sample: SAMPLE } });
  const [{ endpoints }] = await once(gateway, 'message');
  const bot = new QQBotConnector({
    appId: 'bench-app',
    secret: 'bench-secret',
    intents: Intents.GROUP_AND_C2C_EVENT,
    endpoints,
    ...(store ? { store } : {}),
  });
  let received = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  bot.on('dispatch', () => {
    if (++received === count) resolveDone();
  });
  await bot.start();
  const redis0 = await redisCpuSeconds(probe);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  gateway.postMessage('go');
  await done;
  const rate = count / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  const cpuUsPerEvent = (cpu.user + cpu.system + ((await redisCpuSeconds(probe)) - redis0) * 1e6) / count;
  await bot.close();
  gateway.postMessage('close');
  await once(gateway, 'exit');
  return { rate, cpuUsPerEvent };
}

async function deleteUnder(prefix) {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) if (keys.length > 0) await client.del(keys);
  client.destroy();
}

export async function run({ runs = 7, count = 200_000 } = {}) {
  const prefix = `qqbot-bench:${randomBytes(4).toString('hex')}:`;
  const memory = [];
  const redis = [];
  const probe = createClient({ url: REDIS_URL });
  await probe.connect();
  const withMemory = () => eventsPerSec(count, undefined, probe);
  const withRedis = () => eventsPerSec(count, new RedisSessionStore({ url: REDIS_URL, prefix }), probe);
  try {
    // One untimed round of each first (JIT warm-up), then interleaved so both see the same machine load.
    await withMemory();
    await deleteUnder(prefix);
    await withRedis();
    for (let i = 0; i < runs; i++) {
      memory.push(await withMemory());
      // Each run starts a new session: a stored one would be RESUMEd against a gateway that does not know it.
      await deleteUnder(prefix);
      redis.push(await withRedis());
    }
  } finally {
    await deleteUnder(prefix);
    probe.destroy();
  }
  const rates = (side) => median(side.map((r) => r.rate));
  const cpu = (side) => median(side.map((r) => r.cpuUsPerEvent));
  return {
    name: 'checkpoint',
    runs,
    eventsPerRun: count,
    memoryEventsPerSec: Math.round(rates(memory)),
    redisEventsPerSec: Math.round(rates(redis)),
    ratio: round(rates(redis) / rates(memory), 3),
    memoryCpuUsPerEvent: round(cpu(memory), 2),
    redisCpuUsPerEvent: round(cpu(redis), 2),
    cpuRatio: round(cpu(memory) / cpu(redis), 3),
    target: '≥ 0.9',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
