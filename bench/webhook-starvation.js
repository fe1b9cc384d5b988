// bench/webhook-starvation: the webhook under attack, with default options.
// - starvation: genuine signed callbacks at 100/s for `seconds`, while 1 000 connections (500 requests that never
//   send their body, 500 sockets that send nothing) are held open from 8 other addresses, each reopened as soon
//   as the server closes it. Latency of every genuine callback (p50, p99, max) and any non-200 answer, against
//   the same traffic with no attacker in the same run; for the listener (`transport`) and for `webhookHandler()`
//   on a node:http server with node's defaults but the listen backlog docs/webhook.md advises. A callback late by
//   a second is a dropped SYN resent: `listenOverflowsPerRun` counts the kernel's accept-queue overflows.
// - op 13 flood: unsigned op 13 validations back to back (64 lanes) against the listener, from 1 address and from
//   64; the main thread's event-loop utilization over the flood, against the same window with no traffic.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QQBotConnector } from '../dist/src/index.js';
import { median, percentile, round } from './stats.js';

const APP_ID = 'bench-app';
const SECRET = 'bench-secret';

/** The kernel's count of connections dropped because an accept queue was full (Linux; machine-wide). */
function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const names = lines.find((l) => l.startsWith('TcpExt:'))?.split(' ');
    const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(' ');
    return Number(values?.[names?.indexOf('ListenOverflows') ?? -1] ?? NaN);
  } catch {
    return NaN;
  }
}

async function ask(client, task) {
  client.postMessage(task);
  const [result] = await once(client, 'message');
  return result;
}

function quiet(bot) {
  bot.on('error', () => {});
  bot.on('dispatch', () => {});
  return bot;
}

async function transport() {
  const bot = quiet(new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } }));
  await bot.start();
  return { url: `http://127.0.0.1:${bot.webhookAddress().port}/qqbot`, close: () => bot.close() };
}

async function handler() {
  const bot = quiet(new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook' } }));
  const server = createServer(bot.webhookHandler());
  // As docs/webhook.md advises: node's default backlog (511) overflows under a connect flood.
  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/qqbot`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await bot.close();
    },
  };
}

function summarize(rounds) {
  const pick = (f) => round(median(rounds.map(f)), 1);
  return {
    p50Ms: pick((r) => percentile(r.latencies, 50)),
    p99Ms: pick((r) => percentile(r.latencies, 99)),
    maxMs: pick((r) => Math.max(...r.latencies)),
    sentPerRun: rounds.map((r) => r.sent),
    non200PerRun: rounds.map((r) => r.sent - (r.statuses[200] ?? 0)),
    over1sPerRun: rounds.map((r) => r.latencies.filter((ms) => ms > 1000).length),
    latePerRun: rounds.map((r) => r.late),
  };
}

async function starvation(client, { runs, seconds, rate, slow, idle }) {
  const result = {};
  for (const [name, make] of [
    ['transport', transport],
    ['handler', handler],
  ]) {
    const path = await make();
    try {
      await ask(client, { mode: 'starve', url: path.url, slow: 0, idle: 0, rate, seconds: 1 });
      const baseline = [];
      const attacked = [];
      for (let i = 0; i < runs; i++) {
        baseline.push(await ask(client, { mode: 'starve', url: path.url, slow: 0, idle: 0, rate, seconds }));
        const before = listenOverflows();
        const round = await ask(client, { mode: 'starve', url: path.url, slow, idle, rate, seconds });
        attacked.push({ ...round, listenOverflows: listenOverflows() - before });
      }
      result[name] = {
        baseline: summarize(baseline),
        attacked: {
          ...summarize(attacked),
          attackerReopenedPerRun: attacked.map((r) => r.attackerReopened),
          attackerHeldMin: attacked.map((r) => r.attackerHeldMin),
          listenOverflowsPerRun: attacked.map((r) => r.listenOverflows),
        },
      };
    } finally {
      await path.close();
    }
  }
  return result;
}

async function flood(client, { runs, seconds }) {
  const path = await transport();
  try {
    const elu = async (work) => {
      const start = performance.eventLoopUtilization();
      const out = await work();
      return { utilization: performance.eventLoopUtilization(start).utilization, out };
    };
    const idle = [];
    const measured = { onePeer: [], manyPeers: [] };
    for (let i = 0; i < runs; i++) {
      idle.push((await elu(() => new Promise((resolve) => setTimeout(resolve, seconds * 1000)))).utilization);
      for (const [name, peers] of [
        ['onePeer', 1],
        ['manyPeers', 64],
      ]) {
        measured[name].push(
          await elu(() => ask(client, { mode: 'op13', url: path.url, seconds, concurrency: 64, peers })),
        );
      }
    }
    const report = (rows) => ({
      mainThreadBusyPct: round(median(rows.map((r) => r.utilization)) * 100, 1),
      requestsPerSec: Math.round(median(rows.map((r) => r.out.perSecond))),
      statusesPerRun: rows.map((r) => r.out.statuses),
    });
    return {
      baselineIdleBusyPct: round(median(idle) * 100, 1),
      onePeer: report(measured.onePeer),
      manyPeers: report(measured.manyPeers),
    };
  } finally {
    await path.close();
  }
}

export async function run({ runs = 3, seconds = 5, rate = 100, slow = 500, idle = 500 } = {}) {
  const client = new Worker(new URL('./webhook-attack-client.js', import.meta.url), {
    workerData: { secret: SECRET, appId: APP_ID },
  });
  await once(client, 'message');
  try {
    return {
      name: 'webhook-starvation',
      runs,
      seconds,
      genuinePerSec: rate,
      attackers: { slow, idle },
      starvation: await starvation(client, { runs, seconds, rate, slow, idle }),
      op13Flood: await flood(client, { runs, seconds }),
    };
  } finally {
    await client.terminate();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
