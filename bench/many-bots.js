// bench/many-bots: many bots in one host process against one fake (in another process's thread), default options.
// Each figure comes from a fresh child process, so its RSS is its own: an in-process `ws` client per bot (what a
// host would otherwise write), then the connectors (default shared pool; and other sessions-per-thread for the
// trade-off). Measured: time until every bot has its session, host RSS, threads, idle CPU per bot; a kill of the
// fullest thread (every session in it must RESUME; kill → RESUMED per session); and heartbeat ACK latency of quiet
// bots beside one bot receiving 5 000 events/s. 1 000 bots: QQBOT_BENCH_1000=1 (npm run bench), or
// `node bench/many-bots.js 1000`.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { startFakeThread } from './fake-client.js';
import { median, percentile, round } from './stats.js';

const IDLE_WINDOW_MS = 10_000;
const HEAVY_RATE = 5_000;

const apps = (n) => Array.from({ length: n }, (_, i) => ({ appId: `bot-${i}`, secret: `secret-${i}` }));

// ------------------------------------------------------------------------------------------------ children

/** Asks the parent to run a command on the fake. */
let nextCall = 0;
const pendingCalls = new Map();
function fakeCall(cmd, arg) {
  const id = nextCall++;
  process.send({ id, cmd, arg });
  return new Promise((resolve) => pendingCalls.set(id, resolve));
}

/** A full GC without --expose-gc on the command line (worker threads refuse that flag in their execArgv). */
function gc() {
  v8.setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
}

async function settle() {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
}

const mb = (bytes) => round(bytes / 1024 / 1024);

/** CPU of the whole process (every thread) over `ms` of idleness, per bot, in ms of CPU per second. */
async function idleCpuPerBot(ms, bots) {
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = process.cpuUsage(before);
  return round((used.user + used.system) / 1000 / (ms / 1000) / bots, 3);
}

/** A plain in-process gateway client: token, /gateway/bot, socket, Hello, Identify, heartbeats; READY. */
async function plainClient(WebSocket, endpoints, app) {
  const tokenRes = await fetch(endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appId: app.appId, clientSecret: app.secret }),
  });
  const { access_token: token } = await tokenRes.json();
  const gateway = await (
    await fetch(`${endpoints.api}/gateway/bot`, { headers: { authorization: `QQBot ${token}` } })
  ).json();
  const ws = new WebSocket(gateway.url);
  let seq = null;
  let beat;
  await new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (typeof frame.s === 'number') seq = frame.s;
      if (frame.op === 10) {
        beat = setInterval(() => ws.send(JSON.stringify({ op: 1, d: seq })), frame.d.heartbeat_interval);
        ws.send(JSON.stringify({ op: 2, d: { token: `QQBot ${token}`, intents: 1 << 25, shard: [0, 1] } }));
      }
      if (frame.op === 0 && frame.t === 'READY') resolve();
    });
  });
  return () => {
    clearInterval(beat);
    ws.close();
  };
}

async function childPlain(endpoints, n) {
  const { default: WebSocket } = await import('ws');
  await settle();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const closers = await Promise.all(apps(n).map((app) => plainClient(WebSocket, endpoints, app)));
  const startedMs = performance.now() - t0;
  await settle();
  const rss1 = process.memoryUsage().rss;
  const idleCpuMsPerSecPerBot = await idleCpuPerBot(IDLE_WINDOW_MS, n);
  closers.forEach((close) => close());
  return {
    bots: n,
    startedMs: round(startedMs),
    rssBeforeMb: mb(rss0),
    rssMb: mb(rss1),
    perBotMb: round(mb(rss1 - rss0) / n, 3),
    idleCpuMsPerSecPerBot,
  };
}

