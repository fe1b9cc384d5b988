import { once } from 'node:events';
import type { Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import type { DispatchEvent } from '../../src/events.js';
import type { QQBotError } from '../../src/errors.js';
import { FakeQQServer, selfSignedCert } from '../../src/testing/index.js';
import { threadRunnerFor } from '../helpers.js';
import { exportPublicKey, webhookKeyPair } from '../../src/transports/webhook/signature.js';
import { APP_ID, SECRET } from './helpers.js';

const FLOOD = fileURLToPath(new URL('../fixtures/webhook-flood.js', import.meta.url));
const SPY_WORKER = fileURLToPath(new URL('../fixtures/spy-worker.js', import.meta.url));

let bot: QQBotConnector | undefined;
let fake: FakeQQServer | undefined;
let server: Server | undefined;

afterEach(async () => {
  await bot?.close();
  await fake?.close();
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
  }
  bot = undefined;
  fake = undefined;
  server = undefined;
});

/** Every event number the host received, to check for losses and duplicates. */
function record(connector: QQBotConnector): number[] {
  const seen: number[] = [];
  connector.on('dispatch', (e: DispatchEvent) => seen.push((e.data as { n: number }).n));
  return seen;
}

function exactlyOnce(seen: number[], count: number): void {
  expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
}

