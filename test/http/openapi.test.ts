import { once } from 'node:events';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { QQApiError } from '../../src/http/api-error.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { DEFAULT_RETRY, resolveRetry, type QQOpenAPIOptions } from '../../src/http/openapi-options.js';
import { retryDelayMs } from '../../src/http/rest-request.js';
import { TokenManager } from '../../src/http/token-manager.js';
import type { Logger } from '../../src/options.js';
import { FakeRestCodes } from '../../src/testing/index.js';
import { FakeHost } from './fake-host.js';
import { rejection } from '../helpers.js';

const SECRET = 'sEcReT-never-print-me';
const FAST_RETRY = { retries: 2, minDelayMs: 1, maxDelayMs: 5 };

let host: FakeHost;
let api: QQOpenAPI;
let logLines: unknown[];

function capturingLogger(): Logger {
  const push = (obj: object | string, msg?: string): void => void logLines.push([obj, msg]);
  return { debug: push, info: push, warn: push, error: push };
}

function client(extra: Partial<QQOpenAPIOptions> = {}): QQOpenAPI {
  return new QQOpenAPI({
    appId: 'app-1',
    secret: SECRET,
    endpoints: { token: host.tokenUrl, api: host.url },
    timeouts: { httpMs: 2_000 },
    retry: FAST_RETRY,
    logger: capturingLogger(),
    ...extra,
  });
}

beforeEach(async () => {
  logLines = [];
  host = await FakeHost.start({ gatewayUrl: 'ws://127.0.0.1:1/websocket' });
  api = client();
});

afterEach(async () => {
  await api.close();
  await host.close();
});

/** Makes the fake answer `path` with a fixed status and raw body (once per request, forever). */
function answerInstead(path: string, status: number, raw: string): void {
  const original = host.rest.handle.bind(host.rest);
  host.rest.handle = (req, res, url, body) => {
    if (url.pathname !== path) return original(req, res, url, body);
    res.writeHead(status, raw === '' ? {} : { 'content-type': 'application/json' });
    res.end(raw);
    return true;
  };
}

function assertNoSecrets(value: unknown): void {
  const texts = [String(value), JSON.stringify(value) ?? '', inspect(value, { depth: 10, showHidden: true })];
  for (const text of texts) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/tok-\d+/);
  }
}

const groupBody = (content = 'hello', msgSeq = 1) => ({
  content,
  msg_type: 0 as const,
  msg_id: 'IN-1',
  msg_seq: msgSeq,
});

