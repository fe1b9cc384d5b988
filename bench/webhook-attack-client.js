// Load generator for bench/webhook-starvation.js, in its own thread so the host's main thread is measured alone.
// - starve: holds `slow` requests (headers, Content-Length: 1000, no body) and `idle` connections (no bytes)
//   open from 8 addresses other than the platform's, reopening each one the server closes; meanwhile sends
//   genuine signed callbacks from 127.0.0.1 at `rate` per second for `seconds`, and reports each one's latency.
// - op13: `concurrency` lanes post unsigned op 13 validations back to back for `seconds`, spread over `peers`
//   addresses, and report the statuses.
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { signWebhook, webhookKeyPair } from '../dist/src/transports/webhook/signature.js';

const { secret, appId } = workerData;
const { privateKey } = webhookKeyPair(secret);
const ATTACKERS = Array.from({ length: 8 }, (_, i) => `127.0.2.${i + 1}`);

function post(url, agent, body, headers, localAddress) {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode));
      },
    );
    req.once('error', (err) => resolve(err.code ?? 'error'));
    req.end(body);
  });
}

/** One attacker connection, reopened (after a short pause) whenever the server closes it, until `stopped()`. */
function hold(url, slow, localAddress, stopped, counts) {
  if (stopped()) return;
  const target = new URL(url);
  const socket = connect({ host: target.hostname, port: Number(target.port), localAddress });
  socket.on('error', () => {});
  socket.once('connect', () => {
    counts.opened += 1;
    if (slow) {
      const ts = Math.floor(Date.now() / 1000);
      socket.write(
        `POST ${target.pathname} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nx-signature-timestamp: ${ts}\r\nx-signature-ed25519: ${'ab'.repeat(64)}\r\n\r\n`,
      );
    }
  });
  socket.resume();
  socket.once('close', () => {
    counts.closed += 1;
    setTimeout(() => hold(url, slow, localAddress, stopped, counts), 20);
  });
  counts.sockets.add(socket);
  socket.once('close', () => counts.sockets.delete(socket));
}

async function starve({ url, slow, idle, rate, seconds }) {
  let stop = false;
  const counts = { opened: 0, closed: 0, sockets: new Set() };
  for (let i = 0; i < slow + idle; i++) hold(url, i < slow, ATTACKERS[i % ATTACKERS.length], () => stop, counts);
  // Every attacker connection open before the first genuine callback.
  while (counts.opened < slow + idle) await new Promise((resolve) => setTimeout(resolve, 10));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies = [];
  const late = [];
  const statuses = {};
  const pending = [];
  const t0 = performance.now();
  let n = 0;
  let heldMin = Infinity;
  while (performance.now() - t0 < seconds * 1000) {
    const due = t0 + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    heldMin = Math.min(heldMin, counts.sockets.size);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = Buffer.from(
      JSON.stringify({ op: 0, id: `starve-${process.hrtime.bigint()}-${n}`, t: 'GROUP_AT_MESSAGE_CREATE', d: { n } }),
    );
    const headers = {
      'x-signature-ed25519': signWebhook(privateKey, timestamp, body),
      'x-signature-timestamp': timestamp,
      'x-bot-appid': appId,
    };
    const sent = performance.now();
    const index = n;
    n += 1;
    pending.push(
      post(url, agent, body, headers, '127.0.0.1').then((status) => {
        const ms = performance.now() - sent;
        latencies.push(ms);
        if (ms > 1000) late.push({ n: index, sentAtMs: Math.round(sent - t0), ms: Math.round(ms), status });
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(pending);
  stop = true;
  for (const socket of counts.sockets) socket.destroy();
  agent.destroy();
  return { sent: n, latencies, late, statuses, attackerReopened: counts.closed, attackerHeldMin: heldMin };
}

async function op13({ url, seconds, concurrency, peers }) {
  const agents = Array.from(
    { length: peers },
    () => new Agent({ keepAlive: true, maxSockets: Math.max(1, Math.ceil(concurrency / peers)) }),
  );
  const statuses = {};
  const t0 = performance.now();
  let n = 0;
  const lane = async (i) => {
    const peer = i % peers;
    while (performance.now() - t0 < seconds * 1000) {
      const body = Buffer.from(JSON.stringify({ op: 13, d: { plain_token: `flood${n++}`, event_ts: '1725442341' } }));
      const status = await post(url, agents[peer], body, {}, `127.0.3.${peer + 1}`);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => lane(i)));
  for (const agent of agents) agent.destroy();
  return { requests: n, perSecond: Math.round(n / ((performance.now() - t0) / 1000)), statuses };
}

parentPort.on('message', async (task) => {
  parentPort.postMessage(task.mode === 'starve' ? await starve(task) : await op13(task));
});
parentPort.postMessage('ready');
