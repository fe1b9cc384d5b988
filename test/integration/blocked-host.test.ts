import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import type { FakeQQServer } from '../../src/testing/index.js';
import { collect, connectorFor, expectExactlyOnceInOrder, untilCount } from '../helpers.js';

const HEARTBEAT_MS = 200;
let thread: Worker | undefined;
let bot: QQBotConnector | undefined;

afterEach(async () => {
  await bot?.close();
  await thread?.terminate();
  bot = undefined;
  thread = undefined;
});

/** A fake QQ in its own thread: blocking this thread must not block the server's ACKs. */
async function fakeInThread(): Promise<{
  endpoints: FakeQQServer['endpoints'];
  call(cmd: string, arg?: unknown): Promise<FakeQQServer['stats']>;
}> {
  // Like the platform, the fake ends a session that misses heartbeats: a heartbeat driven from the blocked
  // main thread would lose the session here.
  thread = new Worker(fileURLToPath(new URL('../fixtures/fake-in-thread.js', import.meta.url)), {
    workerData: { heartbeatIntervalMs: HEARTBEAT_MS, heartbeatTimeoutMs: 2 * HEARTBEAT_MS },
  });
  const worker = thread;
  const [{ endpoints }] = (await once(worker, 'message')) as [{ endpoints: FakeQQServer['endpoints'] }];
  let next = 0;
  return {
    endpoints,
    async call(cmd, arg) {
      const id = next++;
      worker.postMessage({ id, cmd, arg });
      for (;;) {
        const [reply] = (await once(worker, 'message')) as [{ id: number; stats: FakeQQServer['stats'] }];
        if (reply.id === id) return reply.stats;
      }
    },
  };
}

it('keeps the session while the main thread is blocked for 3 heartbeat intervals', async () => {
  const fake = await fakeInThread();
  bot = connectorFor({ endpoints: fake.endpoints } as FakeQQServer);
  const events = collect(bot);
  await bot.start();
  const until = Date.now() + 3 * HEARTBEAT_MS + 100;
  while (Date.now() < until) {
    // Busy: the host's main thread is stuck; heartbeats come from the worker's own event loop.
  }
  const stats = await fake.call('emit', 2);
  await untilCount(bot, events, 2);
  expectExactlyOnceInOrder(events, 0, 2);
  expect(stats.connections).toBe(1);
  expect(stats.heartbeatAcks).toBeGreaterThanOrEqual(3);
  expect(bot.status()[0]).toMatchObject({ state: 'ready', restarts: 0 });
});
