import { describe, expect, it } from 'vitest';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { QQApiError } from '../../src/http/api-error.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { linkButton } from '../../src/messages/keyboard.js';
import { rejection } from '../helpers.js';
import { fakeApiPerTest } from './fake-api.js';

// Pacing, the error table and the safety checks, against the fake over real HTTP, with default options.

const t = fakeApiPerTest();

// Guild sends without a reply reference: the fake counts no replies for them.
/** A client that sends one call at a time per target, so that later sends wait in the queue. */
async function serial(pacing: { maxQueued?: number } = {}): Promise<void> {
  await t.api.close();
  t.api = new QQOpenAPI({
    appId: 'test-app',
    secret: 'test-secret',
    endpoints: t.fake.endpoints,
    pacing: { concurrencyPerTarget: 1, ...pacing },
  });
}

const text = (n: number) => ({ content: `m${n}` });

describe('pacing: sends queued per target, limits learned from the answers', () => {
  it.each([[429], [22009]] as const)(
    'rate limit answered %s: a burst of 30 to a channel that takes 10/s all lands, at most 20 percent rate-limited; another channel is not held behind it',
    async (answer) => {
      t.fake.rest.limitSends(10, { answer });
      const burst = Array.from({ length: 30 }, (_, n) => t.api.sendChannelMessage('C1', text(n)));
      const other = t.api
        .sendChannelMessage('C2', text(99))
        .then(() => t.fake.rest.messages.filter((m) => m.targetId === 'C1').length);
      const results = await Promise.all(burst);
      expect(results.every((r) => r.status === 'sent')).toBe(true);
      const sentToC1 = t.fake.rest.messages.filter((m) => m.targetId === 'C1');
      expect(sentToC1.map((m) => m.body.content).sort()).toEqual(Array.from({ length: 30 }, (_, n) => `m${n}`).sort());
      const attempts = t.fake.rest.requestsTo('/channels/C1/messages').length;
      expect(t.fake.rest.rateLimited / attempts).toBeLessThanOrEqual(0.2);
      // C2 landed while C1's burst was still being paced.
      expect(await other).toBeLessThan(30);
    },
  );

  it('the queue is bounded: past pacing.maxQueued a send is refused with QQBOT_SEND_QUEUE_FULL (retryable), nothing else lost', async () => {
    await serial({ maxQueued: 2 });
    const sends = Array.from({ length: 4 }, (_, n) =>
      t.api.sendChannelMessage('C1', text(n)).then(
        (r) => r.status,
        (e: QQBotError) => e,
      ),
    );
    const outcomes = await Promise.all(sends);
    expect(outcomes.slice(0, 3)).toEqual(['sent', 'sent', 'sent']);
    expect((outcomes[3] as QQBotError).code).toBe(ErrorCodes.SEND_QUEUE_FULL);
    expect((outcomes[3] as QQBotError).retryable).toBe(true);
  });

  it('one at a time per target keeps the order of the sends', async () => {
    await serial();
    await Promise.all(Array.from({ length: 10 }, (_, n) => t.api.sendChannelMessage('C1', text(n))));
    expect(t.fake.rest.messages.map((m) => m.body.content)).toEqual(Array.from({ length: 10 }, (_, n) => `m${n}`));
  });

  it('a signal aborts a send waiting in the queue: QQBOT_ABORTED, never sent, the queue goes on', async () => {
    await serial();
    t.fake.rest.delayNext(1, 200);
    const first = t.api.sendChannelMessage('C1', text(0));
    const controller = new AbortController();
    const queued = t.api.sendChannelMessage('C1', text(1), { signal: controller.signal });
    const third = t.api.sendChannelMessage('C1', text(2));
    controller.abort();
    expect(((await rejection(queued)) as QQBotError).code).toBe(ErrorCodes.ABORTED);
    await Promise.all([first, third]);
    expect(t.fake.rest.messages.map((m) => m.body.content)).toEqual(['m0', 'm2']);
  });

  it('close() rejects the sends still queued with QQBOT_CLOSED', async () => {
    await serial();
    t.fake.rest.delayNext(1, 200);
    const first = t.api.sendChannelMessage('C1', text(0)).catch((e: QQBotError) => e);
    const queued = rejection(t.api.sendChannelMessage('C1', text(1)));
    await new Promise((resolve) => t.fake.rest.once('request', resolve));
    await t.api.close();
    expect(((await queued) as QQBotError).code).toBe(ErrorCodes.CLOSED);
    await first;
  });
});