async function childConnectors(endpoints, n, sessionsPerThread, drill) {
  const { QQBotConnector, ThreadPool, Intents } = await import('../dist/src/index.js');
  const threads = sessionsPerThread === undefined ? 'shared' : new ThreadPool({ sessionsPerThread });
  const pool = threads === 'shared' ? ThreadPool.shared() : threads;
  await settle();
  const rss0 = process.memoryUsage().rss;
  const bots = apps(n).map(
    (app) => new QQBotConnector({ ...app, intents: Intents.GROUP_AND_C2C_EVENT, endpoints, threads }),
  );
  for (const bot of bots) bot.on('error', () => {});
  const t0 = performance.now();
  await Promise.all(bots.map((bot) => bot.start()));
  const startedMs = performance.now() - t0;
  // Bots that restarted while all started, by their last error: what a host starting many bots on a busy machine sees.
  const restartedAtStart = {};
  for (const bot of bots) {
    const [status] = bot.status();
    const code = status.lastError?.code ?? 'none';
    if (status.restarts > 0) restartedAtStart[code] = (restartedAtStart[code] ?? 0) + 1;
  }
  await settle();
  const rss1 = process.memoryUsage().rss;
  const idleCpuMsPerSecPerBot = await idleCpuPerBot(IDLE_WINDOW_MS, n);
  const result = {
    bots: n,
    restartedAtStart,
    sessionsPerThread: pool.sessionsPerThread,
    startedMs: round(startedMs),
    rssBeforeMb: mb(rss0),
    rssMb: mb(rss1),
    perBotMb: round(mb(rss1 - rss0) / n, 3),
    threads: pool.threads().length,
    idleCpuMsPerSecPerBot,
  };
  if (drill) result.killDrill = await killFullestThread(bots, pool);
  await Promise.all(bots.map((bot) => bot.close()));
  return result;
}

/** Terminates the thread hosting the most sessions; every bot in it must RESUME (not IDENTIFY again). */
async function killFullestThread(bots, pool) {
  const fullest = pool.threads().sort((a, b) => b.sessions - a.sessions)[0];
  const victims = bots.filter((bot) => bot.status()[0].threadId === fullest.threadId);
  const t0 = performance.now();
  // Kill → 'restart' (the thread gone, the next attempt decided) and 'restart' → RESUMED: where the time goes.
  const restarts = [];
  const latencies = victims.map(
    (bot) =>
      new Promise((resolve) => {
        bot.once('restart', () => restarts.push(performance.now() - t0));
        bot.once('resumed', () => resolve({ ms: performance.now() - t0, resumed: true }));
        bot.once('ready', () => resolve({ ms: performance.now() - t0, resumed: false }));
      }),
  );
  await pool.terminateThread(fullest.threadId);
  const gone = performance.now() - t0;
  const done = await Promise.all(latencies);
  const ms = done.map((d) => d.ms);
  const others = bots.filter((bot) => !victims.includes(bot)).filter((bot) => bot.status()[0].restarts > 0).length;
  return {
    sessions: victims.length,
    resumed: done.filter((d) => d.resumed).length,
    medianMs: round(median(ms)),
    p99Ms: round(percentile(ms, 99)),
    maxMs: round(Math.max(...ms)),
    threadGoneMs: round(gone),
    lastRestartMs: round(Math.max(...restarts)),
    otherBotsRestarted: others,
  };
}

