// bench/upload: a 200 MB file through QQOpenAPI.uploadC2CMedia (the chunked protocol, default options) against raw
// PUTs of the same parts to the same presigned URLs, in the same run; the fake runs in a child process so the
// host's RSS is the client's alone. Figures: host RSS growth during the upload (sampled every 10 ms; the bound is
// 2 × part size + 16 MB), and MB/s of each. Not in CI. Needs `npm run build`. Run alone: `node bench/upload.js`.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
const RUNS = 3;
const MB = 1024 * 1024;

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

export async function run() {
  const { QQOpenAPI } = await import('../dist/src/http/openapi.js');
  const dir = await mkdtemp(join(tmpdir(), 'qqbot-bench-upload-'));
  const fake = await startRemoteFake();
  try {
    const path = join(dir, 'big.bin');
    await writeFile(path);
    await fake.call('configureChunkedUpload', { blockSize: PART, concurrency: CONCURRENCY });
    const api = new QQOpenAPI({ appId: 'test-app', secret: 'test-secret', endpoints: fake.endpoints });
    // Warm-up: one upload of the same file first, so that module loading, JIT and the heap's first growth are not
    // counted as the upload's (the figures of that first run are reported apart).
    const first = await rssGrowth(() => api.uploadC2CMedia('U1', { fileType: 4, path }));
    const client = [];
    const raw = [];
    for (let r = 0; r < RUNS; r++) {
      raw.push(await rssGrowth(() => rawPuts(fake.endpoints, path)));
      client.push(await rssGrowth(() => api.uploadC2CMedia('U1', { fileType: 4, path })));
    }
    await api.close();
    const counters = await fake.call('counters');
    const boundMB = (2 * PART) / MB + 16;
    const clientGrowth = median(client.map((c) => c.growthMB));
    return {
      name: 'upload',
      fileMB: SIZE / MB,
      partMB: PART / MB,
      concurrency: CONCURRENCY,
      runs: RUNS,
      clientMBps: round(SIZE / MB / median(client.map((c) => c.seconds))),
      rawPutMBps: round(SIZE / MB / median(raw.map((c) => c.seconds))),
      clientRssGrowthMB: round(clientGrowth),
      maxClientRssGrowthMB: round(Math.max(...client.map((c) => c.growthMB))),
      rawRssGrowthMB: round(median(raw.map((c) => c.growthMB))),
      rssBoundMB: boundMB,
      withinBound: Math.max(...client.map((c) => c.growthMB)) <= boundMB,
      firstRunRssGrowthMB: round(first.growthMB),
      filesMerged: counters.files,
    };
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
