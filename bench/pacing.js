// bench/pacing: 60 sends at once to one channel the fake limits to 5 per second (HTTP 429 with Retry-After, and
// code 22009 with retry_after in the body), through QQOpenAPI with default options. Figures: attempts, rate-limit
// answers (the target is ≤ 20 % of attempts), total time against the ideal (the last of 60 sends at 5/s can land
// no sooner than 11 s after the first), and the latency of one send to another channel started at the same time
// (it must not wait behind the burst). The fake runs in a child process. Not in CI. Run alone: `node bench/pacing.js`.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startRemoteFake } from './fake-remote.js';
import { median, round } from './stats.js';

const SENDS = 60;
const PER_SECOND = 5;
const RUNS = 3;

async function burst(QQOpenAPI, answer) {
  const fake = await startRemoteFake();
  try {
    await fake.call('limitSends', PER_SECOND, { answer });
    const api = new QQOpenAPI({ appId: 'test-app', secret: 'test-secret', endpoints: fake.endpoints });
    await api.getMe(); // the token, so the burst measures sends only
    const started = performance.now();
    const sends = Array.from({ length: SENDS }, (_, n) => api.sendChannelMessage('C1', { content: `m${n}` }));
    const other = api.sendChannelMessage('C2', { content: 'other' }).then(() => performance.now() - started);
    const results = await Promise.allSettled(sends);
    const seconds = (performance.now() - started) / 1000;
    const otherMs = await other;
    await api.close();
    const counters = await fake.call('counters');
    const landed = results.filter((r) => r.status === 'fulfilled').length;
    // Requests to C1: every attempt minus the token-free GET and the C2 send.
    const attempts = counters.requests - 2;
    return { landed, attempts, rateLimited: counters.rateLimited, seconds, otherMs };
  } finally {
    await fake.close();
  }
}

export async function run() {
  const { QQOpenAPI } = await import('../dist/src/http/openapi.js');
  // The first 5 land at once, then 5 more each second.
  const idealSeconds = (SENDS - PER_SECOND) / PER_SECOND;
  const out = { name: 'pacing', sends: SENDS, perSecond: PER_SECOND, runs: RUNS, idealSeconds: round(idealSeconds) };
  for (const answer of [429, 22009]) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await burst(QQOpenAPI, answer));
    out[`answer${answer}`] = {
      landed: Math.min(...runs.map((r) => r.landed)),
      attempts: median(runs.map((r) => r.attempts)),
      rateLimited: median(runs.map((r) => r.rateLimited)),
      rateLimitedShare: round(median(runs.map((r) => r.rateLimited / r.attempts)) * 100) + ' %',
      seconds: round(median(runs.map((r) => r.seconds))),
      vsIdeal: round(median(runs.map((r) => r.seconds)) / idealSeconds, 2),
      otherTargetMs: round(median(runs.map((r) => r.otherMs))),
    };
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
