import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { REFRESH_AHEAD_MS, TokenManager } from '../../src/http/token-manager.js';
import { FakeHost } from './fake-host.js';
import { rejection } from '../helpers.js';

const SECRET = 'sEcReT-never-print-me';

let host: FakeHost;

beforeEach(async () => {
  host = await FakeHost.start();
});

afterEach(async () => {
  await host.close();
});

function manager(now?: () => number, timeoutMs = 2_000): TokenManager {
  return new TokenManager({
    appId: 'app-1',
    secret: SECRET,
    url: host.tokenUrl,
    timeoutMs,
    ...(now === undefined ? {} : { now }),
  });
}

function assertNoSecret(err: unknown): void {
  for (const text of [
    String(err),
    JSON.stringify(err),
    inspect(err, { depth: 10, showHidden: true }),
    (err as Error).message,
  ]) {
    expect(text).not.toContain(SECRET);
  }
}

describe('TokenManager', () => {
  it('posts appId and clientSecret (camelCase) and caches the token', async () => {
    const tokens = manager();
    expect(await tokens.get()).toBe('tok-1');
    expect(await tokens.get()).toBe('tok-1');
    expect(host.tokenCalls).toBe(1);
    expect(host.tokenRequests[0]).toEqual({ appId: 'app-1', clientSecret: SECRET });
  });

  it.each([
    ['a string', '7200'],
    ['a number', 7200],
  ])('accepts expires_in as %s', async (_label, expiresIn) => {
    let t = 1_000_000;
    host.tokenResponder = (n) => ({ status: 200, body: { access_token: `t${n}`, expires_in: expiresIn } });
    const tokens = manager(() => t);
    expect(await tokens.get()).toBe('t1');
    expect(tokens.peek()?.expiresAt).toBe(1_000_000 + 7_200_000);
    t += 7_200_000 - REFRESH_AHEAD_MS - 1;
    expect(await tokens.get()).toBe('t1');
    t += 2;
    expect(await tokens.get()).toBe('t2');
  });

  it('treats code 100016 with HTTP 200 as CREDENTIALS_REFUSED, not retryable', async () => {
    host.tokenResponder = () => ({ status: 200, body: { code: 100016, message: 'invalid appid or secret' } });
    const err = await rejection(manager().get());
    expect(err.code).toBe(ErrorCodes.CREDENTIALS_REFUSED);
    expect(err.retryable).toBe(false);
    assertNoSecret(err);
  });

  it('treats code 100007 as CREDENTIALS_REFUSED whatever the status', async () => {
    host.tokenResponder = () => ({ status: 400, body: { code: 100007, message: 'appid invalid' } });
    const err = await rejection(manager().get());
    expect(err.code).toBe(ErrorCodes.CREDENTIALS_REFUSED);
  });

  it('reads a code sent as a digit string, as the OpenAPI client does', async () => {
    host.tokenResponder = () => ({ status: 200, body: { code: '100016', message: 'invalid appid or secret' } });
    expect((await rejection(manager().get())).code).toBe(ErrorCodes.CREDENTIALS_REFUSED);
  });

  it.each([500, 502, 503])('treats HTTP %i as TOKEN_UNAVAILABLE, retryable', async (status) => {
    host.tokenResponder = () => ({ status, body: { message: 'oops' } });
    const err = await rejection(manager().get());
    expect(err.code).toBe(ErrorCodes.TOKEN_UNAVAILABLE);
    expect(err.retryable).toBe(true);
  });

  it('treats the internal-error code 100002 as TOKEN_UNAVAILABLE, retryable', async () => {
    host.tokenResponder = () => ({ status: 200, body: { code: 100002, message: 'internal err' } });
    const err = await rejection(manager().get());
    expect(err.code).toBe(ErrorCodes.TOKEN_UNAVAILABLE);
    expect(err.retryable).toBe(true);
  });

  it('reports a non-JSON error answer by its status (TOKEN_UNAVAILABLE), never as a token', async () => {
    host.tokenResponder = () => ({ status: 502, raw: '<html>bad gateway</html>' });
    const err = await rejection(manager().get());
    expect(err.code).toBe(ErrorCodes.TOKEN_UNAVAILABLE);
    expect(err.retryable).toBe(true);
    expect(err.details.status).toBe(502);
  });

  it('reads a non-JSON 429 as a rate limit', async () => {
    host.tokenResponder = () => ({ status: 429, raw: 'slow down' });
    const err = await rejection(manager().get());
    expect(err.code).toBe(ErrorCodes.TOKEN_UNAVAILABLE);
    expect(err.details.retryAfterMs).toBe(60_000);
  });

  it('reports a non-JSON 200 as BAD_RESPONSE, never as a token, and retryable (not fatal for the connector)', async () => {
    host.tokenResponder = () => ({ status: 200, raw: '<html>captive portal</html>' });
    const err = await rejection(manager().get());
    expect(err.code).toBe(ErrorCodes.BAD_RESPONSE);
    expect(err.retryable).toBe(true);
  });

  it('reports a 200 without access_token as BAD_RESPONSE', async () => {
    host.tokenResponder = () => ({ status: 200, body: { expires_in: '7200' } });
    expect((await rejection(manager().get())).code).toBe(ErrorCodes.BAD_RESPONSE);
  });

  it('reports a slow endpoint as HTTP_TIMEOUT', async () => {
    const release = host.holdTokens();
    try {
      const err = await rejection(manager(undefined, 100).get());
      expect(err.code).toBe(ErrorCodes.HTTP_TIMEOUT);
      expect(err.retryable).toBe(true);
    } finally {
      release();
    }
  });

  it('makes one request however many callers wait (single-flight)', async () => {
    const tokens = manager();
    const release = host.holdTokens();
    const waiting = Array.from({ length: 20 }, () => tokens.get());
    await host.tokenRequestsReached(1);
    release();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['tok-1']));
    expect(host.tokenCalls).toBe(1);
  });

  it('one caller aborting stops only its own wait; the shared fetch serves the others', async () => {
    const tokens = manager();
    const release = host.holdTokens();
    const controller = new AbortController();
    const impatient = tokens.get(controller.signal);
    const patient = tokens.get();
    await host.tokenRequestsReached(1);
    controller.abort();
    expect((await rejection(impatient)).code).toBe(ErrorCodes.ABORTED);
    release();
    expect(await patient).toBe('tok-1');
    expect(host.tokenCalls).toBe(1);
  });

  it('refreshes once for every caller that saw the same rejected token', async () => {
    const tokens = manager();
    const first = await tokens.get();
    const release = host.holdTokens();
    const refreshes = Array.from({ length: 20 }, () => tokens.refresh(first));
    await host.tokenRequestsReached(2);
    release();
    expect(new Set(await Promise.all(refreshes))).toEqual(new Set(['tok-2']));
    expect(host.tokenCalls).toBe(2);
    // A late caller holding the old token gets the new one without another request.
    expect(await tokens.refresh(first)).toBe('tok-2');
    expect(host.tokenCalls).toBe(2);
  });

  it('never shows the secret in util.inspect or JSON', () => {
    const tokens = manager();
    expect(inspect(tokens, { depth: 10, showHidden: true })).not.toContain(SECRET);
    expect(JSON.stringify(tokens)).not.toContain(SECRET);
  });

  it('never puts the secret in any error it raises', async () => {
    const answers: Array<() => { status: number; body: unknown } | { status: number; raw: string }> = [
      () => ({ status: 200, body: { code: 100016, message: `bad secret ${'x'}` } }),
      () => ({ status: 500, body: {} }),
      () => ({ status: 429, body: { code: 100001 } }),
      () => ({ status: 200, raw: 'nope' }),
      () => ({ status: 200, body: {} }),
    ];
    for (const answer of answers) {
      host.tokenResponder = answer;
      assertNoSecret(await rejection(manager().get()));
    }
    // Nothing listening: a network error.
    const tokens = manager();
    await host.close();
    const refused = await rejection(tokens.get());
    expect(refused.code).toBe(ErrorCodes.NETWORK);
    assertNoSecret(refused);
    host = await FakeHost.start();
  });
});
