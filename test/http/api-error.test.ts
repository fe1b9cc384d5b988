import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import {
  API_ERROR_RULES,
  QQApiCodes,
  QQApiError,
  classifyApiError,
  type ApiErrorKind,
} from '../../src/http/api-error.js';

describe('classifyApiError', () => {
  const rows: Array<[status: number, code: number | undefined, kind: ApiErrorKind]> = [
    [401, undefined, 'refresh-token'],
    [401, 11244, 'refresh-token'],
    [400, 11244, 'refresh-token'],
    [200, 11244, 'refresh-token'],
    [400, QQApiCodes.DUPLICATE_MSG_SEQ, 'duplicate'],
    [200, QQApiCodes.DUPLICATE_MSG_SEQ, 'duplicate'],
    [400, QQApiCodes.REPLY_EXPIRED, 'reply-expired'],
    [400, QQApiCodes.REPLY_EXPIRED_ALT, 'reply-expired'],
    [400, QQApiCodes.REPLY_EXPIRED_LEGACY, 'reply-expired'],
    [400, QQApiCodes.REPLY_LIMIT, 'reply-limit'],
    [400, QQApiCodes.PROACTIVE_FORBIDDEN, 'proactive-forbidden'],
    [429, undefined, 'rate-limit'],
    [429, 22009, 'rate-limit'],
    [200, 22009, 'rate-limit'],
    [400, 20028, 'rate-limit'],
    [500, 100017, 'rate-limit'],
    [401, 11298, 'ip-not-allowed'],
    [400, 40093002, 'upload-quota'],
    [400, 304057, 'not-permitted'],
    [500, undefined, 'retry'],
    [502, 0, 'retry'],
    [503, 123, 'retry'],
    [599, undefined, 'retry'],
    [400, 40034999, 'fatal'],
    [403, undefined, 'fatal'],
    [404, undefined, 'fatal'],
    [600, undefined, 'fatal'],
  ];

  it.each(rows)('HTTP %i with code %s is %s', (status, code, kind) => {
    expect(classifyApiError(status, code)).toBe(kind);
  });

  it('reads err_code when code is absent', () => {
    expect(classifyApiError(400, undefined, QQApiCodes.DUPLICATE_MSG_SEQ)).toBe('duplicate');
  });

  it('lets a body code win over the status (a duplicate answered with 500 is still a duplicate)', () => {
    expect(classifyApiError(500, QQApiCodes.DUPLICATE_MSG_SEQ)).toBe('duplicate');
  });

  it('has no row that matches everything', () => {
    for (const rule of API_ERROR_RULES) expect(rule.codes !== undefined || rule.status !== undefined).toBe(true);
  });
});

describe('QQApiError', () => {
  it('carries status, qqCode, errCode, traceId and kind, with code QQBOT_API_ERROR', () => {
    const err = new QQApiError({
      what: 'POST /v2/groups/{group_openid}/messages',
      status: 400,
      body: { message: '消息被去重，请检查请求msgseq', code: 40054005, err_code: 40054005, trace_id: 'abc' },
    });
    expect(err).toBeInstanceOf(QQBotError);
    expect(err).toBeInstanceOf(QQApiError);
    expect(err.code).toBe(ErrorCodes.API_ERROR);
    expect(err.status).toBe(400);
    expect(err.qqCode).toBe(40054005);
    expect(err.errCode).toBe(40054005);
    expect(err.traceId).toBe('abc');
    expect(err.kind).toBe('duplicate');
    expect(err.retryable).toBe(false);
    expect(err.details).toMatchObject({ status: 400, qqCode: 40054005, traceId: 'abc', kind: 'duplicate' });
  });

  it('takes the trace id from the X-Tps-trace-ID header when the body has none', () => {
    const err = new QQApiError({
      what: 'GET /users/@me',
      status: 503,
      body: undefined,
      headers: { 'x-tps-trace-id': 'from-header' },
    });
    expect(err.traceId).toBe('from-header');
    expect(err.qqCode).toBeUndefined();
    expect(err.retryable).toBe(true);
  });

  it('accepts numeric strings as codes and ignores codes of the wrong type', () => {
    expect(new QQApiError({ what: 'x', status: 400, body: { code: '11244' } }).qqCode).toBe(11244);
    expect(new QQApiError({ what: 'x', status: 400, body: { code: true, err_code: {} } }).qqCode).toBeUndefined();
    expect(new QQApiError({ what: 'x', status: 400, body: 'not an object' }).kind).toBe('fatal');
  });

  it('is not confused with a plain QQBotError by instanceof', () => {
    const plain = new QQBotError(ErrorCodes.NETWORK, 'x');
    expect(plain instanceof QQApiError).toBe(false);
  });

  it('names the route in its message and serialises without surprises', () => {
    const err = new QQApiError({ what: 'GET /gateway/bot', status: 500, body: { code: 1, message: 'boom' } });
    expect(err.message).toBe(`GET /gateway/bot answered HTTP 500 code 1: boom (${err.advice})`);
    expect(err.advice).toMatch(/retried/);
    expect(inspect(err)).toContain('QQBOT_API_ERROR');
  });
});
