// bench/upload: a 200 MB file through QQOpenAPI.uploadC2CMedia (the chunked protocol, default options) against raw
// PUTs of the same parts to the same presigned URLs. The fake runs in a child process, so the host's RSS is the
// client's alone. Figures: host RSS growth over one upload (sampled every 10 ms; the bound is 2 × part size + 16 MB)
// for the FIRST upload of a fresh process (each in a process of its own: cold, the process's first request; warm,
// after one API call) and for later uploads in one process; MB/s of each. Not in CI. Needs `npm run build`.
// Run alone: `node bench/upload.js`.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { startRemoteFake } from './fake-remote.js';
import { median, round } from './stats.js';

const SIZE = 200 * 1024 * 1024;
/** The part size the fake answers (the platform's is not published; clients report a few MB). */
const PART = 4 * 1024 * 1024;
const CONCURRENCY = 4;
/** Interleaved raw/client pairs in one process, after a warm-up upload. */
const RUNS = 3;
/** Fresh processes per kind of first upload. */
const FIRST_RUNS = 3;
const MB = 1024 * 1024;
const BOUND_MB = (2 * PART) / MB + 16;

async function writeFile(path) {
  const file = await open(path, 'w');
  const block = randomBytes(MB);
  for (let written = 0; written < SIZE; written += MB) {
    block.writeUInt32LE(written, 0); // every MB differs, so the parts' digests do
    await file.write(block);
  }
  await file.close();
}

/** Peak RSS growth over `work`, sampled every 10 ms. */
async function rssGrowth(work) {
  globalThis.gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { growthMB: (peak - base) / MB, seconds: (performance.now() - started) / 1000 };
}

/** The floor: prepare once by hand, then PUT every part from disk at the same concurrency, nothing else. */
async function rawPuts(endpoints, path) {
  const token = await (
    await request(endpoints.token, {
      method: 'POST',
      body: JSON.stringify({ appId: 'test-app', clientSecret: 'test-secret' }),
      headers: { 'content-type': 'application/json' },
    })
  ).body.json();
  const prepared = await (
    await request(`${endpoints.api}/v2/users/U1/upload_prepare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `QQBot ${token.access_token}` },
      body: JSON.stringify({
        file_type: 4,
        file_name: 'raw.bin',
        file_size: String(SIZE),
        md5: '0'.repeat(32),
        sha1: '0'.repeat(40),
        md5_10m: '0'.repeat(32),
      }),
    })
  ).body.json();
  let next = 0;
  const worker = async () => {
    while (next < prepared.parts.length) {
      const i = next++;
      const start = i * PART;
      const length = Math.min(PART, SIZE - start);
      const res = await request(prepared.parts[i].presigned_url, {
        method: 'PUT',
        body: createReadStream(path, { start, end: start + length - 1 }),
        headers: { 'content-length': String(length) },
      });
      await res.body.dump();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const openApi = async (endpoints) => {
  const { QQOpenAPI } = await import('../dist/src/http/openapi.js');
  return new QQOpenAPI({ appId: 'test-app', secret: 'test-secret', endpoints });
};

// ------------------------------------------------------------------------------------------------ child
// One first upload in a fresh process. `cold`: the upload makes the process's first HTTP request, which pays for
// undici's HTTP parser (WebAssembly, compiled again in the background once it has run). `warm`: one API call first,
// and 1 s for that compilation to end, as in a bot that has run a while. `raw-warm`: the raw PUTs, warmed the same
// way. `first-call`: no upload, the cost itself: one API call in a fresh process and the 1 s after it.
async function child(mode, path, endpoints) {
  const api = await openApi(endpoints);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));
  if (mode === 'first-call') {
    const growth = await rssGrowth(async () => {
      await api.getMe();
      await settle();
    });
    await api.close();
    return growth.growthMB;
  }
  if (mode !== 'cold') {
    await api.getMe();
    await settle();
  }
  const first =
    mode === 'raw-warm'
      ? await rssGrowth(() => rawPuts(endpoints, path))
      : await rssGrowth(() => api.uploadC2CMedia('U1', { fileType: 4, path }));
  await api.close();
  return first.growthMB;
}

if (process.argv[2] === 'child') {
  const [, , , mode, path, endpoints] = process.argv;
  process.send({ growthMB: await child(mode, path, JSON.parse(endpoints)) });
  process.disconnect();
}

function firstInProcess(mode, path, endpoints) {
  return new Promise((resolve, reject) => {
    const proc = fork(new URL(import.meta.url), ['child', mode, path, JSON.stringify(endpoints)], {
      execArgv: ['--expose-gc'],
    });
    proc.once('message', ({ growthMB }) => resolve(growthMB));
    proc.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`upload child ${mode} exited with ${code}`)),
    );
  });
}

// ------------------------------------------------------------------------------------------------ parent

const spread = (values) => ({
  median: round(median(values)),
  max: round(Math.max(...values)),
  runs: values.map((v) => round(v)),
});

export async function run() {
  const loadBefore = loadavg()[0];
  const dir = await mkdtemp(join(tmpdir(), 'qqbot-bench-upload-'));
  const fake = await startRemoteFake();
  try {
    const path = join(dir, 'big.bin');
    await writeFile(path);
    await fake.call('configureChunkedUpload', { blockSize: PART, concurrency: CONCURRENCY });

    const first = { cold: [], warm: [], 'raw-warm': [], 'first-call': [] };
    for (let r = 0; r < FIRST_RUNS; r++) {
      for (const mode of Object.keys(first)) first[mode].push(await firstInProcess(mode, path, fake.endpoints));
    }

    const api = await openApi(fake.endpoints);
    // Warm-up: one upload first, so that every later upload of this process is a "later" one.
    await api.uploadC2CMedia('U1', { fileType: 4, path });
    const client = [];
    const raw = [];
    for (let r = 0; r < RUNS; r++) {
      raw.push(await rssGrowth(() => rawPuts(fake.endpoints, path)));
      client.push(await rssGrowth(() => api.uploadC2CMedia('U1', { fileType: 4, path })));
    }
    await api.close();
    const counters = await fake.call('counters');
    return {
      name: 'upload',
      fileMB: SIZE / MB,
      partMB: PART / MB,
      concurrency: CONCURRENCY,
      rssBoundMB: BOUND_MB,
      firstUploadRssGrowthMB: {
        cold: spread(first.cold),
        warm: spread(first.warm),
        rawPutsWarm: spread(first['raw-warm']),
      },
      firstApiCallRssGrowthMB: spread(first['first-call']),
      firstWarmWithinBound: Math.max(...first.warm) <= BOUND_MB,
      laterUploadRssGrowthMB: {
        client: spread(client.map((c) => c.growthMB)),
        rawPuts: spread(raw.map((c) => c.growthMB)),
      },
      laterWithinBound: Math.max(...client.map((c) => c.growthMB)) <= BOUND_MB,
      clientMBps: round(SIZE / MB / median(client.map((c) => c.seconds))),
      rawPutMBps: round(SIZE / MB / median(raw.map((c) => c.seconds))),
      filesMerged: counters.files,
      loadAverage: { before: round(loadBefore), after: round(loadavg()[0]) },
    };
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] !== 'child') {
  console.log(JSON.stringify(await run(), null, 2));
}
