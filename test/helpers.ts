import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { afterEach, beforeEach, expect } from 'vitest';
import { QQBotConnector } from '../src/connector.js';
import type { DispatchEvent } from '../src/events.js';
import { QQBotError } from '../src/errors.js';
import { Intents } from '../src/protocol/intents.js';
import type { QQBotConnectorOptions } from '../src/options.js';
import { ThreadPool } from '../src/runners/thread-pool.js';
import { ThreadRunner } from '../src/runners/thread-runner.js';
import { FakeQQServer, type FakeQQServerOptions } from '../src/testing/index.js';

export const CHAOS_WORKER = fileURLToPath(new URL('./fixtures/chaos-worker.js', import.meta.url));

/** Short timeouts so failure paths finish in milliseconds on loopback. */
export const FAST = {
  timeouts: { httpMs: 1_000, handshakeMs: 1_000, helloMs: 1_000, readyMs: 2_000, watchdogMs: 1_000, controlMs: 1_000 },
  restart: { minDelayMs: 10, maxDelayMs: 100, maxRestarts: 50, windowMs: 60_000, stableAfterMs: 30_000 },
} as const;

/** Connector options for tests; `chaos` swaps in the fault-injecting worker, `workerFile` any worker file. */
export type Overrides = Partial<QQBotConnectorOptions> & { chaos?: boolean; workerFile?: string };

/**
 * A thread runner on a pool of another worker entry (default pool settings, or `pool`: several connectors may
 * share one), configured as the connector would configure its own.
 */
export function threadRunnerFor(
  workerFile: string,
  options: Partial<QQBotConnectorOptions> = {},
  pool?: ThreadPool,
): ThreadRunner {
  const timeouts = { ...FAST.timeouts, ...options.timeouts };
  return new ThreadRunner({
    pool:
      pool ??
      new ThreadPool(
        options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits },
        workerFile,
      ),
    watchdogMs: timeouts.watchdogMs,
    controlMs: timeouts.controlMs,
    onError: () => undefined,
  });
}

export function connectorFor(fake: Pick<FakeQQServer, 'endpoints'>, overrides: Overrides = {}): QQBotConnector {
  const { chaos, workerFile, ...rest } = overrides;
  const file = workerFile ?? (chaos === true ? CHAOS_WORKER : undefined);
  const options = {
    appId: 'test-app',
    secret: 'test-secret',
    intents: Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES,
    endpoints: fake.endpoints,
    ...FAST,
    ...rest,
  };
  return new QQBotConnector(file === undefined ? options : { ...options, runner: threadRunnerFor(file, options) });
}

/**
 * A fresh FakeQQServer per test and a `make()` for the connector under test; both are closed after each test.
 * Read `env.fake` inside tests (it is replaced before each one).
 */
export function useFakeQQ(options: FakeQQServerOptions = {}): {
  readonly fake: FakeQQServer;
  make(overrides?: Overrides): QQBotConnector;
} {
  let fake: FakeQQServer | undefined;
  let bot: QQBotConnector | undefined;
  beforeEach(async () => {
    fake = await FakeQQServer.start(options);
  });
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
    await fake?.close();
    fake = undefined;
  });
  return {
    get fake(): FakeQQServer {
      if (fake === undefined) throw new Error('useFakeQQ: the fake exists only inside a test');
      return fake;
    },
    make(overrides: Overrides = {}): QQBotConnector {
      bot = connectorFor(this.fake, overrides);
      return bot;
    },
  };
}

/** The thread hosting shard 0 right now. */
export function threadOf(bot: QQBotConnector): number {
  const threadId = bot.status()[0]?.threadId;
  if (typeof threadId !== 'number') throw new Error('no worker thread hosts shard 0');
  return threadId;
}

/** Records every dispatch the host receives. */
export function collect(bot: QQBotConnector): DispatchEvent[] {
  const seen: DispatchEvent[] = [];
  bot.on('dispatch', (e) => seen.push(e));
  return seen;
}

/** Waits until `events` holds `count` events (or fails after `timeoutMs`), without sleeping blindly. */
export async function untilCount(
  bot: QQBotConnector,
  events: unknown[],
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  if (events.length >= count) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      bot.off('dispatch', check);
      reject(new Error(`only ${events.length} of ${count} events within ${timeoutMs} ms`));
    }, timeoutMs);
    function check(): void {
      if (events.length >= count) {
        clearTimeout(timer);
        bot.off('dispatch', check);
        resolve();
      }
    }
    bot.on('dispatch', check);
  });
}

/** The numbered events `emitEvents` made (`data.n`) arrived each exactly once, in order. */
export function expectExactlyOnceInOrder(events: DispatchEvent[], first: number, count: number): void {
  const ns = events.map((e) => (e.data as { n: number }).n);
  expect(ns.length).toBe(count);
  expect(ns).toEqual(Array.from({ length: count }, (_, i) => first + i));
  const seqs = events.map((e) => e.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] as number);
}

/** Tells the chaos worker hosting `threadId` to misbehave; resolves once it acknowledged, just before the fault. */
export function injectFault(fault: 'throw' | 'exit' | 'oom' | 'hang', threadId: number): Promise<void> {
  const channel = new BroadcastChannel('qqbot-chaos');
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.close();
      reject(new Error(`thread ${threadId} did not acknowledge fault ${fault}`));
    }, 5_000);
    channel.onmessage = (message: unknown) => {
      const data = (message as { data: { ack?: string; threadId?: number } }).data;
      if (data.ack !== fault || data.threadId !== threadId) return;
      clearTimeout(timer);
      channel.close();
      resolve();
    };
    channel.postMessage({ fault, threadId });
  });
}

/**
 * What the chaos worker hosting `threadId` received as its task, and the environment it sees, as JSON
 * (ports and shared memory left out).
 */
export function reportTask(threadId: number): Promise<{ task: string; env: string }> {
  const channel = new BroadcastChannel('qqbot-chaos');
  return new Promise<{ task: string; env: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.close();
      reject(new Error(`thread ${threadId} did not report its task`));
    }, 5_000);
    channel.onmessage = (message: unknown) => {
      const data = (message as { data: { task?: string; env?: string; threadId?: number } }).data;
      if (data.task === undefined || data.env === undefined || data.threadId !== threadId) return;
      clearTimeout(timer);
      channel.close();
      resolve({ task: data.task, env: data.env });
    };
    channel.postMessage({ report: 'task', threadId });
  });
}

/**
 * The next `name` event's payload. Not `events.once`: that one also rejects when the emitter emits `'error'`,
 * which the connector does for handled problems while it goes on.
 */
export function nextEvent<T = unknown>(
  bot: QQBotConnector,
  name: 'ready' | 'resumed' | 'restart' | 'fatal' | 'error',
): Promise<T> {
  return new Promise<T>((resolve) => {
    bot.once(name, (value: unknown) => resolve(value as T));
  });
}

/** The QQBotError a promise rejects with; fails the test if it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>): Promise<QQBotError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof QQBotError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

/** The code of the QQBotError `fn` throws synchronously; `undefined` when it does not throw. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof QQBotError ? err.code : 'not a QQBotError';
  }
  return undefined;
}