describe('the webhook transport (listener in a worker thread)', () => {
  it('with default options, serves HTTPS: ready once bound, each event delivered once, acked', async () => {
    const tls = selfSignedCert();
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0, tls } });
    const seen = record(bot);
    const ready = once(bot, 'ready');
    expect(bot.webhookAddress()).toBeNull();
    await bot.start();
    await ready;
    const address = bot.webhookAddress();
    expect(address).toMatchObject({ address: '127.0.0.1' });
    expect(bot.status()[0]).toMatchObject({ state: 'ready' });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: `https://127.0.0.1:${address!.port}/qqbot`, ca: tls.cert });
    await fake.emitEvents(200);
    exactlyOnce(seen, 200);
    expect(fake.callbackStats).toMatchObject({ acked: 200, gaveUp: 0, rejections: [] });
  });

  it('drops platform redeliveries: the same id three times reaches the listener once', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    const seen: DispatchEvent[] = [];
    bot.on('dispatch', (e) => seen.push(e));
    await bot.start();
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: `http://127.0.0.1:${bot.webhookAddress()!.port}/qqbot` });
    const body = JSON.stringify({
      op: 0,
      id: 'evt-dup',
      t: 'C2C_MESSAGE_CREATE',
      d: { id: 'msg-1', content: 'hi', author: { user_openid: 'u' }, timestamp: '2024-10-15T16:33:15+08:00' },
    });
    for (let i = 0; i < 3; i++) expect((await fake.sendCallback(body)).status).toBe(200);
    expect(seen.map((e) => e.id)).toEqual(['evt-dup']);
    expect(seen[0]).toMatchObject({ shard: 0, seq: -1, type: 'C2C_MESSAGE_CREATE', data: { content: 'hi' } });
    expect(bot.status()[0]!.duplicatesDropped).toBe(2);
  });

  it('never lets forged or replayed requests reach a listener', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    const seen = record(bot);
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    await bot.start();
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: `http://127.0.0.1:${bot.webhookAddress()!.port}/qqbot` });
    const body = JSON.stringify({ op: 0, id: 'evt-x', t: 'C2C_MESSAGE_CREATE', d: { n: 1 } });
    expect((await fake.sendCallback(body, { signature: 'forged' })).status).toBe(401);
    expect((await fake.sendCallback(body, { signature: 'none' })).status).toBe(401);
    expect((await fake.sendCallback(body, { timestamp: String(Math.floor(Date.now() / 1000) - 600) })).status).toBe(
      401,
    );
    await fake.waitFor(() => errors.length > 0, 5_000);
    expect(errors[0]).toMatchObject({
      code: 'QQBOT_WEBHOOK_REFUSED',
      details: { total: 3, signature: 2, timestamp: 1 },
    });
    expect(seen).toEqual([]);
  });

  it('with default options, comes back after its worker is killed with requests in flight: nothing lost, nothing twice', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    const seen = record(bot);
    await bot.start();
    const port = bot.webhookAddress()!.port;
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: `http://127.0.0.1:${port}/qqbot`, retryDelayMs: 300, timeoutMs: 2_000 });
    const emitting = fake.emitEvents(600, { ratePerSec: 1_000 });
    for (const after of [100, 300]) {
      await fake.waitFor(() => fake!.callbackStats.acked >= after, 10_000);
      await bot.terminateWorker();
    }
    await emitting;
    exactlyOnce(seen, 600);
    expect(fake.callbackStats.gaveUp).toBe(0);
    // The kills cost requests in flight (redelivered), and the listener came back on the same port.
    expect(fake.callbackStats.retries).toBeGreaterThan(0);
    expect(bot.webhookAddress()!.port).toBe(port);
    expect(bot.status()[0]).toMatchObject({ state: 'ready', restarts: 2 });
  });

  it('keeps the secret and the signing key out of the worker: its task holds the public key and the listener settings', async () => {
    const channel = new BroadcastChannel('qqbot-spy');
    const task = new Promise<Record<string, unknown>>((resolve) => {
      channel.onmessage = (event) => {
        const { frame } = (event as MessageEvent).data as { frame?: { spec?: Record<string, unknown> } };
        if (frame?.spec !== undefined) resolve(frame.spec);
      };
    });
    const tls = selfSignedCert();
    bot = new QQBotConnector({
      appId: APP_ID,
      secret: SECRET,
      transport: { kind: 'webhook', port: 0, tls },
      runner: threadRunnerFor(SPY_WORKER),
    });
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    await bot.start();
    const seen = await task;
    channel.close();
    const { privateKey } = webhookKeyPair(SECRET);
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex');
    const seed = Buffer.from(SECRET.repeat(2)).subarray(0, 32).toString('hex');
    const text = JSON.stringify({
      seen,
      status: await bot.workerStatus(),
      errors: errors.map((e) => [e.message, e.details]),
    });
    for (const secret of [SECRET, seed, pkcs8.slice(-64)]) expect(text).not.toContain(secret);
    expect(Object.keys(seen).sort()).toEqual(
      [
        'appId',
        'bodyTimeoutMs',
        'deliverTimeoutMs',
        'drainMs',
        'entry',
        'host',
        'maxBodyBytes',
        'maxConcurrentRequests',
        'maxUnverifiedRequests',
        'path',
        'port',
        'publicKey',
        'quiesceFirst',
        'timestampWindowMs',
        'tls',
        'transport',
      ].sort(),
    );
    expect(seen.publicKey).toBe(Buffer.from(exportPublicKey(webhookKeyPair(SECRET).publicKey)).toString('hex'));
  });

  it('shrugs off a flood of 10 000 malformed requests: host memory and event loop unaffected, still serving', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    const seen = record(bot);
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    await bot.start();
    const url = `http://127.0.0.1:${bot.webhookAddress()!.port}/qqbot`;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const flood = new Worker(FLOOD, { workerData: { url, count: 10_000, concurrency: 64 } });
    const [statuses] = (await once(flood, 'message')) as [Record<string, number>];
    delay.disable();
    await once(flood, 'exit');
    // Forged signatures 401; wrong path 404; an unsigned body over 1 KiB and a declared 64 MiB body 413.
    expect(statuses).toEqual({ 401: 2_500, 404: 2_500, 413: 5_000 });
    expect(seen).toEqual([]);
    // Bounds far above normal (a few ms, a few MB), far below what per-request retention or a blocked loop shows.
    expect(delay.max / 1e6).toBeLessThan(1_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    // Refusals arrive summed (about one report a second), never one event per request.
    expect(errors.length).toBeLessThan(100);
    expect(errors.every((e) => e.code === 'QQBOT_WEBHOOK_REFUSED')).toBe(true);
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url });
    await fake.emitEvents(10);
    exactlyOnce(seen, 10);
    expect(bot.status()[0]).toMatchObject({ state: 'ready', restarts: 0 });
  }, 90_000);
});
