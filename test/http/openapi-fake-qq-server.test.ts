import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { FakeQQServer } from '../../src/testing/index.js';

// The same client against the package's own fake (token endpoint, /gateway routes and FakeRestApi together).

let fake: FakeQQServer;
let api: QQOpenAPI;

beforeEach(async () => {
  fake = await FakeQQServer.start();
  api = new QQOpenAPI({ appId: 'test-app', secret: 'test-secret', endpoints: fake.endpoints, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 } });
});

afterEach(async () => {
  await api.close();
  await fake.close();
});

describe('QQOpenAPI against FakeQQServer', () => {
  it('reads the gateway and replies to a group message', async () => {
    const info = await api.getGatewayBot();
    expect(info.url).toBe(fake.gatewayUrl);
    const event = { type: 'GROUP_AT_MESSAGE_CREATE', id: 'E1', data: { id: 'IN-1', group_openid: 'G1', content: ' hi', timestamp: new Date().toISOString() } };
    const result = await api.reply(event, 'hello');
    expect(result.status).toBe('sent');
    expect(fake.rest.messages).toEqual([expect.objectContaining({ kind: 'group', targetId: 'G1', body: { content: 'hello', msg_type: 0, msg_id: 'IN-1', msg_seq: 1 } })]);
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