describe('QQOpenAPI sends', () => {
  it('sends a group message with Authorization: QQBot <token> and X-Union-Appid', async () => {
    const result = await api.sendGroupMessage('G1', groupBody());
    expect(result).toMatchObject({ status: 'sent', deduplicated: false });
    expect(result.status === 'sent' && result.id.startsWith('ROBOT1.0_fake_')).toBe(true);
    const [req] = host.rest.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v2/groups/G1/messages', body: groupBody() });
    expect(req?.headers.authorization).toBe('QQBot [redacted]');
    expect(req?.headers['x-union-appid']).toBe('app-1');
    expect(req?.headers['content-type']).toBe('application/json');
  });

  it.each([
    [
      'sendC2CMessage',
      '/v2/users/U1/messages',
      (a: QQOpenAPI) => a.sendC2CMessage('U1', { content: 'x', msg_type: 0, msg_id: 'm' }),
    ],
    [
      'sendChannelMessage',
      '/channels/C1/messages',
      (a: QQOpenAPI) => a.sendChannelMessage('C1', { content: 'x', msg_id: 'm' }),
    ],
    [
      'sendDirectMessage',
      '/dms/D1/messages',
      (a: QQOpenAPI) => a.sendDirectMessage('D1', { content: 'x', msg_id: 'm' }),
    ],
  ])('%s posts to %s', async (_name, path, send) => {
    const result = await send(api);
    expect(result.status).toBe('sent');
    expect(host.rest.requests.map((r) => r.path)).toEqual([path]);
  });

  it('encodes ids in paths (a slash is refused: test/security/rest-path-ids.test.ts)', async () => {
    await api.sendC2CMessage('a?b c', { content: 'x', msg_type: 0 });
    expect(host.rest.requests[0]?.path).toBe('/v2/users/a%3Fb%20c/messages');
    expect(host.rest.messages[0]?.targetId).toBe('a?b c');
  });

  it('returns auditId for a send held for audit (HTTP 202)', async () => {
    host.rest.auditNext(1);
    const result = await api.sendChannelMessage('C1', { content: 'x' });
    expect(result).toEqual({ status: 'audit', auditId: expect.stringMatching(/^fake-audit-/), deduplicated: false });
  });

  it('rejects a text message without content with a QQApiError carrying the platform code', async () => {
    const err = await rejection(api.sendGroupMessage('G1', { msg_type: 0, msg_id: 'm' }));
    expect(err).toBeInstanceOf(QQApiError);
    const apiErr = err as QQApiError;
    expect(apiErr.code).toBe(ErrorCodes.API_ERROR);
    expect(apiErr.status).toBe(400);
    expect(apiErr.qqCode).toBe(FakeRestCodes.INVALID_BODY);
    expect(apiErr.errCode).toBe(FakeRestCodes.INVALID_BODY);
    expect(apiErr.traceId).toMatch(/^fake-trace-/);
    expect(apiErr.kind).toBe('fatal');
    expect(apiErr.retryable).toBe(false);
    expect(host.rest.requests).toHaveLength(1);
  });

  it('reports a duplicate msg_seq on a first attempt as an error, not as success', async () => {
    await api.sendGroupMessage('G1', groupBody('a', 1));
    const err = (await rejection(api.sendGroupMessage('G1', groupBody('b', 1)))) as QQApiError;
    expect(err.kind).toBe('duplicate');
    expect(err.qqCode).toBe(40054005);
  });

  it('reports a 6th reply to one msg_id as the platform does', async () => {
    for (let seq = 1; seq <= 5; seq++) await api.sendGroupMessage('G1', groupBody('x', seq));
    const err = (await rejection(api.sendGroupMessage('G1', groupBody('x', 6)))) as QQApiError;
    expect(err.kind).toBe('reply-limit');
  });

  it('reports a reply after the platform window as reply-expired', async () => {
    host.rest.registerMessage({ id: 'OLD', timestamp: host.nowMs - 6 * 60_000, kind: 'group' });
    const err = (await rejection(
      api.sendGroupMessage('G1', { content: 'late', msg_type: 0, msg_id: 'OLD', msg_seq: 1 }),
    )) as QQApiError;
    expect(err.kind).toBe('reply-expired');
    expect(err.qqCode).toBe(40034005);
  });

  it('reports a proactive send the platform refuses as proactive-forbidden', async () => {
    host.rest.rejectProactive = true;
    const err = (await rejection(api.sendGroupMessage('G1', { content: 'hi', msg_type: 0 }))) as QQApiError;
    expect(err.kind).toBe('proactive-forbidden');
  });
});

