import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { fetchGatewayBot, readGatewayBot } from '../../src/http/gateway.js';
import { TokenManager } from '../../src/http/token-manager.js';
import { FakeHost } from './fake-host.js';
import { rejection } from '../helpers.js';

const GATEWAY = 'ws://127.0.0.1:1/websocket';

let host: FakeHost;
let token: string;

beforeEach(async () => {
  host = await FakeHost.start({ gatewayUrl: GATEWAY });
  token = await new TokenManager({ appId: 'app-1', secret: 's', url: host.tokenUrl, timeoutMs: 2_000 }).get();
});

afterEach(async () => {
  await host.close();
});

describe('fetchGatewayBot', () => {
  it('reads the url and the session start limit', async () => {
    expect(await fetchGatewayBot(host.url, token, 'app-1', 2_000)).toEqual({
      url: GATEWAY,
      shards: 1,
      remaining: 999,
      resetAfterMs: 14_400_000,
      maxConcurrency: 1,
    });
    expect(host.rest.requests[0]).toMatchObject({
      method: 'GET',
      path: '/gateway/bot',
      headers: expect.objectContaining({ 'x-union-appid': 'app-1' }),
    });
  });

  it('reports a non-JSON error answer by its status: GATEWAY_UNAVAILABLE, retryable', async () => {
    host.rest.nonJsonNext(1, 502);
    const err = await rejection(fetchGatewayBot(host.url, token, 'app-1', 2_000));
    expect(err.code).toBe(ErrorCodes.GATEWAY_UNAVAILABLE);
    expect(err.retryable).toBe(true);
    expect(err.details.status).toBe(502);
  });

  it('reports a non-JSON 200 as BAD_RESPONSE', async () => {
    host.rest.nonJsonNext(1, 200);
    expect((await rejection(fetchGatewayBot(host.url, token, 'app-1', 2_000))).code).toBe(ErrorCodes.BAD_RESPONSE);
  });
});

describe('readGatewayBot', () => {
  it('reads every field of a full answer', () => {
    const body = {
      url: 'wss://x',
      shards: 2,
      session_start_limit: { total: 1000, remaining: 3, reset_after: 5_000, max_concurrency: 1 },
    };
    expect(readGatewayBot(body)).toEqual({
      url: 'wss://x',
      shards: 2,
      total: 1000,
      remaining: 3,
      resetAfterMs: 5_000,
      maxConcurrency: 1,
    });
  });

  it('leaves out what is missing or not a number, and invents nothing', () => {
    expect(readGatewayBot({ url: 'wss://x' })).toEqual({
      url: 'wss://x',
      shards: undefined,
      total: undefined,
      remaining: undefined,
      resetAfterMs: undefined,
      maxConcurrency: undefined,
    });
    expect(
      readGatewayBot({ url: 'wss://x', shards: '1', session_start_limit: { remaining: '5' } })?.remaining,
    ).toBeUndefined();
  });

  it.each([
    ['no url', { shards: 1 }],
    ['an empty url', { url: '' }],
    ['a session_start_limit that is not an object', { url: 'wss://x', session_start_limit: 5 }],
    ['a null session_start_limit', { url: 'wss://x', session_start_limit: null }],
    ['a body that is not an object', 'wss://x'],
  ])('reads nothing from an answer with %s', (_label, body) => {
    expect(readGatewayBot(body)).toBeUndefined();
  });
});
