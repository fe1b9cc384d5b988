import { afterEach, expect, it } from 'vitest';
import { ShardDelivery } from '../../src/delivery/pipeline.js';
import type { ReadyEvent, ResumedEvent } from '../../src/events.js';
import { resolveOptions } from '../../src/options.js';
import { InProcessRunner } from '../../src/runners/in-process-runner.js';
import { ThreadPool } from '../../src/runners/thread-pool.js';
import { ThreadRunner } from '../../src/runners/thread-runner.js';
import { registerAttempt } from '../../src/transports/attempts.js';
import '../../src/transports/websocket/websocket-entry.js';
import { DEFAULT_CHECKPOINT, ShardCheckpointer } from '../../src/store/checkpointer.js';
import { MemorySessionStore } from '../../src/store/session-store.js';
import { ShardSupervisor } from '../../src/supervisor/shard-supervisor.js';
import type { AttemptRunner } from '../../src/runners/runner.js';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { ScriptedTokens } from './scripted-runner.js';
import { LATE_THIRD_ENTRY, SLOW_THIRD_ENTRY, ThirdTransport } from './third-transport.js';

// A transport the library does not ship, run by the real supervisor on real worker threads: its attempt module
// (test/fixtures/third-attempt.js) is loaded by the worker from the spec's `entry`. Nothing in src/ changed for it.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function supervise(runner: AttemptRunner, transport: ThirdTransport) {
  const options = resolveOptions({ appId: 'app', secret: 'secret', intents: 1, restart: { minDelayMs: 1 } });
  const seen = { ready: [] as ReadyEvent[], resumed: [] as ResumedEvent[], errors: [] as QQBotError[] };
  const store = new MemorySessionStore();
  const tokens = new ScriptedTokens();
  const noop = { dispatch: () => undefined, refused: (e: QQBotError) => seen.errors.push(e) };
  const supervisor = new ShardSupervisor(0, 1, {
    options,
    transport,
    runner,
    tokens,
    delivery: new ShardDelivery(0, 64, noop, 'app'),
    store,
    checkpointer: new ShardCheckpointer(0, store, DEFAULT_CHECKPOINT, 64, (e) => seen.errors.push(e)),
    sink: {
      ready: (e) => seen.ready.push(e),
      resumed: (e) => seen.resumed.push(e),
      restart: () => undefined,
      error: (e) => seen.errors.push(e),
      debug: () => undefined,
      debugEnabled: () => false,
    },
    identifyGate: undefined,
  });
  cleanups.push(async () => {
    await supervisor.close();
    await runner.close();
  });
  return { supervisor, seen, tokens };
}

/** Resolves once `predicate()` holds, checked every 5 ms, or fails after 10 s. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

it('a third transport runs in a worker thread from its own module: ready, its own events, resumed after the thread is killed', async () => {
  const transport = new ThirdTransport();
  const runner = new ThreadRunner({
    pool: new ThreadPool({ sessionsPerThread: 1 }),
    watchdogMs: 5_000,
    controlMs: 2_000,
    onError: () => undefined,
  });
  const { supervisor, seen, tokens } = supervise(runner, transport);
  await supervisor.start();
  const first = supervisor.status().threadId;
  await until(() => transport.payloads.length === 4, "the attempt's own events");
  expect(transport.payloads).toEqual(['up', ...[1, 2, 3].map((n) => ({ n, shard: [0, 1] }))]);
  expect(seen.ready).toEqual([{ shard: 0, sessionId: '', user: null, newSession: true }]);
  // The worker runs the attempt itself: its status crosses the link.
  expect(await supervisor.workerStatus()).toMatchObject({ phase: 'session', threadId: first });

  await supervisor.terminateWorker();
  await until(() => seen.resumed.length === 1, 'resumed on another thread');
  expect(supervisor.status()).toMatchObject({ state: 'ready', restarts: 1 });
  expect(supervisor.status().threadId).not.toBe(first);
  expect(tokens.calls).toEqual([]);
  expect(seen.errors).toEqual([]);
});

it('a transport module that holds its thread longer than watchdogMs while it loads is not taken for hung', async () => {
  const transport = new ThirdTransport(SLOW_THIRD_ENTRY);
  const runner = new ThreadRunner({
    pool: new ThreadPool({ sessionsPerThread: 1 }),
    watchdogMs: 300,
    controlMs: 2_000,
    onError: () => undefined,
  });
  const { supervisor, seen } = supervise(runner, transport);
  await supervisor.start();
  await until(() => transport.payloads.length === 4, "the attempt's own events");
  // Loaded once, in the first thread: no restart, nothing reported (a hung thread would restart the attempt).
  expect(supervisor.status()).toMatchObject({ state: 'ready', restarts: 0 });
  expect(seen.errors).toEqual([]);
  // A spare thread loads the module at boot, under the same limit; the session moved onto it resumes.
  await supervisor.terminateWorker();
  await until(() => seen.resumed.length === 1, 'resumed on another thread');
  expect(supervisor.status()).toMatchObject({ state: 'ready', restarts: 1 });
  expect(seen.errors).toEqual([]);
});

it('while one attempt waits for its transport module, the other attempts on its thread are answered', async () => {
  const pool = new ThreadPool({ sessionsPerThread: 2 });
  const runner = () => new ThreadRunner({ pool, watchdogMs: 5_000, controlMs: 300, onError: () => undefined });
  const running = supervise(runner(), new ThirdTransport());
  await running.supervisor.start();
  const late = new ThirdTransport(LATE_THIRD_ENTRY, 'third-late');
  const waiting = supervise(runner(), late);
  const started = waiting.supervisor.start();
  await until(() => waiting.supervisor.status().threadId !== null, 'the second session placed');
  // Both on one thread (the pool packs sessions), the second one's module still in its 1 s top-level await.
  expect(waiting.supervisor.status().threadId).toBe(running.supervisor.status().threadId);
  expect(late.payloads).toEqual([]);
  // A control call on the first attempt is answered within controlMs (300 ms), not held behind the load.
  expect(await running.supervisor.workerStatus()).toMatchObject({ phase: 'session' });
  await started;
  await until(() => late.payloads.length === 4, "the late attempt's own events");
  expect(running.seen.errors).toEqual([]);
  expect(waiting.seen.errors).toEqual([]);
});

it('a transport whose module registered nothing ends as a worker that cannot load: fatal, QQBOT_WORKER_BOOTSTRAP', async () => {
  const transport = new ThirdTransport();
  // In process, nothing imported the module (it registers in the build's table): the name is unknown here.
  const { supervisor } = supervise(new InProcessRunner(), transport);
  const error = await supervisor.start().then(
    () => undefined,
    (err: unknown) => err as QQBotError,
  );
  expect(error?.code).toBe(ErrorCodes.WORKER_BOOTSTRAP);
  expect(supervisor.state).toBe('fatal');
});

it('a transport name is registered once: the same factory again is fine, another one is refused', () => {
  const factory = () => new ThirdTransport() as never;
  registerAttempt('registered-once', factory);
  expect(() => registerAttempt('registered-once', factory)).not.toThrow();
  expect(() => registerAttempt('registered-once', () => new ThirdTransport() as never)).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
  // The built-in transports' names are taken too, once their modules loaded.
  expect(() => registerAttempt('websocket', factory)).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
});
