import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { afterAll, afterEach } from 'vitest';
import type { DeliveryClaims } from '../../src/store/delivery-claims.js';
import { RedisSessionStore } from '../../src/store/redis-session-store.js';

/** The CI Redis (.ci/run starts it when it does not answer). */
export const REDIS_URL = 'redis://127.0.0.1:6379';

/** Every test key starts so, then the pid of the test process that made it: see {@link sweepDeadRuns}. */
const TEST_KEYS = 'qqbot-test:';

/** A key prefix no other run, test file or test uses. */
export function uniquePrefix(): string {
  return `${TEST_KEYS}${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/**
 * Runs every cleanup, last registered first, each even when an earlier one failed (a bot that fails to close must
 * not keep its prefix's keys in Redis), then rethrows the first failure.
 */
export async function runCleanups(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => failures.push(err));
  if (failures.length > 0) throw failures[0];
}

/**
 * Deletes the test keys of test processes that are gone: a test process killed before its afterEach (a run stopped
 * with a signal, a fork ended by the runner) leaves its prefixes behind. A live process's keys are never touched
 * (other runs share this Redis); `process.kill(pid, 0)` only asks whether the pid exists. Returns how many keys went.
 */
export async function sweepDeadRuns(url = REDIS_URL): Promise<number> {
  const dead = new Map<string, boolean>();
  const isDead = (pid: string): boolean => {
    let known = dead.get(pid);
    if (known === undefined) {
      try {
        process.kill(Number(pid), 0);
        known = false;
      } catch (err) {
        known = (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
      dead.set(pid, known);
    }
    return known;
  };
  const stale = (await keysUnder(TEST_KEYS, url)).filter((key) => {
    const pid = key.slice(TEST_KEYS.length).split(':', 1)[0] ?? '';
    return /^\d+$/.test(pid) && isDead(pid);
  });
  return deleteKeys(stale, url);
}

/** A client that fails at once while Redis is away, rather than retrying until the test's timeout. */
async function connect(url: string) {
  const client = createClient({ url, socket: { connectTimeout: 5_000, reconnectStrategy: false } });
  await client.connect();
  return client;
}

/** Every key under `prefix`, read straight from the server. */
export async function keysUnder(prefix: string, url = REDIS_URL): Promise<string[]> {
  const client = await connect(url);
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    return keys.sort();
  } finally {
    client.destroy();
  }
}

/** Deletes `keys`; returns how many there were. */
async function deleteKeys(keys: string[], url: string): Promise<number> {
  if (keys.length === 0) return 0;
  const client = await connect(url);
  try {
    await client.del(keys);
  } finally {
    client.destroy();
  }
  return keys.length;
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deleteKeysUnder(prefix: string, url = REDIS_URL): Promise<number> {
  return deleteKeys(await keysUnder(prefix, url), url);
}

/** Writes a raw value, as another program (or a damaged restore) might have. */
export async function setRaw(key: string, value: string, url = REDIS_URL): Promise<void> {
  const client = await connect(url);
  try {
    await client.set(key, value);
  } finally {
    client.destroy();
  }
}

/** A key's value and its remaining time to live in ms (`-2`: no such key), read straight from the server. */
export async function getRaw(key: string, url = REDIS_URL): Promise<{ value: string | null; pttl: number }> {
  const client = await connect(url);
  try {
    return { value: await client.get(key), pttl: await client.pTTL(key) };
  } finally {
    client.destroy();
  }
}

/** A port nothing listens on (taken from the kernel, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A private redis-server on its own port, to take away and bring back in a test (the shared one on 6379 is
 * never stopped). Nothing kept on disk.
 */
export class PrivateRedis {
  readonly port: number;
  readonly url: string;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(port?: number): Promise<PrivateRedis> {
    const redis = new PrivateRedis(port ?? (await freePort()));
    await redis.up();
    return redis;
  }

  /** Starts the server (again) on the same port; resolves once it accepts connections. */
  async up(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${out}`));
      });
    });
  }

  /** Kills the server; resolves once the process is gone. */
  async down(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/**
 * The claims of "processes" sharing one Redis under a unique prefix: each `claims()` is a new RedisSessionStore
 * (its own connection, as another process would have). Registers the cleanup: stores closed after each test,
 * keys deleted after the file.
 */
export function sharedClaims(): { prefix: string; claims(): DeliveryClaims } {
  const prefix = uniquePrefix();
  const stores: RedisSessionStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await deleteKeysUnder(prefix);
  });
  return {
    prefix,
    claims: () => {
      const store = new RedisSessionStore({ url: REDIS_URL, prefix });
      stores.push(store);
      return store.claims;
    },
  };
}