/** One bot at 5 000 events/s (its listener reads every event's data) beside quiet bots in the same thread. */
async function childStarve(endpoints, n) {
  const { QQBotConnector, ThreadPool, Intents } = await import('../dist/src/index.js');
  const bots = apps(n).map((app) => new QQBotConnector({ ...app, intents: Intents.GROUP_AND_C2C_EVENT, endpoints }));
  for (const bot of bots) bot.on('error', () => {});
  await Promise.all(bots.map((bot) => bot.start()));
  const [heavy, ...quiet] = bots;
  let received = 0;
  heavy.on('dispatch', (e) => {
    received += e.data.content.length > 0 ? 1 : 0;
  });
  const sample = async (ms) => {
    // Each quiet bot's last ACK latency, read every 100 ms (a heartbeat goes every 500 ms: each ACK weighs alike).
    const seen = [];
    const until = performance.now() + ms;
    while (performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const bot of quiet) {
        const latency = bot.status()[0].heartbeatLatencyMs;
        if (latency !== null) seen.push(latency);
      }
    }
    return {
      samples: seen.length,
      medianMs: round(median(seen), 2),
      p99Ms: round(percentile(seen, 99), 2),
      maxMs: round(Math.max(...seen), 2),
    };
  };
  const sameThread = new Set(bots.map((bot) => bot.status()[0].threadId)).size === 1;
  const idle = await sample(8_000);
  const session = (await fakeCall('sessions')).find((s) => s.appId === 'bot-0' && s.delivering).id;
  const count = HEAVY_RATE * 10;
  const emitting = fakeCall('emit', { count, options: { ratePerSec: HEAVY_RATE, session } });
  const t0 = performance.now();
  const loaded = await sample(8_000);
  await emitting;
  while (received < count) await new Promise((resolve) => setTimeout(resolve, 20));
  const heavyEventsPerSec = round(count / ((performance.now() - t0) / 1000));
  const threads = ThreadPool.shared().threads().length;
  await Promise.all(bots.map((bot) => bot.close()));
  return { bots: n, sameThread, threads, heavyEventsPerSec, idle, loaded };
}

if (process.argv[2] === 'child') {
  process.on('message', ({ id, result }) => {
    pendingCalls.get(id)?.(result);
    pendingCalls.delete(id);
  });
  const [, , , mode, n, endpoints, extra] = process.argv;
  const spt = extra === undefined || extra === 'default' ? undefined : Number(extra);
  const run = {
    plain: () => childPlain(JSON.parse(endpoints), Number(n)),
    connectors: () => childConnectors(JSON.parse(endpoints), Number(n), spt, true),
    starve: () => childStarve(JSON.parse(endpoints), Number(n)),
  };
  const result = await run[mode]();
  process.send({ result });
  process.disconnect();
}

// ------------------------------------------------------------------------------------------------ parent

/** Runs one child against `fake`; resolves with what it reports. */
function child(fake, mode, n, extra = 'default') {
  return new Promise((resolve, reject) => {
    const proc = fork(new URL(import.meta.url), ['child', mode, String(n), JSON.stringify(fake.endpoints), extra]);
    proc.on('message', async (message) => {
      if ('result' in message) return resolve(message.result);
      proc.send({ id: message.id, result: await fake.call(message.cmd, message.arg) });
    });
    proc.on('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`many-bots child ${mode} ${n} exited with ${code}`)),
    );
  });
}

export async function run() {
  const counts = [100, ...(process.env.QQBOT_BENCH_1000 === '1' ? [1000] : [])];
  const fake = await startFakeThread({ apps: apps(Math.max(...counts)) });
  const results = {};
  try {
    for (const n of counts) {
      results[n] = { plainWs: await child(fake, 'plain', n), connectors: await child(fake, 'connectors', n) };
      console.error(`many-bots ${n}: ${JSON.stringify(results[n])}`);
    }
    // The trade-off: sessions per thread against what one thread's death restarts.
    results.sessionsPerThread = {};
    for (const spt of [1, 10, 100]) results.sessionsPerThread[spt] = await child(fake, 'connectors', 100, String(spt));
  } finally {
    await fake.close();
  }
  // Heartbeats every 500 ms, so that latencies can be sampled; 20 bots: the default pool puts them in one thread.
  const fast = await startFakeThread({ apps: apps(20), heartbeatIntervalMs: 500 });
  try {
    results.starvation = await child(fast, 'starve', 20);
  } finally {
    await fast.close();
  }
  return { name: 'many-bots', ...results };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] !== 'child') {
  if (process.argv[2] !== undefined) process.env.QQBOT_BENCH_1000 = process.argv[2] === '1000' ? '1' : '0';
  console.log(JSON.stringify(await run(), null, 2));
}
