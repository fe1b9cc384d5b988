import { expect, it } from 'vitest';
import type { QQBotError } from '../../src/errors.js';
import { injectFault, nextEvent, threadOf, useFakeQQ } from '../helpers.js';

const env = useFakeQQ({ heartbeatIntervalMs: 30_000 });
const make = env.make.bind(env);

it('workerStatus() answers from the worker itself over its link', async () => {
  const b = make();
  await b.start();
  await env.fake.emitEvents(3);
  await env.fake.waitFor(() => (b.status()[0]?.seq ?? 0) >= 4, 5_000);
  const status = await b.workerStatus();
  expect(status).toMatchObject({
    phase: 'session',
    threadId: threadOf(b),
    heartbeatIntervalMs: 30_000,
    lastSeq: b.status()[0]?.seq,
  });
  expect(status.sessionId).toBe(b.status()[0]?.sessionId);
});

it('a control call to a hung worker rejects with QQBOT_CONTROL_TIMEOUT at its deadline', async () => {
  const b = make({ chaos: true, timeouts: { controlMs: 300, watchdogMs: 10_000 } });
  await b.start();
  await injectFault('hang', threadOf(b));
  const t0 = Date.now();
  const err = await b.workerStatus().catch((e: unknown) => e as QQBotError);
  expect(err).toMatchObject({ code: 'QQBOT_CONTROL_TIMEOUT', retryable: true });
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
});

it('a pending control call rejects at once when the worker dies, not at its deadline', async () => {
  const b = make({ chaos: true, timeouts: { controlMs: 10_000, watchdogMs: 10_000 } });
  await b.start();
  await injectFault('hang', threadOf(b));
  const pending = b.workerStatus().catch((e: unknown) => e as QQBotError);
  const resumed = nextEvent(b, 'resumed');
  const t0 = Date.now();
  await b.terminateWorker();
  expect(await pending).toMatchObject({ code: 'QQBOT_CONTROL_TIMEOUT' });
  expect(Date.now() - t0).toBeLessThan(5_000);
  await resumed;
});

it('close() on a hung worker gives up on the graceful close after controlMs and terminates it', async () => {
  const b = make({ chaos: true, timeouts: { controlMs: 300, watchdogMs: 10_000 } });
  await b.start();
  await injectFault('hang', threadOf(b));
  const t0 = Date.now();
  await b.close();
  expect(Date.now() - t0).toBeLessThan(3_000);
  expect(b.status()[0]?.state).toBe('closed');
  await env.fake.waitFor(() => env.fake.stats.liveConnections === 0, 3_000);
});

it('close() on a healthy worker sends a close frame (4000: the session stays resumable), not a dropped socket', async () => {
  const b = make();
  await b.start();
  const closed = new Promise<number>((resolve) => env.fake.once('disconnect', ({ code }) => resolve(code)));
  await b.close();
  expect(await closed).toBe(4000);
  expect(env.fake.sessions[0]?.resumable).toBe(true);
});

it('close({ endSession: true }) sends 1000: the platform ends the session', async () => {
  const b = make();
  await b.start();
  const closed = new Promise<number>((resolve) => env.fake.once('disconnect', ({ code }) => resolve(code)));
  await b.close({ endSession: true });
  expect(await closed).toBe(1000);
  expect(env.fake.sessions[0]?.resumable).toBe(false);
});

it('terminateWorker() and workerStatus() before start() reject with QQBOT_CLOSED', async () => {
  const b = make();
  await expect(b.terminateWorker()).rejects.toMatchObject({ code: 'QQBOT_CLOSED' });
  await expect(b.workerStatus()).rejects.toMatchObject({ code: 'QQBOT_CLOSED' });
});