describe('QQOpenAPI media, recall, interactions, bot and gateway', () => {
  it('uploads group media and sends it as msg_type 7', async () => {
    const media = await api.uploadGroupMedia('G1', { fileType: 1, url: 'https://example.invalid/a.png' });
    expect(media).toEqual({ fileUuid: expect.any(String), fileInfo: expect.any(String), ttl: 3600 });
    expect(host.rest.requests[0]?.body).toEqual({
      file_type: 1,
      url: 'https://example.invalid/a.png',
      srv_send_msg: false,
    });
    const sent = await api.sendGroupMessage('G1', {
      msg_type: 7,
      content: ' ',
      media: { file_info: media.fileInfo },
      msg_id: 'm',
    });
    expect(sent.status).toBe('sent');
  });

  it('uploads C2C media', async () => {
    await api.uploadC2CMedia('U1', { fileType: 4, url: 'https://example.invalid/a.pdf' });
    expect(host.rest.requests[0]?.path).toBe('/v2/users/U1/files');
  });

  it('refuses an upload with a bad fileType before sending', async () => {
    const err = await rejection(api.uploadGroupMedia('G1', { fileType: 9 as 1, url: 'x' }));
    expect(err.code).toBe(ErrorCodes.INVALID_OPTION);
    expect(host.rest.requests).toHaveLength(0);
  });

  it('recalls group and C2C messages (empty answers are fine)', async () => {
    const g = await api.sendGroupMessage('G1', groupBody());
    const u = await api.sendC2CMessage('U1', { content: 'x', msg_type: 0, msg_id: 'm' });
    if (g.status !== 'sent' || u.status !== 'sent') throw new Error('not sent');
    await expect(api.recallGroupMessage('G1', g.id)).resolves.toBeUndefined();
    await expect(api.recallC2CMessage('U1', u.id)).resolves.toBeUndefined();
    expect(host.rest.messages).toHaveLength(0);
    const err = (await rejection(api.recallGroupMessage('G1', g.id))) as QQApiError;
    expect(err.status).toBe(404);
  });

  it('acks an interaction with PUT /interactions/{id}', async () => {
    await expect(api.ackInteraction('I1', 0)).resolves.toBeUndefined();
    expect(host.rest.requests[0]).toMatchObject({ method: 'PUT', path: '/interactions/I1', body: { code: 0 } });
  });

  it('reads the bot user', async () => {
    expect(await api.getMe()).toEqual({
      id: 'fake-bot-id',
      username: 'fake-bot',
      avatar: expect.any(String),
      union_openid: 'fake-union',
    });
  });

  it('reads /gateway and /gateway/bot', async () => {
    expect(await api.getGateway()).toEqual({ url: 'ws://127.0.0.1:1/websocket' });
    const info = await api.getGatewayBot();
    expect(info.url).toBe('ws://127.0.0.1:1/websocket');
    expect(info.session_start_limit).toEqual({
      total: 1000,
      remaining: 999,
      reset_after: 14_400_000,
      max_concurrency: 1,
    });
  });
});

describe('QQOpenAPI never returns a silent undefined', () => {
  it('throws BAD_RESPONSE for a non-JSON 200', async () => {
    host.rest.nonJsonNext(1, 200);
    const err = await rejection(api.getMe());
    expect(err.code).toBe(ErrorCodes.BAD_RESPONSE);
    expect(err.retryable).toBe(false);
  });

  it('throws BAD_RESPONSE when a send answers 2xx without an id or an audit id', async () => {
    answerInstead('/v2/groups/G1/messages', 200, '{}');
    const err = await rejection(api.sendGroupMessage('G1', groupBody()));
    expect(err.code).toBe(ErrorCodes.BAD_RESPONSE);
    expect(err.retryable).toBe(false);
  });

  it('throws BAD_RESPONSE for an empty body where JSON is expected', async () => {
    answerInstead('/users/@me', 200, '');
    const err = await rejection(api.getMe());
    expect(err.code).toBe(ErrorCodes.BAD_RESPONSE);
    expect(err.message).toContain('GET /users/@me');
  });

  it('throws BAD_RESPONSE for a /gateway/bot answer without a url', async () => {
    answerInstead('/gateway/bot', 200, '{"shards":1}');
    expect((await rejection(api.getGatewayBot())).code).toBe(ErrorCodes.BAD_RESPONSE);
  });

  it('throws BAD_RESPONSE for a /gateway/bot answer without session_start_limit rather than inventing one', async () => {
    answerInstead('/gateway/bot', 200, '{"url":"wss://x","shards":1}');
    expect((await rejection(api.getGatewayBot())).code).toBe(ErrorCodes.BAD_RESPONSE);
  });

  it('reads an error carried in a 200 answer (code without id) as an API error', async () => {
    answerInstead(
      '/v2/groups/G1/messages',
      200,
      JSON.stringify({ code: 40034005, err_code: 40034005, message: '回复消息msg_id已过期' }),
    );
    const err = (await rejection(api.sendGroupMessage('G1', groupBody()))) as QQApiError;
    expect(err).toBeInstanceOf(QQApiError);
    expect(err.status).toBe(200);
    expect(err.kind).toBe('reply-expired');
  });

  it('retries a non-JSON 502 and succeeds', async () => {
    host.rest.nonJsonNext(1, 502);
    expect((await api.getMe()).id).toBe('fake-bot-id');
    expect(host.rest.requests).toHaveLength(2);
  });

  it('classifies a non-JSON 503 by its status: a QQApiError with the trace id of the header once retries are spent', async () => {
    host.rest.nonJsonNext(10, 503);
    const err = (await rejection(api.getMe())) as QQApiError;
    expect(err).toBeInstanceOf(QQApiError);
    expect(err.status).toBe(503);
    expect(err.kind).toBe('retry');
    expect(err.traceId).toMatch(/^fake-trace-/);
    expect(host.rest.requests).toHaveLength(1 + FAST_RETRY.retries);
  });

  it('honours Retry-After on a non-JSON 429, capped at pacing.maxWaitMs', async () => {
    await api.close();
    api = client({ pacing: { maxWaitMs: 5 } });
    host.rest.nonJsonNext(1, 429);
    expect((await api.getMe()).id).toBe('fake-bot-id');
    const waits = logLines
      .filter((l) => (l as [unknown, string])[1] === 'qq api: retrying')
      .map((l) => (l as [{ delayMs: number }])[0].delayMs);
    expect(waits).toEqual([5]);
  });
});

