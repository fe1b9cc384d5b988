import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { ark } from '../../src/messages/ark.js';
import { embed } from '../../src/messages/embed.js';
import { ButtonStyle } from '../../src/bodies/message-bodies.js';
import { callbackButton, commandButton, keyboard, keyboardTemplate, linkButton } from '../../src/messages/keyboard.js';
import { markdown, markdownTemplate } from '../../src/messages/markdown.js';
import { readMediaReply } from '../../src/messages/media.js';
import { codeOf } from '../helpers.js';

describe('markdown', () => {
  it('builds native markdown as msg_type 2', () => {
    expect(markdown('**hi**')).toEqual({ msg_type: 2, markdown: { content: '**hi**' } });
  });

  it('builds a template with params, one value or several, and a keyboard', () => {
    const kb = keyboardTemplate('KB-1');
    expect(markdownTemplate('TPL-1', { title: 'Weather', lines: ['Sunny', '25 °C'] }, { keyboard: kb })).toEqual({
      msg_type: 2,
      markdown: {
        custom_template_id: 'TPL-1',
        params: [
          { key: 'title', values: ['Weather'] },
          { key: 'lines', values: ['Sunny', '25 °C'] },
        ],
      },
      keyboard: { id: 'KB-1' },
    });
  });

  it('refuses empty text, an empty template id and non-string params with QQBOT_INVALID_OPTION', () => {
    expect(codeOf(() => markdown('  '))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => markdownTemplate('', {}))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => markdownTemplate('T', { n: [1 as unknown as string] }))).toBe(ErrorCodes.INVALID_OPTION);
  });
});

describe('keyboard', () => {
  it('lays out rows of buttons with default ids, styles, permission and tips', () => {
    const kb = keyboard(
      [callbackButton('Yes', 'vote:yes'), linkButton('Docs', 'https://q.qq.com', { style: ButtonStyle.GREY })],
      [commandButton('Help', '/help', { enter: true })],
    );
    expect(kb).toEqual({
      content: {
        rows: [
          {
            buttons: [
              {
                id: '0-0',
                render_data: { label: 'Yes', visited_label: 'Yes', style: 1 },
                action: { type: 1, permission: { type: 2 }, data: 'vote:yes', unsupport_tips: expect.any(String) },
              },
              {
                id: '0-1',
                render_data: { label: 'Docs', visited_label: 'Docs', style: 0 },
                action: {
                  type: 0,
                  permission: { type: 2 },
                  data: 'https://q.qq.com',
                  unsupport_tips: expect.any(String),
                },
              },
            ],
          },
          {
            buttons: [
              {
                id: '1-0',
                render_data: { label: 'Help', visited_label: 'Help', style: 1 },
                action: {
                  type: 2,
                  permission: { type: 2 },
                  data: '/help',
                  enter: true,
                  unsupport_tips: expect.any(String),
                },
              },
            ],
          },
        ],
      },
    });
  });

  it('keeps explicit ids and maps audiences to permissions', () => {
    const kb = keyboard([
      callbackButton('A', 'a', { id: 'mine', audience: 'admins' }),
      callbackButton('B', 'b', { audience: { users: ['U1'] }, clickLimit: 1 }),
      callbackButton('C', 'c', { audience: { roles: ['R1'] }, groupId: 'g' }),
    ]);
    const buttons = kb.content?.rows[0]?.buttons ?? [];
    expect(buttons.map((b) => [b.id, b.action.permission, b.action.click_limit, b.group_id])).toEqual([
      ['mine', { type: 1 }, undefined, undefined],
      ['0-1', { type: 0, specify_user_ids: ['U1'] }, 1, undefined],
      ['0-2', { type: 3, specify_role_ids: ['R1'] }, undefined, 'g'],
    ]);
  });

  it('refuses more than 5 rows, more than 5 buttons in a row, empty rows and empty labels or data', () => {
    const b = callbackButton('x', 'x');
    expect(codeOf(() => keyboard([b], [b], [b], [b], [b], [b]))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => keyboard([b, b, b, b, b, b]))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => keyboard([]))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => keyboard())).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => callbackButton('', 'x'))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => linkButton('x', ''))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => keyboard([b, b, b, b, b], [b], [b], [b], [b]))).toBeUndefined();
  });
});

describe('ark and embed', () => {
  it('builds an ark with text values and object lists (obj_kv)', () => {
    expect(
      ark(23, { '#DESC#': 'Links', '#LIST#': [{ desc: 'Docs' }, { desc: 'Open', link: 'https://q.qq.com' }] }),
    ).toEqual({
      msg_type: 3,
      ark: {
        template_id: 23,
        kv: [
          { key: '#DESC#', value: 'Links' },
          {
            key: '#LIST#',
            obj: [
              { obj_kv: [{ key: 'desc', value: 'Docs' }] },
              {
                obj_kv: [
                  { key: 'desc', value: 'Open' },
                  { key: 'link', value: 'https://q.qq.com' },
                ],
              },
            ],
          },
        ],
      },
    });
    expect(codeOf(() => ark(0, {}))).toBe(ErrorCodes.INVALID_OPTION);
  });

  it('builds an embed with prompt, thumbnail and fields', () => {
    expect(embed({ title: 'T', prompt: 'P', thumbnail: 'https://x/y.png', fields: ['a', 'b'] })).toEqual({
      msg_type: 4,
      embed: { title: 'T', prompt: 'P', thumbnail: { url: 'https://x/y.png' }, fields: [{ name: 'a' }, { name: 'b' }] },
    });
    expect(codeOf(() => embed({ title: '' }))).toBe(ErrorCodes.INVALID_OPTION);
  });
});

describe('readMediaReply', () => {
  it('reads each media kind by URL or bytes, with optional text', () => {
    expect(readMediaReply({ image: 'https://x/a.png' })).toEqual({
      kind: 'image',
      fileType: 1,
      source: 'https://x/a.png',
      content: undefined,
    });
    const bytes = Buffer.from('voice');
    expect(readMediaReply({ voice: bytes, content: 'listen' })).toEqual({
      kind: 'voice',
      fileType: 3,
      source: bytes,
      content: 'listen',
    });
    expect(readMediaReply({ video: 'v' })?.fileType).toBe(2);
    expect(readMediaReply({ file: new Uint8Array([1]) })?.fileType).toBe(4);
  });

  it('is undefined for text and rich bodies', () => {
    expect(readMediaReply('hi')).toBeUndefined();
    expect(readMediaReply(markdown('x'))).toBeUndefined();
  });

  it('refuses two kinds at once, an empty URL, empty bytes and non-string content', () => {
    expect(codeOf(() => readMediaReply({ image: 'a', file: 'b' }))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => readMediaReply({ image: '' }))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => readMediaReply({ image: Buffer.alloc(0) }))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => readMediaReply({ image: 7 }))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => readMediaReply({ image: 'a', content: 1 }))).toBe(ErrorCodes.INVALID_OPTION);
  });
});
