// Host processes for the multi-process benches (failover, rolling-deploy): each runs
// test/fixtures/store-host.js (a connector with default options) and writes one JSON line per event. A HostFleet
// starts them, keeps a ledger of every delivery across the fleet, and waits for conditions on it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { FakeQQServer } from '../dist/src/testing/index.js';

const HOST = fileURLToPath(new URL('../test/fixtures/store-host.js', import.meta.url));
const REDIS_URL = 'redis://127.0.0.1:6379';

/** A store of `kind` with default options, and how to remove what it left. */
export async function benchStore(kind) {
  if (kind === 'file') {
    const dir = await mkdtemp(join(tmpdir(), 'qqbot-bench-'));
    return {
      store: { kind: 'file', path: join(dir, 'session.json') },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const prefix = `qqbot-bench:${randomBytes(4).toString('hex')}:`;
  return { store: { kind: 'redis', url: REDIS_URL, prefix }, cleanup: () => deleteUnder(prefix) };
}

async function deleteUnder(prefix) {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) if (keys.length > 0) await client.del(keys);
  client.destroy();
}

/**
 * Every delivery across the fleet, per takeover: a duplicate is a seq delivered before (by any process), and the
 * `redelivered` flag is right when it marks exactly those. `overFlagged` counts flagged events never delivered
 * before (the honest-flag target: at most one checkpoint batch per takeover).
 */
class Ledger {
  delivered = new Set();
  duplicates = 0;
  unflaggedDuplicates = 0;
  overFlagged = 0;

  add(record) {
    const seen = this.delivered.has(record.seq);
    if (seen) this.duplicates += 1;
    if (seen && !record.redelivered) this.unflaggedDuplicates += 1;
    if (!seen && record.redelivered) this.overFlagged += 1;
    this.delivered.add(record.seq);
  }

  /** The counters so far, to subtract from later ones (per takeover). */
  snapshot() {
    return {
      duplicates: this.duplicates,
      unflaggedDuplicates: this.unflaggedDuplicates,
      overFlagged: this.overFlagged,
    };
  }
}

/**
 * Runs `body(fleet)` against a fresh FakeQQServer and a store of `kind` (default options): the first host process
 * has its session and a 200 events/s stream runs. Then waits for every event and adds the fleet-wide counts to
 * what `body` returned. Cleans up processes, the fake and the store whatever happens.
 */
export async function withFleet(kind, body) {
  const fake = await FakeQQServer.start();
  const { store, cleanup } = await benchStore(kind);
  const fleet = new HostFleet({ endpoints: fake.endpoints, store });
  const stop = new AbortController();
  try {
    fleet.start();
    await fleet.until(() => fleet.holder !== undefined, 20_000, 'the first session');
    const stream = fake.emitEvents(1_000_000, { ratePerSec: 200, signal: stop.signal });
    const result = await body(fleet);
    stop.abort();
    const sent = await stream;
    const { ledger } = fleet;
    await fleet.until(() => sent.every((seq) => ledger.delivered.has(seq)), 20_000, 'every event');
    return {
      store: kind,
      ...result,
      eventsSent: sent.length,
      lost: sent.filter((seq) => !ledger.delivered.has(seq)).length,
      duplicates: ledger.duplicates,
      unflaggedDuplicates: ledger.unflaggedDuplicates,
      identifies: fake.stats.identifies.length,
      maxConcurrentPerSession: fake.stats.maxConcurrentPerSession,
    };
  } finally {
    stop.abort();
    await fleet.close();
    await fake.close();
    await cleanup();
  }
}

export class HostFleet {
  ledger = new Ledger();
  /** The process holding the session: its child and the READY/RESUMED record that made it so. */
  holder;
  #config;
  #hosts = new Map();
  #waiters = new Set();

  constructor(config) {
    this.#config = config;
  }

  start() {
    const child = spawn(process.execPath, [HOST, JSON.stringify(this.#config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // 'close' comes after the last line was read: a dead process's deliveries are all in the ledger by then.
    const closed = new Promise((resolve) => child.once('close', resolve));
    createInterface({ input: child.stdout }).on('line', (line) => this.#onRecord(child, JSON.parse(line)));
    const host = { child, closed, up: false };
    this.#hosts.set(child, host);
    return host;
  }

  /** Sends `signal` to `host` and waits until it is gone. */
  async stop(host, signal) {
    host.child.kill(signal);
    await host.closed;
    this.#hosts.delete(host.child);
  }

  until(predicate, ms, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }

  async close() {
    for (const host of this.#hosts.values()) {
      host.child.kill('SIGKILL');
      await host.closed;
    }
    this.#hosts.clear();
  }

  #onRecord(child, record) {
    if (record.kind === 'dispatch') this.ledger.add(record);
    if (record.kind === 'up') this.#hosts.get(child).up = true;
    if (record.kind === 'ready' || record.kind === 'resumed') this.holder = { host: this.#hosts.get(child), record };
    this.#waiters.forEach((w) => w());
  }
}