describe('errors that say what to change', () => {
  it('11298 with HTTP 401 is an IP allow-list refusal: no token refresh, no retry, advice names the allow-list', async () => {
    await t.api.getMe();
    const tokenCalls = t.fake.stats.tokenCalls;
    t.fake.rest.answerCode('POST /v2/groups/G1/messages', 11298, { status: 401 });
    const err = (await rejection(
      t.api.sendGroupMessage('G1', { msg_type: 0, content: 'x', msg_id: 'M1' }),
    )) as QQApiError;
    expect(err).toBeInstanceOf(QQApiError);
    expect(err.kind).toBe('ip-not-allowed');
    expect(err.retryable).toBe(false);
    expect(err.advice).toMatch(/IP allow-list/);
    expect(t.fake.stats.tokenCalls).toBe(tokenCalls);
    expect(t.fake.rest.requestsTo('/v2/groups/G1/messages')).toHaveLength(1);
  });

  it('304057 (keyboard not permitted) says which permission', async () => {
    t.fake.rest.answerCode('/v2/users/U1/messages', 304057);
    const err = (await rejection(
      t.api.sendC2CMessage('U1', { msg_type: 0, content: 'x', msg_id: 'M1' }),
    )) as QQApiError;
    expect(err.kind).toBe('not-permitted');
    expect(err.message).toMatch(/permission/);
  });
});

describe('nothing unsafe by accident', () => {
  it('an http:// endpoint to a remote host is refused at construction; loopback is fine', () => {
    for (const endpoints of [
      { api: 'http://t.api.example.com' },
      { token: 'http://bots.example.com/app/getAppAccessToken' },
    ]) {
      let err: unknown;
      try {
        new QQOpenAPI({ appId: 'a', secret: 's', endpoints });
      } catch (e) {
        err = e;
      }
      expect((err as QQBotError).code).toBe(ErrorCodes.INVALID_OPTION);
      expect((err as QQBotError).message).toMatch(/in clear/);
    }
    expect(() =>
      QQOpenAPI.fromTokenManager(
        { appId: 'a', get: async () => 't', refresh: async () => 't' },
        { apiBase: 'http://10.0.0.1' },
      ),
    ).toThrow(/in clear/);
    expect(
      () =>
        new QQOpenAPI({ appId: 'a', secret: 's', endpoints: { api: 'http://127.0.0.1:1', token: 'http://[::1]:1/t' } }),
    ).not.toThrow();
  });

  it('link buttons take https:// and http:// URLs only', () => {
    expect(linkButton('Docs', 'https://q.qq.com').action.data).toBe('https://q.qq.com');
    expect(() => linkButton('x', 'javascript:alert(1)')).toThrow(/https:\/\//);
    expect(() => linkButton('x', 'file:///etc/passwd')).toThrow(/https:\/\//);
    expect(() => linkButton('x', 'not a url')).toThrow(/https:\/\//);
  });
});

describe('the new options are checked once, at construction', () => {
  it('unknown keys and out-of-range values in pacing and upload are QQBOT_INVALID_OPTION', () => {
    const build = (extra: object) => () => new QQOpenAPI({ appId: 'a', secret: 's', ...extra });
    expect(build({ pacing: { maxQueue: 1 } })).toThrow(/maxQueued/);
    expect(build({ pacing: { concurrencyPerTarget: 0 } })).toThrow(/concurrencyPerTarget/);
    expect(build({ upload: { chunkedAboveBytes: 10_000_000 } })).toThrow(/chunkedAboveBytes/);
  });
});
