import { once } from 'node:events';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRestCodes, type FakeSentMessage } from '../../src/testing/index.js';
import { FakeHost } from './fake-host.js';

let host: FakeHost;
let token: string;

beforeEach(async () => {
  host = await FakeHost.start();
  const res = await request(host.tokenUrl, { method: 'POST', body: JSON.stringify({ appId: 'a', clientSecret: 's' }) });
  token = ((await res.body.json()) as { access_token: string }).access_token;
});

afterEach(async () => {
  await host.close();
});

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  auth: string | null = `QQBot ${token}`,
): Promise<{ status: number; body: unknown }> {
  const res = await request(`${host.url}${path}`, {
    method,
    headers: { ...(auth === null ? {} : { authorization: auth }), 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('FakeRestApi', () => {
  it.each([
    ['no Authorization', null],
    ['an unknown token', 'QQBot nope'],
    ['the legacy Bot form', 'Bot a.b'],
  ])('answers 401 + 11244 to %s', async (_label, auth) => {
    const res = await call('GET', '/users/@me', undefined, auth === null ? null : auth);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: FakeRestCodes.TOKEN_INVALID });
  });

  it('takes a group or C2C send without msg_type as text, as the platform does (botgo omits msg_type 0)', async () => {
    expect((await call('POST', '/v2/groups/G/messages', { content: 'hi', msg_id: 'M', msg_seq: 7 })).status).toBe(200);
    expect((await call('POST', '/v2/users/U/messages', { content: 'hi' })).status).toBe(200);
    expect(host.rest.messages.map((m) => [m.kind, m.targetId, m.body])).toEqual([
      ['group', 'G', { content: 'hi', msg_id: 'M', msg_seq: 7 }],
      ['c2c', 'U', { content: 'hi' }],
    ]);
  });

  it('records requests with the authorization redacted', async () => {
    await call('POST', '/v2/groups/G/messages', { content: 'x', msg_type: 0 });
    expect(host.rest.requests).toEqual([
      {
        method: 'POST',
        path: '/v2/groups/G/messages',
        headers: expect.objectContaining({ authorization: 'QQBot [redacted]' }),
        body: { content: 'x', msg_type: 0 },
      },
    ]);
    expect(JSON.stringify(host.rest.requests)).not.toContain(token);
  });

  it.each([
    ['text without content', { msg_type: 0 }],
    ['text with blank content', { msg_type: 0, content: '   ' }],
    ['an unknown msg_type', { msg_type: 5, content: 'x' }],
    ['a msg_type that is not a number', { msg_type: '0', content: 'x' }],
    ['no msg_type and no content', { msg_id: 'M' }],
    ['markdown without markdown', { msg_type: 2 }],
    ['media without an uploaded file_info', { msg_type: 7, media: { file_info: 'made-up' } }],
    ['a fractional msg_seq', { msg_type: 0, content: 'x', msg_seq: 1.5 }],
    ['a body that is not an object', [1, 2]],
  ])('rejects %s with 400 and a code', async (_label, body) => {
    const res = await call('POST', '/v2/users/U/messages', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: FakeRestCodes.INVALID_BODY, trace_id: expect.any(String) });
  });

  it('rejects the same msg_id + msg_seq twice (40054005), a missing msg_seq counting as 1', async () => {
    expect((await call('POST', '/v2/groups/G/messages', { content: 'a', msg_type: 0, msg_id: 'M' })).status).toBe(200);
    const dup = await call('POST', '/v2/groups/G/messages', { content: 'b', msg_type: 0, msg_id: 'M', msg_seq: 1 });
    expect(dup.status).toBe(400);
    expect(dup.body).toMatchObject({
      code: FakeRestCodes.DUPLICATE_MSG_SEQ,
      err_code: FakeRestCodes.DUPLICATE_MSG_SEQ,
    });
  });

  it('allows 5 replies per msg_id, then 40034128', async () => {
    for (let seq = 1; seq <= 5; seq++)
      expect(
        (await call('POST', '/v2/users/U/messages', { content: 'a', msg_type: 0, msg_id: 'M', msg_seq: seq })).status,
      ).toBe(200);
    const sixth = await call('POST', '/v2/users/U/messages', { content: 'a', msg_type: 0, msg_id: 'M', msg_seq: 6 });
    expect(sixth.body).toMatchObject({ code: FakeRestCodes.REPLY_LIMIT });
  });

  it('checks the window of registered messages on its own clock', async () => {
    host.rest.registerMessage({ id: 'G-MSG', timestamp: new Date(host.nowMs).toISOString(), kind: 'group' });
    host.rest.registerMessage({ id: 'U-MSG', timestamp: host.nowMs, kind: 'c2c' });
    host.nowMs += 5 * 60_000 + 1;
    expect(
      (await call('POST', '/v2/groups/G/messages', { content: 'a', msg_type: 0, msg_id: 'G-MSG' })).body,
    ).toMatchObject({ code: FakeRestCodes.REPLY_EXPIRED });
    expect((await call('POST', '/v2/users/U/messages', { content: 'a', msg_type: 0, msg_id: 'U-MSG' })).status).toBe(
      200,
    );
  });

  it('answers sends with {id, timestamp} and uploads with {file_uuid, file_info, ttl}', async () => {
    const sent = await call('POST', '/channels/C/messages', { content: 'x' });
    expect(sent.body).toEqual({
      id: expect.stringMatching(/^ROBOT1\.0_/),
      timestamp: new Date(host.nowMs).toISOString(),
    });
    const up = await call('POST', '/v2/groups/G/files', {
      file_type: 2,
      url: 'https://example.invalid/v.mp4',
      srv_send_msg: false,
    });
    expect(up.body).toEqual({ file_uuid: expect.any(String), file_info: expect.any(String), ttl: 3600 });
  });

  it('injects faults in order: unauthorizedOnce, failNext, nonJsonNext', async () => {
    host.rest.unauthorizedOnce();
    host.rest.failNext(1, 503);
    host.rest.nonJsonNext(1, 502);
    expect((await call('GET', '/users/@me')).status).toBe(401);
    expect((await call('GET', '/users/@me')).status).toBe(503);
    const res = await request(`${host.url}/users/@me`, { headers: { authorization: `QQBot ${token}` } });
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toContain('<html>');
    expect((await call('GET', '/users/@me')).status).toBe(200);
  });

  it('holds an answer with delayNext after carrying out the request', async () => {
    host.rest.delayNext(1, 200);
    const landed = once(host.rest, 'message');
    const pending = call('POST', '/v2/groups/G/messages', { content: 'x', msg_type: 0 });
    const [message] = (await landed) as [FakeSentMessage];
    expect(message.targetId).toBe('G');
    expect((await pending).status).toBe(200);
  });

  it('answers 404 (returns false) for routes it does not know', async () => {
    expect((await call('GET', '/nowhere')).status).toBe(404);
    expect((await call('GET', '/gateway/bot')).status).toBe(404);
  });
});

describe('FakeRestApi uploads and interactions', () => {
  it('accepts an upload by url or by base64 file_data, and records it', async () => {
    const byUrl = await call('POST', '/v2/groups/G/files', {
      file_type: 1,
      url: 'https://x/a.png',
      srv_send_msg: false,
    });
    const byData = await call('POST', '/v2/users/U/files', {
      file_type: 3,
      file_data: Buffer.from('abc').toString('base64'),
      srv_send_msg: false,
    });
    expect([byUrl.status, byData.status]).toEqual([200, 200]);
    expect(host.rest.uploads).toEqual([
      {
        kind: 'group',
        targetId: 'G',
        fileType: 1,
        url: 'https://x/a.png',
        fileInfo: (byUrl.body as { file_info: string }).file_info,
      },
      {
        kind: 'c2c',
        targetId: 'U',
        fileType: 3,
        data: Buffer.from('abc'),
        fileInfo: (byData.body as { file_info: string }).file_info,
      },
    ]);
  });

  it.each([
    ['neither url nor file_data', { file_type: 1 }],
    ['both url and file_data', { file_type: 1, url: 'https://x', file_data: 'YWJj' }],
    ['file_data that is not base64', { file_type: 1, file_data: 'not base64!' }],
    ['a bad file_type', { file_type: 5, url: 'https://x' }],
  ])('rejects an upload with %s', async (_label, body) => {
    expect((await call('POST', '/v2/groups/G/files', body)).body).toMatchObject({ code: FakeRestCodes.INVALID_BODY });
    expect(host.rest.uploads).toHaveLength(0);
  });

  it('records interaction ACKs with their code and refuses a bad code', async () => {
    expect((await call('PUT', '/interactions/I-1', { code: 0 })).status).toBe(204);
    expect((await call('PUT', '/interactions/I-2', { code: 9 })).status).toBe(400);
    expect(host.rest.interactions).toEqual([{ id: 'I-1', code: 0, at: host.nowMs }]);
  });
});

describe('FakeRestApi streams', () => {
  const frame = (extra: Record<string, unknown>): Record<string, unknown> => ({
    input_mode: 'replace',
    input_state: 1,
    content_type: 'markdown',
    content_raw: 'a',
    index: 0,
    msg_id: 'M',
    msg_seq: 1,
    ...extra,
  });

  it('opens a stream on the first frame, answers its id, and records frames until input_state 10', async () => {
    const first = await call('POST', '/v2/users/U/stream_messages', frame({}));
    const id = (first.body as { id: string }).id;
    expect(
      (await call('POST', '/v2/users/U/stream_messages', frame({ index: 1, content_raw: 'ab', stream_msg_id: id })))
        .status,
    ).toBe(200);
    expect(
      (
        await call(
          'POST',
          '/v2/users/U/stream_messages',
          frame({ index: 2, input_state: 10, content_raw: 'abc', stream_msg_id: id }),
        )
      ).status,
    ).toBe(200);
    expect(host.rest.streams).toEqual([
      expect.objectContaining({
        id,
        openid: 'U',
        ref: 'M',
        msgSeq: 1,
        text: 'abc',
        done: true,
        frames: [
          expect.objectContaining({ index: 0, state: 1, content: 'a' }),
          expect.objectContaining({ index: 1 }),
          expect.objectContaining({ index: 2, state: 10 }),
        ],
      }),
    ]);
    expect(host.rest.messages).toEqual([expect.objectContaining({ id, kind: 'c2c', targetId: 'U' })]);
  });

  it.each([
    ['a frame after the final one', 'done'],
    ['an index that does not grow', 'index'],
    ['an unknown stream_msg_id', 'unknown'],
    ['a changed msg_seq', 'seq'],
  ])('refuses %s', async (_label, kind) => {
    const id = (
      (await call('POST', '/v2/users/U/stream_messages', frame({ input_state: kind === 'done' ? 10 : 1 }))).body as {
        id: string;
      }
    ).id;
    const next = {
      done: frame({ index: 1, stream_msg_id: id }),
      index: frame({ index: 0, stream_msg_id: id }),
      unknown: frame({ index: 1, stream_msg_id: 'nope' }),
      seq: frame({ index: 1, msg_seq: 2, stream_msg_id: id }),
    }[kind];
    expect((await call('POST', '/v2/users/U/stream_messages', next)).status).toBe(400);
    expect(host.rest.streams[0]?.frames).toHaveLength(1);
  });

  it('counts a stream as one reply: its msg_seq cannot be reused by a send', async () => {
    await call('POST', '/v2/users/U/stream_messages', frame({}));
    expect(
      (await call('POST', '/v2/users/U/messages', { content: 'x', msg_type: 0, msg_id: 'M', msg_seq: 1 })).body,
    ).toMatchObject({ code: FakeRestCodes.DUPLICATE_MSG_SEQ });
  });
});
