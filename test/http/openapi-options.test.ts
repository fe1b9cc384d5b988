import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import { ErrorCodes } from '../../src/errors.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { resolveSharedTokenOptions } from '../../src/http/openapi-options.js';
import { TokenManager, type TokenSource } from '../../src/http/token-manager.js';
import { Intents } from '../../src/protocol/intents.js';
import { FakeHost } from './fake-host.js';
import { rejection } from '../helpers.js';

const SECRET = 's3cr3t-rest-options';

const clients: QQOpenAPI[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('REST options are checked once, where they are given', () => {
  it('the connector checks its replies itself, naming the full path', () => {
    expect(
      () =>
        new QQBotConnector({
          appId: '102030405',
          secret: SECRET,
          intents: Intents.GROUP_AND_C2C_EVENT,
          replies: { maxReplies: 0 },
        }),
    ).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION, message: 'Expected `replies.maxReplies` to be ≥ 1' }),
    );
  });

  it('the client built from resolved options takes them as they are: nothing is checked again', async () => {
    const tokens = new TokenManager({ appId: 'a', secret: SECRET, url: 'http://127.0.0.1:9/t', timeoutMs: 1_000 });
    const resolved = resolveSharedTokenOptions(tokens, {});
    // 0 replies a message is below what the check accepts: taken as given, every reply is refused before any
    // token or request, where a second check would have thrown here.
    const api = new QQOpenAPI({ ...resolved, replies: { ...resolved.replies, maxReplies: 0 } }, tokens);
    clients.push(api);
    const event = {
      type: 'GROUP_AT_MESSAGE_CREATE' as const,
      data: { id: 'MSG1', group_openid: 'G1', timestamp: new Date().toISOString() },
    };
    expect((await rejection(api.reply(event, 'hi'))).code).toBe(ErrorCodes.PASSIVE_REPLY_LIMIT);
    expect(tokens.peek()).toBeUndefined();
  });
});

describe('the token source', () => {
  let host: FakeHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it("is handed the caller's signal, on get and on the refresh after a refused token", async () => {
    host = await FakeHost.start();
    const inner = new TokenManager({ appId: 'app-1', secret: SECRET, url: host.tokenUrl, timeoutMs: 2_000 });
    const seen: Array<[string, AbortSignal | undefined]> = [];
    const tokens: TokenSource = {
      appId: 'app-1',
      get: (signal) => {
        seen.push(['get', signal]);
        return inner.get(signal);
      },
      refresh: (rejected, signal) => {
        seen.push(['refresh', signal]);
        return inner.refresh(rejected, signal);
      },
    };
    const api = QQOpenAPI.fromTokenManager(tokens, { apiBase: host.url });
    clients.push(api);
    await api.getMe();
    host.revokeAll();
    const { signal } = new AbortController();
    expect((await api.getMe({ signal })).id).toBe('fake-bot-id');
    // The retry after the refresh asks again (and finds the new token cached).
    const whose = (given: AbortSignal | undefined): string =>
      given === undefined ? 'none' : given === signal ? 'mine' : 'other';
    expect(seen.map(([call, given]) => [call, whose(given)])).toEqual([
      ['get', 'none'],
      ['get', 'mine'],
      ['refresh', 'mine'],
      ['get', 'mine'],
    ]);
  });
});
