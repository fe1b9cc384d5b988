import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import type { DispatchEvent } from '../../src/events.js';
import type { QQBotError } from '../../src/errors.js';
import { FakeQQServer, selfSignedCert } from '../../src/testing/index.js';
import { APP_ID, SECRET } from './helpers.js';

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

function record(connector: QQBotConnector): number[] {
  const seen: number[] = [];
  connector.on('dispatch', (e: DispatchEvent) => seen.push((e.data as { n: number }).n));
  return seen;
}

async function listen(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: { key: string; cert: string },
): Promise<number> {
  server =
    tls === undefined
      ? createHttpServer(handle)
      : (createHttpsServer({ key: tls.key, cert: tls.cert }, handle) as unknown as Server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('webhookHandler() on the host’s own server', () => {
  for (const scheme of ['http', 'https'] as const) {
    it(`with defaults, delivers the fake's events over ${scheme.toUpperCase()} once each, and drops redeliveries and forgeries`, async () => {
      bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, intents: 1 });
      const seen = record(bot);
      const tls = scheme === 'https' ? selfSignedCert() : undefined;
      const port = await listen(bot.webhookHandler(), tls);
      fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
      await fake.startCallbacks({
        url: `${scheme}://127.0.0.1:${port}/qqbot`,
        ...(tls === undefined ? {} : { ca: tls.cert }),
      });
      await fake.emitEvents(100);
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      const body = JSON.stringify({ op: 0, id: 'cb-0', t: 'GROUP_AT_MESSAGE_CREATE', d: { n: 0 } });
      expect((await fake.sendCallback(body)).status).toBe(200);
      expect((await fake.sendCallback(body, { signature: 'forged' })).status).toBe(401);
      expect(seen).toHaveLength(100);
      expect(fake.callbackStats).toMatchObject({ validations: 1, acked: 100, gaveUp: 0 });
    });
  }

  it('a connector used only through webhookHandler() is healthy once the handler exists, until close()', async () => {
    // As docs/webhook.md shows it: the webhook transport's options (no intents), and start() never called.
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook' } });
    expect(bot.health()).toEqual({ ok: false, shards: [] });
    bot.webhookHandler();
    expect(bot.health()).toEqual({ ok: true, shards: [] });
    await bot.close();
    expect(bot.health()).toEqual({ ok: false, shards: [] });
  });

  it('answers 200 when a listener throws: the event was delivered, and the throw is reported', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, intents: 1 });
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    bot.on('dispatch', () => {
      throw new Error('host bug');
    });
    const seen = record(bot);
    const port = await listen(bot.webhookHandler());
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: `http://127.0.0.1:${port}/qqbot` });
    expect(
      await fake.postEvent({
        id: 'evt-throw',
        type: 'C2C_MESSAGE_CREATE',
        data: { n: 0, id: 'm', content: 'x', author: { user_openid: 'u' }, timestamp: '2024-01-01T00:00:00+08:00' },
      }),
    ).toBe(true);
    expect(fake.callbackStats).toMatchObject({ posts: 1, retries: 0 });
    expect(seen).toEqual([0]);
    expect(errors.map((e) => e.code)).toEqual(['QQBOT_LISTENER_THREW']);
  });

  it('reports forged and replayed requests as one summed QQBOT_WEBHOOK_REFUSED, and delivers none', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, intents: 1 });
    const seen = record(bot);
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    const port = await listen(bot.webhookHandler());
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: `http://127.0.0.1:${port}/qqbot` });
    const body = JSON.stringify({ op: 0, id: 'evt-x', t: 'C2C_MESSAGE_CREATE', d: { n: 1 } });
    expect((await fake.sendCallback(body, { signature: 'forged' })).status).toBe(401);
    expect((await fake.sendCallback(body, { signature: 'none' })).status).toBe(401);
    expect((await fake.sendCallback(body, { timestamp: String(Math.floor(Date.now() / 1000) - 600) })).status).toBe(
      401,
    );
    await fake.waitFor(() => errors.length > 0, 5_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'QQBOT_WEBHOOK_REFUSED',
      retryable: true,
      details: { total: 3, signature: 2, timestamp: 1 },
    });
    expect(seen).toEqual([]);
  });
});
