import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { QQApiError } from '../../src/http/api-error.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import type { QQOpenAPIOptions } from '../../src/http/openapi-options.js';
import type { Logger } from '../../src/options.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { rejection } from '../helpers.js';

// The same client against the package's own fake (token endpoint, /gateway routes and FakeRestApi together).

let fake: FakeQQServer;
let api: QQOpenAPI;

beforeEach(async () => {
  fake = await FakeQQServer.start();
  api = new QQOpenAPI({
    appId: 'test-app',
    secret: 'test-secret',
    endpoints: fake.endpoints,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
  });
});

afterEach(async () => {
  await api.close();
  await fake.close();
});

describe('QQOpenAPI against FakeQQServer', () => {
  it('reads the gateway and replies to a group message', async () => {
    const info = await api.getGatewayBot();
    expect(info.url).toBe(fake.gatewayUrl);
    const event = {
      type: 'GROUP_AT_MESSAGE_CREATE' as const,
      id: 'E1',
      data: { id: 'IN-1', group_openid: 'G1', content: ' hi', timestamp: new Date().toISOString() },
    };
    const result = await api.reply(event, 'hello');
    expect(result.status).toBe('sent');
    expect(fake.rest.messages).toEqual([
      expect.objectContaining({
        kind: 'group',
        targetId: 'G1',
        body: { content: 'hello', msg_type: 0, msg_id: 'IN-1', msg_seq: 1 },
      }),
    ]);
  });

  it('refuses wrong credentials as CREDENTIALS_REFUSED before any REST call', async () => {
    const wrong = new QQOpenAPI({ appId: 'test-app', secret: 'not-the-secret', endpoints: fake.endpoints });
    try {
      const err = await wrong.getMe().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(QQBotError);
      expect((err as QQBotError).code).toBe(ErrorCodes.CREDENTIALS_REFUSED);
      expect(fake.rest.requests).toHaveLength(0);
    } finally {
      await wrong.close();
    }
  });
});

describe('QQOpenAPI retries only what may be repeated', () => {
  const FAST_RETRY = { retries: 2, minDelayMs: 1, maxDelayMs: 5 };

  async function withClient(
    options: Partial<QQOpenAPIOptions>,
    body: (client: QQOpenAPI) => Promise<void>,
  ): Promise<void> {
    const client = new QQOpenAPI({
      appId: 'test-app',
      secret: 'test-secret',
      endpoints: fake.endpoints,
      retry: FAST_RETRY,
      ...options,
    });
    try {
      await body(client);
    } finally {
      await client.close();
    }
  }

  it('does not retry a channel send that landed and then timed out: HTTP_TIMEOUT, one message', async () => {
    await withClient({ timeouts: { httpMs: 300 } }, async (client) => {
      fake.rest.delayNext(1, 5_000);
      const err = await rejection(client.sendChannelMessage('C1', { content: 'once', msg_id: 'IN-1' }));
      expect(err.code).toBe(ErrorCodes.HTTP_TIMEOUT);
      expect(fake.rest.requestsTo('/channels/C1/messages')).toHaveLength(1);
      expect(fake.rest.messages).toHaveLength(1);
    });
  });

  it('does not retry a DM send that landed and was then answered 502: the QQApiError is thrown, one message', async () => {
    fake.rest.failNext(1, 502, { afterProcessing: true });
    const err = await rejection(api.sendDirectMessage('D1', { content: 'once', msg_id: 'IN-1' }));
    expect(err).toBeInstanceOf(QQApiError);
    expect(err.code).toBe(ErrorCodes.API_ERROR);
    expect((err as QQApiError).status).toBe(502);
    expect(fake.rest.requestsTo('/dms/D1/messages')).toHaveLength(1);
    expect(fake.rest.messages).toHaveLength(1);
  });

  it('retries a channel send answered 429: the platform did not process it', async () => {
    fake.rest.failNext(1, 429);
    expect((await api.sendChannelMessage('C1', { content: 'x', msg_id: 'IN-1' })).status).toBe('sent');
    expect(fake.rest.requestsTo('/channels/C1/messages')).toHaveLength(2);
    expect(fake.rest.messages).toHaveLength(1);
  });

  it('retries a channel send answered with a non-JSON 429: a rate limit, not an answer that may have landed', async () => {
    fake.rest.nonJsonNext(1, 429);
    expect((await api.sendChannelMessage('C1', { content: 'x', msg_id: 'IN-1' })).status).toBe('sent');
    expect(fake.rest.requestsTo('/channels/C1/messages')).toHaveLength(2);
    expect(fake.rest.messages).toHaveLength(1);
  });

  it('retries a channel send whose connection was refused', async () => {
    // A port that was just free: nothing listens on it.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const retries: unknown[] = [];
    const silent = (): void => undefined;
    const logger: Logger = {
      debug: (obj, msg) => void (msg === 'qq api: retrying' && retries.push(obj)),
      info: silent,
      warn: silent,
      error: silent,
    };
    const tokens = { appId: 'test-app', get: () => Promise.resolve('tok'), refresh: () => Promise.resolve('tok') };
    const client = QQOpenAPI.fromTokenManager(tokens, {
      apiBase: `http://127.0.0.1:${port}`,
      retry: FAST_RETRY,
      logger,
    });
    try {
      const err = await rejection(client.sendChannelMessage('C1', { content: 'x' }));
      expect(err.code).toBe(ErrorCodes.NETWORK);
      expect(err.details.errno).toBe('ECONNREFUSED');
      expect(retries).toHaveLength(FAST_RETRY.retries);
    } finally {
      await client.close();
    }
  });

  it('still retries a group send that landed and then timed out, and reports it deduplicated', async () => {
    await withClient({ timeouts: { httpMs: 300 } }, async (client) => {
      fake.rest.delayNext(1, 5_000);
      const result = await client.sendGroupMessage('G1', { content: 'once', msg_type: 0, msg_id: 'IN-1', msg_seq: 1 });
      expect(result).toEqual({ status: 'deduplicated', deduplicated: true });
      expect(fake.rest.messages).toHaveLength(1);
    });
  });

  it('resolves a recall whose first attempt landed and whose retry then answers 404', async () => {
    const sent = await api.sendGroupMessage('G1', { content: 'x', msg_type: 0, msg_id: 'IN-1', msg_seq: 1 });
    if (sent.status !== 'sent') throw new Error('not sent');
    fake.rest.failNext(1, 502, { afterProcessing: true });
    await expect(api.recallGroupMessage('G1', sent.id)).resolves.toBeUndefined();
    expect(fake.rest.requestsTo('/v2/groups/G1/messages/', 'DELETE')).toHaveLength(2);
    expect(fake.rest.messages).toHaveLength(0);
  });
});
