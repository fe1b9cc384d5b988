import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { callbackButton, keyboard } from '../../src/messages/keyboard.js';
import { markdown } from '../../src/messages/markdown.js';
import { ark } from '../../src/messages/ark.js';
import { embed } from '../../src/messages/embed.js';
import { FakeHost } from './fake-host.js';
import { rejection } from '../helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let now = T0;
let host: FakeHost;
let api: QQOpenAPI;

const at = new Date(T0).toISOString();
const groupEvent = {
  type: 'GROUP_AT_MESSAGE_CREATE' as const,
  id: 'EV-1',
  data: { id: 'IN-G', group_openid: 'G1', content: ' hi', timestamp: at, author: { member_openid: 'M1' } },
};
const c2cEvent = {
  type: 'C2C_MESSAGE_CREATE' as const,
  id: 'EV-2',
  data: { id: 'IN-U', author: { user_openid: 'U1' }, content: 'hi', timestamp: at },
};
const channelEvent = {
  type: 'AT_MESSAGE_CREATE' as const,
  id: 'EV-3',
  data: { id: 'IN-C', channel_id: 'C1', guild_id: 'GU', content: 'hi', timestamp: at, author: { id: 'A' } },
};

beforeEach(async () => {
  now = T0;
  host = await FakeHost.start();
  host.nowMs = T0;
  api = new QQOpenAPI({
    appId: 'app',
    secret: 'sec',
    endpoints: { token: host.tokenUrl, api: host.url },
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    replies: { now: () => now },
  });
});

afterEach(async () => {
  await api.close();
  await host.close();
});

describe('media replies', () => {
  it.each([
    ['group', groupEvent, '/v2/groups/G1'],
    ['C2C', c2cEvent, '/v2/users/U1'],
  ])(
    'a %s reply with { image: url } uploads, then sends msg_type 7 with the reply fields, in one call',
    async (_scope, event, base) => {
      const result = await api.reply(event, { image: 'https://example.invalid/cat.png' });
      expect(result.status).toBe('sent');
      expect(host.rest.requests.map((r) => [r.path, r.body])).toEqual([
        [`${base}/files`, { file_type: 1, url: 'https://example.invalid/cat.png', srv_send_msg: false }],
        [
          `${base}/messages`,
          {
            msg_type: 7,
            media: { file_info: host.rest.uploads[0]?.fileInfo },
            content: ' ',
            msg_id: event.data.id,
            msg_seq: 1,
          },
        ],
      ]);
      expect(host.rest.uploads).toEqual([
        expect.objectContaining({
          fileType: 1,
          url: 'https://example.invalid/cat.png',
          targetId: base.split('/').at(-1),
        }),
      ]);
    },
  );

  it('uploads a Buffer as base64 file_data; the fake records the very bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 255]);
    await api.reply(c2cEvent, { file: bytes, content: 'the report' });
    expect(host.rest.requests[0]?.body).toEqual({
      file_type: 4,
      file_data: bytes.toString('base64'),
      srv_send_msg: false,
    });
    expect(host.rest.uploads[0]?.data).toEqual(bytes);
    expect(host.rest.messages[0]?.body).toMatchObject({
      msg_type: 7,
      content: 'the report',
      msg_id: 'IN-U',
      msg_seq: 1,
    });
  });

  it.each([
    ['video', 2],
    ['voice', 3],
  ] as const)('sends a %s with file_type %i', async (kind, fileType) => {
    await api.reply(groupEvent, { [kind]: 'https://example.invalid/m' } as { video: string });
    expect(host.rest.uploads[0]?.fileType).toBe(fileType);
  });

  it('follows the reply rules: each media reply takes the next msg_seq, the 6th is refused before any upload', async () => {
    for (let i = 0; i < 5; i++) await api.reply(groupEvent, { image: `https://example.invalid/${i}.png` });
    expect(host.rest.messages.map((m) => m.body.msg_seq)).toEqual([1, 2, 3, 4, 5]);
    const before = host.rest.requests.length;
    expect((await rejection(api.reply(groupEvent, { image: 'https://example.invalid/6.png' }))).code).toBe(
      ErrorCodes.PASSIVE_REPLY_LIMIT,
    );
    expect(host.rest.requests).toHaveLength(before);
  });

  it('refuses a media reply past the window before uploading', async () => {
    now = T0 + 5 * 60_000 + 1;
    expect((await rejection(api.reply(groupEvent, { image: Buffer.from('x') }))).code).toBe(
      ErrorCodes.PASSIVE_REPLY_EXPIRED,
    );
    expect(host.rest.requests).toHaveLength(0);
  });

  it('sends an image URL to a channel as `image`; bytes or other kinds there are QQBOT_REPLY_UNSUPPORTED, nothing sent or spent', async () => {
    expect((await rejection(api.reply(channelEvent, { image: Buffer.from('x') }))).code).toBe(
      ErrorCodes.REPLY_UNSUPPORTED,
    );
    expect((await rejection(api.reply(channelEvent, { video: 'https://example.invalid/v.mp4' }))).code).toBe(
      ErrorCodes.REPLY_UNSUPPORTED,
    );
    expect(host.rest.requests).toHaveLength(0);
    await api.reply(channelEvent, { image: 'https://example.invalid/cat.png', content: 'cat' });
    expect(host.rest.requests.map((r) => [r.path, r.body])).toEqual([
      ['/channels/C1/messages', { image: 'https://example.invalid/cat.png', content: 'cat', msg_id: 'IN-C' }],
    ]);
  });

  it('a failed upload spends the reply (its msg_seq) and sends no message', async () => {
    host.rest.failNext(2, 500);
    expect((await rejection(api.reply(groupEvent, { image: 'https://example.invalid/a.png' }))).code).toBe(
      ErrorCodes.API_ERROR,
    );
    expect(host.rest.messages).toHaveLength(0);
    await api.reply(groupEvent, 'text after');
    expect(host.rest.messages[0]?.body).toMatchObject({ msg_seq: 2 });
  });
});

