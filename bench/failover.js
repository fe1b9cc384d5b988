// bench/failover: how long a shard is without a process when its holder dies. Two host processes
// (test/fixtures/store-host.js, default options, RedisSessionStore with the default lease) run one bot against
// FakeQQServer at 200 events/s; the holder is killed with SIGKILL 20 times, a fresh standby started after each
// kill. Reported: kill → the standby's RESUMED, percentiles over the kills, and events lost (must be 0).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { DEFAULT_LEASE } from '../dist/src/redis/index.js';
import { FakeQQServer } from '../dist/src/testing/index.js';
import { percentile, round } from './stats.js';

const HOST = fileURLToPath(new URL('../test/fixtures/store-host.js', import.meta.url));
const REDIS_URL = 'redis://127.0.0.1:6379';

function startHost(config, onRecord) {
  const child = spawn(process.execPath, [HOST, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', (line) => onRecord(child, JSON.parse(line)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited };
}

async function deleteUnder(prefix) {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) if (keys.length > 0) await client.del(keys);
  client.destroy();
}

export async function run({ kills = 20 } = {}) {
  const fake = await FakeQQServer.start();
  const prefix = `qqbot-bench:${randomBytes(4).toString('hex')}:`;
  const config = { endpoints: fake.endpoints, store: { kind: 'redis', url: REDIS_URL, prefix, lease: true } };
  const delivered = new Set();
  const waiters = new Set();
  let holder;
  const hosts = new Map();
  const onRecord = (child, record) => {
    if (record.kind === 'dispatch') delivered.add(record.seq);
    if (record.kind === 'ready' || record.kind === 'resumed') holder = { child, record };
    waiters.forEach((w) => w());
  };
  const until = (predicate, ms, what) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`failover bench: timed out waiting for ${what}`));
      }, ms);
      waiters.add(check);
      check();
    });
  const spawnHost = () => {
    const host = startHost(config, onRecord);
    hosts.set(host.child, host);
    return host;
  };
  const failoverMs = [];
  const stop = new AbortController();
  let stream;
  try {
    spawnHost();
    await until(() => holder !== undefined, 20_000, 'the first session');
    spawnHost();
    stream = fake.emitEvents(1_000_000, { ratePerSec: 200, signal: stop.signal });
    for (let i = 0; i < kills; i++) {
      const victim = holder;
      const seen = delivered.size;
      await until(() => delivered.size >= seen + 100, 20_000, 'events before the kill');
      const killedAt = Date.now();
      victim.child.kill('SIGKILL');
      await hosts.get(victim.child).exited;
      hosts.delete(victim.child);
      await until(() => holder !== victim, DEFAULT_LEASE.ttlMs + 20_000, 'the standby to take over');
      failoverMs.push(holder.record.at - killedAt);
      spawnHost();
      console.error(`failover ${i + 1}/${kills}: ${failoverMs.at(-1)} ms`);
    }
    stop.abort();
    const sent = await stream;
    await until(() => sent.every((seq) => delivered.has(seq)), 20_000, 'every event');
    return {
      name: 'failover',
      kills,
      leaseTtlMs: DEFAULT_LEASE.ttlMs,
      p50Ms: percentile(failoverMs, 50),
      p90Ms: percentile(failoverMs, 90),
      maxMs: Math.max(...failoverMs),
      target: `≤ lease + 1 s = ${DEFAULT_LEASE.ttlMs + 1_000} ms`,
      eventsSent: sent.length,
      lost: sent.filter((seq) => !delivered.has(seq)).length,
      identifies: fake.stats.identifies.length,
      maxConcurrentPerSession: fake.stats.maxConcurrentPerSession,
      meanFailoverS: round(failoverMs.reduce((a, b) => a + b, 0) / failoverMs.length / 1000, 2),
    };
  } finally {
    stop.abort();
    for (const { child, exited } of hosts.values()) {
      child.kill('SIGKILL');
      await exited;
    }
    await fake.close();
    await deleteUnder(prefix);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
