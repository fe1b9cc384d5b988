import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { FakeQQServer } from '../../src/testing/index.js';

let fake: FakeQQServer;
let recorder: Server;
let seen: string[];
let api: QQOpenAPI;

beforeEach(async () => {
  fake = await FakeQQServer.start();
  seen = [];
  // The API origin: records every path it is asked for (with the token), answers a sent message.
  recorder = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id: 'M1', timestamp: '2026-12-06T00:00:00Z' }));
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  const api_ = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
  api = new QQOpenAPI({
    appId: 'test-app',
    secret: 'test-secret',
    endpoints: { token: fake.endpoints.token, api: api_ },
  });
});

afterEach(async () => {
  await api.close();
  recorder.closeAllConnections();
  await new Promise((resolve) => recorder.close(resolve));
  await fake.close();
});

describe('REST ids are validated before a path is built', () => {
  it.each(['..', '.', '', 'a/b', '../../users/@me', 'a\\b', 'x\u0000y', 'x\ny', '\u007f'])(
    'an id of %j is refused with QQBOT_INVALID_OPTION and nothing is sent',
    async (id) => {
      await expect(api.sendGroupMessage(id, { content: 'hi', msg_type: 0 })).rejects.toMatchObject({
        code: ErrorCodes.INVALID_OPTION,
      });
      await expect(api.sendC2CMessage(id, { content: 'hi', msg_type: 0 })).rejects.toMatchObject({
        code: ErrorCodes.INVALID_OPTION,
      });
      await expect(api.sendChannelMessage(id, { content: 'hi' })).rejects.toMatchObject({
        code: ErrorCodes.INVALID_OPTION,
      });
      expect(seen).toEqual([]);
    },
  );

  it('an ordinary id (and one with characters to encode) is sent, encoded, to its own route', async () => {
    await api.sendGroupMessage('G1', { content: 'hi', msg_type: 0 });
    await api.sendGroupMessage('a b?c#..d', { content: 'hi', msg_type: 0 });
    expect(seen).toEqual(['POST /v2/groups/G1/messages', 'POST /v2/groups/a%20b%3Fc%23..d/messages']);
  });
});