describe('QQOpenAPI retries', () => {
  it('retries a 500 with the same msg_seq and succeeds', async () => {
    host.rest.failNext(1, 500);
    const result = await api.sendGroupMessage('G1', groupBody('x', 3));
    expect(result.status).toBe('sent');
    const seqs = host.rest.requests.map((r) => (r.body as { msg_seq: number }).msg_seq);
    expect(seqs).toEqual([3, 3]);
    expect(host.rest.messages).toHaveLength(1);
  });

  it('sends the body as it was when the call began, even if the caller changes it before a retry', async () => {
    host.rest.failNext(1, 500);
    const body = groupBody('x', 3);
    host.rest.once('request', () => {
      body.msg_seq = 99;
    });
    expect((await api.sendGroupMessage('G1', body)).status).toBe('sent');
    expect(host.rest.requests.map((r) => (r.body as { msg_seq: number }).msg_seq)).toEqual([3, 3]);
  });

  it('retries a 429 (apart from `retries`), waiting for Retry-After capped at pacing.maxWaitMs', async () => {
    await api.close();
    api = client({ retry: { ...FAST_RETRY, retries: 0 }, pacing: { maxWaitMs: 5 } });
    host.rest.failNext(2, 429);
    expect((await api.getMe()).id).toBe('fake-bot-id');
    expect(host.rest.requests).toHaveLength(3);
    const waits = logLines
      .filter((l) => (l as [unknown, string])[1] === 'qq api: retrying')
      .map((l) => (l as [{ delayMs: number }])[0].delayMs);
    expect(waits).toEqual([5, 5]);
  });

  it('gives up after `retries` retries with a retryable QQApiError', async () => {
    host.rest.failNext(10, 503);
    const err = (await rejection(api.sendGroupMessage('G1', groupBody()))) as QQApiError;
    expect(err).toBeInstanceOf(QQApiError);
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.details.attempts).toBe(3);
    expect(host.rest.requests).toHaveLength(1 + FAST_RETRY.retries);
  });

  it('does not retry with retries: 0', async () => {
    await api.close();
    api = client({ retry: { retries: 0 } });
    host.rest.failNext(1, 500);
    expect((await rejection(api.getMe())).code).toBe(ErrorCodes.API_ERROR);
    expect(host.rest.requests).toHaveLength(1);
  });

  it('does not retry a 400', async () => {
    host.rest.failNext(1, 400);
    await rejection(api.getMe());
    expect(host.rest.requests).toHaveLength(1);
  });

  it('treats "duplicate" after a timed-out attempt as success of the first attempt (deduplicated: true)', async () => {
    await api.close();
    // Room for the retry on a busy machine; only the first answer is held past the deadline.
    api = client({ timeouts: { httpMs: 400 } });
    host.rest.delayNext(1, 5_000);
    const result = await api.sendGroupMessage('G1', groupBody('once', 2));
    expect(result).toEqual({ status: 'deduplicated', deduplicated: true });
    const sends = host.rest.requestsTo('/v2/groups/G1/messages');
    expect(sends.map((r) => (r.body as { msg_seq: number }).msg_seq)).toEqual([2, 2]);
    expect(host.rest.messages).toHaveLength(1);
  });

  it('treats "duplicate" after a 502 that landed as success (deduplicated: true)', async () => {
    host.rest.failNext(1, 502, { afterProcessing: true });
    const result = await api.sendC2CMessage('U1', { content: 'x', msg_type: 0, msg_id: 'm', msg_seq: 1 });
    expect(result.deduplicated).toBe(true);
    expect(host.rest.messages).toHaveLength(1);
  });

  it('retries a connection reset', async () => {
    const original = host.rest.handle.bind(host.rest);
    let resets = 1;
    host.rest.handle = (req, res, url, body) => {
      if (resets > 0) {
        resets -= 1;
        req.socket.destroy();
        return true;
      }
      return original(req, res, url, body);
    };
    expect((await api.getMe()).id).toBe('fake-bot-id');
  });

  it('reports a timeout as HTTP_TIMEOUT once retries are spent', async () => {
    await api.close();
    api = client({ timeouts: { httpMs: 100 }, retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } });
    host.rest.delayNext(2, 1_000);
    const err = await rejection(api.getMe());
    expect(err.code).toBe(ErrorCodes.HTTP_TIMEOUT);
    expect(err.retryable).toBe(true);
  });

  it('computes full-jitter delays within [0, min(max, min·2^(n-1))]', () => {
    const retry = { retries: 5, minDelayMs: 100, maxDelayMs: 1_000 };
    expect(retryDelayMs(1, retry, () => 0.999)).toBe(99);
    expect(retryDelayMs(3, retry, () => 0.5)).toBe(200);
    expect(retryDelayMs(10, retry, () => 0.999)).toBe(999);
    expect(retryDelayMs(4, retry, () => 0)).toBe(0);
  });

  it('validates the retry option', () => {
    expect(resolveRetry(undefined)).toEqual(DEFAULT_RETRY);
    for (const bad of [{ retries: -1 }, { retries: 1.5 }, { retries: 11 }, { minDelayMs: 10, maxDelayMs: 5 }, 'x']) {
      let code: string | undefined;
      try {
        resolveRetry(bad);
      } catch (err) {
        code = (err as QQBotError).code;
      }
      expect(code).toBe(ErrorCodes.INVALID_OPTION);
    }
  });
});

