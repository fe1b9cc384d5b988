import { describe, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import type { QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import {
  collect,
  expectExactlyOnceInOrder,
  injectFault,
  nextEvent,
  threadOf,
  untilCount,
  useFakeQQ,
} from '../helpers.js';

const env = useFakeQQ({ heartbeatIntervalMs: 500 });
const make = env.make.bind(env);

async function untilPhase(b: QQBotConnector, phase: string): Promise<void> {
  await env.fake.waitFor(() => b.status()[0]?.phase === phase && b.status()[0]?.threadId !== null, 5_000);
}

describe('terminateWorker in every phase', () => {
  it('during GET /gateway/bot: the next attempt fetches again and connects', async () => {
    env.fake.hangGatewayBot(1);
    const b = make({ timeouts: { httpMs: 10_000 } });
    const started = b.start();
    await env.fake.waitFor(() => env.fake.stats.gatewayBotCalls === 1, 5_000);
    await untilPhase(b, 'gateway');
    const restart = nextEvent<RestartEvent>(b, 'restart');
    await b.terminateWorker();
    expect(await restart).toMatchObject({ kind: 'worker-died', decision: 'resume' });
    await started;
    expect(env.fake.stats.gatewayBotCalls).toBe(2);
    expect(env.fake.stats.identifies).toHaveLength(1);
  });

  it('before Hello: the socket dies with the thread and the next attempt identifies', async () => {
    env.fake.holdHello(true);
    const b = make();
    const started = b.start();
    await untilPhase(b, 'hello');
    await env.fake.waitFor(() => env.fake.stats.liveConnections === 1, 5_000);
    await b.terminateWorker();
    await env.fake.waitFor(() => env.fake.stats.connections === 2, 5_000);
    env.fake.holdHello(false);
    await started;
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(env.fake.stats.maxConcurrentConnections).toBe(1);
  });

  it('after Identify, before READY: a new Identify, one live connection at a time', async () => {
    env.fake.holdReady(true);
    const b = make();
    const started = b.start();
    await env.fake.waitFor(() => env.fake.stats.identifies.length === 1, 5_000);
    await b.terminateWorker();
    await env.fake.waitFor(() => env.fake.stats.identifies.length === 2, 5_000);
    env.fake.holdReady(false);
    await started;
    expect(env.fake.stats.maxConcurrentConnections).toBe(1);
    expect(b.status()[0]?.state).toBe('ready');
  });

  it('mid-stream while events flow fast: every event exactly once, in order', async () => {
    const b = make();
    const events = collect(b);
    await b.start();
    const total = 3_000;
    const flowing = env.fake.emitEvents(total, { ratePerSec: 6_000 });
    for (let kill = 0; kill < 5; kill++) {
      await untilCount(b, events, Math.floor(((kill + 1) * total) / 7));
      const resumed = nextEvent(b, 'resumed');
      await b.terminateWorker();
      await resumed;
    }
    await flowing;
    await untilCount(b, events, total, 15_000);
    expectExactlyOnceInOrder(events, 0, total);
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(env.fake.stats.resumes).toHaveLength(5);
    expect(env.fake.stats.maxConcurrentPerSession).toBe(1);
    expect(b.status()[0]).toMatchObject({ state: 'ready', restarts: 5 });
  });
});

describe('crashes: the host lives and the session resumes', () => {
  it.each([
    ['an uncaught throw', 'throw', {}, null],
    ['process.exit', 'exit', {}, null],
    [
      'running out of memory under resourceLimits',
      'oom',
      { resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } },
      'ERR_WORKER_OUT_OF_MEMORY',
    ],
  ] as const)('after %s', async (_what, fault, extra, errno) => {
    const b = make({ chaos: true, ...extra });
    const events = collect(b);
    await b.start();
    await env.fake.emitEvents(20);
    await untilCount(b, events, 20);
    const restart = nextEvent<RestartEvent>(b, 'restart');
    const resumed = nextEvent(b, 'resumed');
    await injectFault(fault, threadOf(b));
    expect(await restart).toMatchObject({ kind: 'worker-died', decision: 'resume' });
    await env.fake.emitEvents(20);
    await resumed;
    await untilCount(b, events, 40);
    expectExactlyOnceInOrder(events, 0, 40);
    expect(b.status()[0]?.lastError).toMatchObject({ code: 'QQBOT_WORKER_DIED', details: { cause: 'crashed', errno } });
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(env.fake.stats.maxConcurrentPerSession).toBe(1);
  });

  it('after a busy loop: the watchdog terminates the hung thread and the session resumes', async () => {
    const b = make({ chaos: true, timeouts: { watchdogMs: 300 } });
    const events = collect(b);
    await b.start();
    const restart = nextEvent<RestartEvent>(b, 'restart');
    const resumed = nextEvent(b, 'resumed');
    await injectFault('hang', threadOf(b));
    await env.fake.emitEvents(10);
    expect(await restart).toMatchObject({ kind: 'worker-died' });
    await resumed;
    await untilCount(b, events, 10);
    expectExactlyOnceInOrder(events, 0, 10);
    expect(b.status()[0]?.lastError).toMatchObject({ code: 'QQBOT_WORKER_HUNG', details: { cause: 'hung' } });
  });
});

describe('bootstrap failure', () => {
  it('a worker file that cannot load is fatal with QQBOT_WORKER_BOOTSTRAP, not a restart loop', async () => {
    const b = make({ workerFile: '/nonexistent/worker.js' });
    const restarts: RestartEvent[] = [];
    b.on('restart', (e) => restarts.push(e));
    const err = await b.start().then(
      () => expect.fail('start() resolved without a worker'),
      (e: unknown) => e as QQBotError,
    );
    expect(err).toMatchObject({ code: 'QQBOT_WORKER_BOOTSTRAP', retryable: false });
    expect(restarts).toHaveLength(0);
  });
});
