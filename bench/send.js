// bench/send: sends per second through QQOpenAPI.sendGroupMessage against raw undici.request posting the same
// body to the same fake endpoint, in the same run. The fake (FakeRestApi + a token endpoint on node:http) runs in
// its own thread so its work does not compete with the client's. Runs alternate raw / client; medians reported.
// Needs `npm run build` (imports from ../dist). Run alone with `node bench/send.js`.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Pool, request } from 'undici';

/** Pairs of runs (raw, client), alternating which goes first; the machine's noise hits both alike. */
const RUNS = 7;
const SENDS_PER_RUN = 3_000;
const WARMUP_SENDS = 1_000;
const CONCURRENCY = 32;
/** Hard stop for the whole benchmark. */
const BUDGET_MS = 50_000;

const BODY = { content: 'hello from the benchmark', msg_type: 0, msg_id: undefined, msg_seq: 1 };

// ───────────── the fake, in a worker thread ─────────────

async function serve() {
  const { FakeRestApi } = await import('../dist/src/testing/fake-rest.js');
  const valid = new Set();
  let issued = 0;
  const rest = new FakeRestApi({ isValidToken: (t) => valid.has(t), now: () => Date.now() });
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/token') {
      const token = `bench-${++issued}`;
      valid.add(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, expires_in: '7200' }));
      return;
    }
    if (!rest.handle(req, res, url, body)) {
      res.writeHead(404);
      res.end();
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  parentPort.postMessage({ url: `http://127.0.0.1:${port}` });
  parentPort.on('message', (cmd) => {
    if (cmd === 'reset') {
      // Recorded requests and messages would grow for ever; keep the fake's cost per request flat.
      rest.reset();
      parentPort.postMessage('reset');
    }
    if (cmd === 'close') {
      server.closeAllConnections();
      server.close(() => parentPort.close());
    }
  });
}

// ───────────── the client side ─────────────

/** Runs `total` calls of `send(i)` with `CONCURRENCY` in flight; returns calls per second. */
async function measure(total, send) {
  let next = 0;
  const t0 = performance.now();
  async function lane() {
    while (next < total) await send(next++);
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return total / ((performance.now() - t0) / 1000);
}

async function startFake() {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'fake' } });
  const [{ url }] = await once(worker, 'message');
  return {
    url,
    async reset() {
      worker.postMessage('reset');
      await once(worker, 'message');
    },
    async close() {
      worker.postMessage('close');
      await once(worker, 'exit');
    },
  };
}

export async function run() {
  const deadline = Date.now() + BUDGET_MS;
  const { QQOpenAPI } = await import('../dist/src/http/openapi.js');
  const fake = await startFake();
  const api = new QQOpenAPI({
    appId: 'bench-app',
    secret: 'bench-secret',
    endpoints: { token: `${fake.url}/token`, api: fake.url },
    retry: { retries: 0 },
  });

  // The baseline does what the client does on the wire, and no more: same pool size, same headers, same body,
  // JSON answer parsed. Its token is fetched once, up front.
  const tokenRes = await request(`${fake.url}/token`, { method: 'POST', body: '{}' });
  const { access_token: token } = await tokenRes.body.json();
  const pool = new Pool(fake.url, { connections: CONCURRENCY, keepAliveTimeout: 30_000 });
  const headers = {
    authorization: `QQBot ${token}`,
    'x-union-appid': 'bench-app',
    accept: 'application/json',
    'content-type': 'application/json',
  };
  const path = '/v2/groups/BENCH_GROUP/messages';

  const raw = (i) =>
    request(`${fake.url}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...BODY, msg_id: `raw-${i}` }),
      dispatcher: pool,
    }).then(async (res) => {
      const body = await res.body.json();
      if (res.statusCode !== 200 || typeof body.id !== 'string') throw new Error(`raw send failed: ${res.statusCode}`);
    });
  const client = (i) =>
    api.sendGroupMessage('BENCH_GROUP', { ...BODY, msg_id: `api-${i}` }).then((r) => {
      if (r.status !== 'sent') throw new Error(`client send failed: ${r.status}`);
    });

  try {
    await measure(WARMUP_SENDS, raw);
    await measure(WARMUP_SENDS, client);
    const rawRates = [];
    const clientRates = [];
    for (let r = 0; r < RUNS && Date.now() < deadline; r++) {
      const order = r % 2 === 0 ? ['raw', 'client'] : ['client', 'raw'];
      for (const which of order) {
        await fake.reset();
        if (which === 'raw') rawRates.push(await measure(SENDS_PER_RUN, (i) => raw(r * SENDS_PER_RUN + i)));
        else clientRates.push(await measure(SENDS_PER_RUN, (i) => client(r * SENDS_PER_RUN + i)));
      }
    }
    const medianOf = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
    const medianOpsPerSec = Math.round(medianOf(clientRates));
    const baselineOpsPerSec = Math.round(medianOf(rawRates));
    return {
      name: 'send',
      medianOpsPerSec,
      baselineOpsPerSec,
      ratio: Math.round((medianOpsPerSec / baselineOpsPerSec) * 1000) / 1000,
      /** The median of each pair's client/raw ratio: steadier than the ratio of medians on a busy machine. */
      pairRatioMedian: Math.round(medianOf(clientRates.map((c, i) => c / (rawRates[i] ?? Number.NaN))) * 1000) / 1000,
      runs: clientRates.length,
      sendsPerRun: SENDS_PER_RUN,
      concurrency: CONCURRENCY,
      clientRuns: clientRates.map(Math.round),
      baselineRuns: rawRates.map(Math.round),
    };
  } finally {
    await api.close();
    await pool.destroy();
    await fake.close();
  }
}

if (!isMainThread && workerData?.role === 'fake') {
  await serve();
} else if (isMainThread && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run();
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `send: client ${result.medianOpsPerSec}/s vs raw undici ${result.baselineOpsPerSec}/s → ratio ${(result.ratio * 100).toFixed(1)} % (target ≥ 80 %)`,
  );
}