describe('QQOpenAPI and the token', () => {
  it('refreshes once on 401 + 11244 and retries', async () => {
    await api.getMe();
    host.revokeAll();
    expect((await api.getMe()).id).toBe('fake-bot-id');
    expect(host.tokenCalls).toBe(2);
    expect(host.rest.requests.map((r) => r.path)).toEqual(['/users/@me', '/users/@me', '/users/@me']);
  });

  it('refreshes only once per call: a second 401 is thrown', async () => {
    host.rest.unauthorizedOnce();
    host.rest.unauthorizedOnce();
    const err = (await rejection(api.getMe())) as QQApiError;
    expect(err.kind).toBe('refresh-token');
    expect(err.status).toBe(401);
    expect(host.tokenCalls).toBe(2);
  });

  it('shares one refresh among a burst of 50 sends racing it: one token call, all sent', async () => {
    await api.getMe();
    host.revokeAll();
    const release = host.holdTokens();
    const sends = Array.from({ length: 50 }, (_, i) =>
      api.sendGroupMessage(`G${i}`, { content: `m${i}`, msg_type: 0, msg_id: `IN-${i}`, msg_seq: 1 }),
    );
    // The refresh is held: every send meets the refused token, then queues behind the one refresh.
    await host.tokenRequestsReached(2);
    release();
    const results = await Promise.all(sends);
    expect(results.every((r) => r.status === 'sent')).toBe(true);
    expect(host.tokenCalls).toBe(2);
    expect(host.rest.messages).toHaveLength(50);
  });

  it('sends a burst of 50 after the token expired with exactly one token call, all succeeding', async () => {
    let t = 1_000_000;
    const tokens = new TokenManager({
      appId: 'app-1',
      secret: SECRET,
      url: host.tokenUrl,
      timeoutMs: 2_000,
      now: () => t,
    });
    const shared = QQOpenAPI.fromTokenManager(tokens, { apiBase: host.url, retry: FAST_RETRY });
    try {
      await shared.getMe();
      t += 7_200_000; // every cached token is now stale
      const release = host.holdTokens();
      const sends = Array.from({ length: 50 }, (_, i) =>
        shared.sendGroupMessage(`G${i}`, { content: `m${i}`, msg_type: 0, msg_id: `IN-${i}` }),
      );
      await host.tokenRequestsReached(2);
      release();
      const results = await Promise.all(sends);
      expect(results.every((r) => r.status === 'sent')).toBe(true);
      expect(host.tokenCalls).toBe(2);
      expect(host.rest.messages).toHaveLength(50);
    } finally {
      await shared.close();
    }
  });

  it('sends a burst of 50 revoked-token sends with exactly one refresh, all succeeding', async () => {
    await api.getMe();
    host.revokeAll();
    const sends = Array.from({ length: 50 }, (_, i) =>
      api.sendGroupMessage(`G${i}`, { content: `m${i}`, msg_type: 0, msg_id: `IN-${i}` }),
    );
    const results = await Promise.all(sends);
    expect(results.every((r) => r.status === 'sent')).toBe(true);
    expect(host.tokenCalls).toBe(2);
  });

  it('shares the connector token manager with fromTokenManager', async () => {
    const tokens = new TokenManager({ appId: 'app-9', secret: SECRET, url: host.tokenUrl, timeoutMs: 2_000 });
    const shared = QQOpenAPI.fromTokenManager(tokens, { apiBase: host.url });
    try {
      await tokens.get();
      await shared.getMe();
      expect(host.tokenCalls).toBe(1);
      expect(shared.appId).toBe('app-9');
      expect(host.rest.requests[0]?.headers['x-union-appid']).toBe('app-9');
    } finally {
      await shared.close();
    }
  });

  it('fails a send with the token error when the credentials are refused', async () => {
    host.tokenResponder = () => ({ status: 200, body: { code: 100016, message: 'invalid appid or secret' } });
    const err = await rejection(api.getMe());
    expect(err.code).toBe(ErrorCodes.CREDENTIALS_REFUSED);
    expect(host.rest.requests).toHaveLength(0);
  });
});

