// Load generator for bench/webhook.js, in its own thread so the server side has the main thread to itself.
// Every request is signed before the clock starts (the platform signs, not the bot); then `concurrency`
// keep-alive lanes POST them back to back. Reports the elapsed time, the process's CPU time and the statuses seen.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { signWebhook, webhookKeyPair } from '../dist/src/transports/webhook/signature.js';

const { count, concurrency, secret, appId, sample } = workerData;
const { privateKey } = webhookKeyPair(secret);
const timestamp = String(Math.floor(Date.now() / 1000));
let round = 0;

function prepare() {
  round += 1;
  return Array.from({ length: count }, (_, n) => {
    const body = Buffer.from(
      JSON.stringify({ op: 0, id: `bench-${round}-${n}`, t: 'GROUP_AT_MESSAGE_CREATE', d: { ...sample, n } }),
    );
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        'x-signature-ed25519': signWebhook(privateKey, timestamp, body),
        'x-signature-timestamp': timestamp,
        'x-bot-appid': appId,
      },
    };
  });
}

function post(url, agent, { body, headers }) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('error', reject);
    req.end(body);
  });
}

let requests = prepare();
parentPort.on('message', async ({ url }) => {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  let next = 0;
  const lane = async () => {
    while (next < requests.length) {
      const status = await post(url, agent, requests[next++]);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ms = performance.now() - t0;
  // The whole process's CPU (every thread: this one, the server's, libuv's pool) in the timed window only.
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  parentPort.postMessage({ ms, cpuMicros: cpu.user + cpu.system, statuses });
  // Fresh ids for the next round: the connector would drop repeated ones as duplicates.
  requests = prepare();
});
parentPort.postMessage('ready');