describe('rich replies', () => {
  it('sends markdown with a keyboard, ark and embed bodies with the reply fields', async () => {
    const kb = keyboard([callbackButton('Again', 'again')]);
    await api.reply(groupEvent, markdown('**done**', { keyboard: kb }));
    await api.reply(c2cEvent, ark(24, { '#DESC#': 'd' }));
    await api.reply(channelEvent, embed({ title: 'T' }));
    expect(host.rest.requests.map((r) => [r.path, r.body])).toEqual([
      [
        '/v2/groups/G1/messages',
        { msg_type: 2, markdown: { content: '**done**' }, keyboard: kb, msg_id: 'IN-G', msg_seq: 1 },
      ],
      [
        '/v2/users/U1/messages',
        { msg_type: 3, ark: { template_id: 24, kv: [{ key: '#DESC#', value: 'd' }] }, msg_id: 'IN-U', msg_seq: 1 },
      ],
      // The guild API has no msg_type.
      ['/channels/C1/messages', { embed: { title: 'T' }, msg_id: 'IN-C' }],
    ]);
  });
});

describe('ackInteraction', () => {
  it('takes the INTERACTION_CREATE event or its id, and refuses anything else before sending', async () => {
    await api.ackInteraction({
      type: 'INTERACTION_CREATE' as const,
      data: { id: 'I-1', type: 11, data: { type: 11, resolved: {} } },
    });
    await api.ackInteraction('I-2', 4);
    expect(host.rest.interactions.map((a) => [a.id, a.code])).toEqual([
      ['I-1', 0],
      ['I-2', 4],
    ]);
    expect((await rejection(api.ackInteraction(groupEvent))).code).toBe(ErrorCodes.INVALID_OPTION);
    expect((await rejection(api.ackInteraction(''))).code).toBe(ErrorCodes.INVALID_OPTION);
    expect(host.rest.requests).toHaveLength(2);
  });
});