describe('QQOpenAPI.reply', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  let now = T0;

  beforeEach(async () => {
    now = T0;
    await api.close();
    api = client({ replies: { now: () => now } });
  });

  const groupEvent = {
    type: 'GROUP_AT_MESSAGE_CREATE' as const,
    id: 'EV-1',
    data: { id: 'IN-G', group_openid: 'G1', content: ' hi', timestamp: new Date(T0).toISOString() },
  };
  const c2cEvent = {
    type: 'C2C_MESSAGE_CREATE' as const,
    id: 'EV-2',
    data: { id: 'IN-U', author: { user_openid: 'U1' }, content: 'hi', timestamp: new Date(T0).toISOString() },
  };

  it('turns a string into a text message with msg_id and msg_seq 1, 2, 3', async () => {
    await api.reply(groupEvent, 'one');
    await api.reply(groupEvent, 'two');
    await api.reply(groupEvent, { content: 'three', msg_type: 0, msg_seq: 99 });
    expect(host.rest.requests.map((r) => [r.path, r.body])).toEqual([
      ['/v2/groups/G1/messages', { content: 'one', msg_type: 0, msg_id: 'IN-G', msg_seq: 1 }],
      ['/v2/groups/G1/messages', { content: 'two', msg_type: 0, msg_id: 'IN-G', msg_seq: 2 }],
      ['/v2/groups/G1/messages', { content: 'three', msg_type: 0, msg_id: 'IN-G', msg_seq: 3 }],
    ]);
  });

  it('replies to C2C, channel and DM messages at their endpoints', async () => {
    await api.reply(c2cEvent, 'u');
    await api.reply(
      {
        type: 'AT_MESSAGE_CREATE' as const,
        id: 'e',
        data: { id: 'IN-C', channel_id: 'C1', timestamp: new Date(T0).toISOString() },
      },
      'c',
    );
    await api.reply(
      {
        type: 'DIRECT_MESSAGE_CREATE' as const,
        id: 'e',
        data: { id: 'IN-D', guild_id: 'D1', timestamp: new Date(T0).toISOString() },
      },
      'd',
    );
    expect(host.rest.requests.map((r) => [r.path, r.body])).toEqual([
      ['/v2/users/U1/messages', { content: 'u', msg_type: 0, msg_id: 'IN-U', msg_seq: 1 }],
      // The guild API has neither msg_seq nor msg_type.
      ['/channels/C1/messages', { content: 'c', msg_id: 'IN-C' }],
      ['/dms/D1/messages', { content: 'd', msg_id: 'IN-D' }],
    ]);
  });

  it('replies to a non-message event with event_id', async () => {
    await api.reply(
      {
        type: 'INTERACTION_CREATE' as const,
        id: 'EV-I',
        data: { id: 'I1', group_openid: 'G1', chat_type: 1, timestamp: new Date(T0).toISOString() },
      },
      'ok',
    );
    expect(host.rest.requests[0]?.body).toEqual({ content: 'ok', msg_type: 0, event_id: 'EV-I', msg_seq: 1 });
  });

  it('throws QQBOT_PASSIVE_REPLY_LIMIT for a 6th reply without sending it', async () => {
    for (let i = 0; i < 5; i++) await api.reply(groupEvent, `r${i}`);
    const err = await rejection(api.reply(groupEvent, 'too many'));
    expect(err.code).toBe(ErrorCodes.PASSIVE_REPLY_LIMIT);
    expect(err.retryable).toBe(false);
    expect(host.rest.requests).toHaveLength(5);
  });

  it('throws QQBOT_PASSIVE_REPLY_EXPIRED past 5 min for a group, 60 min for C2C, without sending', async () => {
    now = T0 + 5 * 60_000 + 1;
    expect((await rejection(api.reply(groupEvent, 'late'))).code).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
    expect((await api.reply(c2cEvent, 'still fine')).status).toBe('sent');
    now = T0 + 60 * 60_000 + 1;
    expect((await rejection(api.reply(c2cEvent, 'late'))).code).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
    expect(host.rest.requests).toHaveLength(1);
  });

  it('throws QQBOT_REPLY_UNSUPPORTED for an event with no target', async () => {
    expect((await rejection(api.reply({ type: 'READY', data: { session_id: 's' } } as never, 'x'))).code).toBe(
      ErrorCodes.REPLY_UNSUPPORTED,
    );
    expect(host.rest.requests).toHaveLength(0);
  });

  it('retries a reply with the same msg_seq and reports the duplicate as deduplicated', async () => {
    host.rest.failNext(1, 502, { afterProcessing: true });
    const result = await api.reply(groupEvent, 'once');
    expect(result.deduplicated).toBe(true);
    expect(host.rest.requests.map((r) => (r.body as { msg_seq: number }).msg_seq)).toEqual([1, 1]);
    expect(host.rest.messages).toHaveLength(1);
    // The next reply moves on to msg_seq 2.
    await api.reply(groupEvent, 'next');
    expect((host.rest.requests[2]?.body as { msg_seq: number }).msg_seq).toBe(2);
  });
});

describe('QQOpenAPI keeps secrets out', () => {
  it('never shows the secret or a token in errors, logs or inspect', async () => {
    const errors: unknown[] = [];
    host.rest.failNext(10, 500);
    errors.push(await rejection(api.getMe()));
    host.rest.reset();
    host.revokeAll();
    host.rest.unauthorizedOnce();
    host.rest.unauthorizedOnce();
    errors.push(await rejection(api.getMe()));
    errors.push(await rejection(api.sendGroupMessage('G1', { msg_type: 0, msg_id: 'm' })));
    host.rest.nonJsonNext(1);
    errors.push(await rejection(api.getMe()));
    for (const err of errors) assertNoSecrets(err);
    expect(logLines.length).toBeGreaterThan(0);
    assertNoSecrets(logLines);
    assertNoSecrets(api);
    assertNoSecrets(host.rest.requests);
  });
});

describe('QQOpenAPI lifecycle and options', () => {
  it('rejects calls after close() with CLOSED', async () => {
    await api.close();
    expect((await rejection(api.getMe())).code).toBe(ErrorCodes.CLOSED);
    await api.close();
  });

  it('cuts a backoff wait short on close()', async () => {
    await api.close();
    let retrying!: () => void;
    const backingOff = new Promise<void>((resolve) => {
      retrying = resolve;
    });
    const logger: Logger = {
      ...capturingLogger(),
      debug: (_obj, msg) => void (msg === 'qq api: retrying' && retrying()),
    };
    api = client({ logger, retry: { retries: 3, minDelayMs: 60_000, maxDelayMs: 60_000 } });
    // A 429 carries Retry-After: 1, so the wait is at least 1 s whatever the jitter draws.
    host.rest.failNext(1, 429);
    const pending = rejection(api.getMe());
    await backingOff;
    await api.close();
    const err = await pending;
    expect(err.code).toBe(ErrorCodes.CLOSED);
    expect(host.rest.requests).toHaveLength(1);
  });

  it('rejects a call in flight with CLOSED on close()', async () => {
    host.rest.delayNext(1, 5_000);
    const seen = once(host.rest, 'request');
    const pending = rejection(api.getMe());
    await seen;
    await api.close();
    expect((await pending).code).toBe(ErrorCodes.CLOSED);
  });

  it('aborts with the caller signal (ABORTED) without touching other callers', async () => {
    host.rest.delayNext(1, 1_000);
    const controller = new AbortController();
    const aborted = rejection(api.getMe({ signal: controller.signal }));
    const other = api.getGateway();
    controller.abort();
    expect((await aborted).code).toBe(ErrorCodes.ABORTED);
    expect((await other).url).toContain('ws://');
  });

  it('validates its options at construction', () => {
    const bad: unknown[] = [
      undefined,
      { appId: '', secret: 's' },
      { appId: 'a' },
      { appId: 'a', secret: 's', retry: { retries: -1 } },
      { appId: 'a', secret: 's', endpoints: { api: 'ftp://x' } },
      { appId: 'a', secret: 's', timeouts: { httpMs: 0 } },
      { appId: 'a', secret: 's', logger: {} },
    ];
    for (const options of bad) {
      let code: string | undefined;
      try {
        new QQOpenAPI(options as QQOpenAPIOptions);
      } catch (err) {
        code = (err as QQBotError).code;
        expect((err as Error).message).not.toContain('"s"');
      }
      expect(code).toBe(ErrorCodes.INVALID_OPTION);
    }
    expect(() => QQOpenAPI.fromTokenManager({} as TokenManager)).toThrow(QQBotError);
  });
});
