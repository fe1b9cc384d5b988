import { once } from 'node:events';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import type { DispatchEvent } from '../../src/events.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { connectorFor } from '../helpers.js';

let fake: FakeQQServer;
let bot: QQBotConnector | undefined;

beforeEach(async () => {
  fake = await FakeQQServer.start();
});

afterEach(async () => {
  await bot?.close();
  bot = undefined;
  await fake.close();
});

it('bot.reply answers a group @-message received on the gateway, with the token the gateway used', async () => {
  bot = connectorFor(fake);
  const received = once(bot, 'dispatch') as Promise<[DispatchEvent]>;
  await bot.start();
  const timestamp = new Date().toISOString();
  fake.rest.registerMessage({ id: 'msg-1', timestamp, kind: 'group' });
  fake.dispatch('GROUP_AT_MESSAGE_CREATE', {
    id: 'msg-1',
    group_openid: 'G1',
    author: { member_openid: 'M1' },
    content: ' hi',
    timestamp,
  });
  const [event] = await received;
  if (event.type !== 'GROUP_AT_MESSAGE_CREATE') throw new Error(`expected a group message, got ${String(event.type)}`);
  await bot.reply(event, 'echo: hi');
  await bot.reply(event, 'echo again');
  const sends = fake.rest.requestsTo('/v2/groups/G1/messages', 'POST');
  expect(sends.map((r) => r.body)).toEqual([
    expect.objectContaining({ content: 'echo: hi', msg_type: 0, msg_id: 'msg-1', msg_seq: 1 }),
    expect.objectContaining({ content: 'echo again', msg_id: 'msg-1', msg_seq: 2 }),
  ]);
  // One token served the gateway and the API.
  expect(fake.stats.tokenCalls).toBe(1);
});

it('close() also releases the API client', async () => {
  bot = connectorFor(fake);
  await bot.start();
  await bot.close();
  await expect(bot.api.getMe()).rejects.toMatchObject({ code: expect.stringMatching(/^QQBOT_/) });
});
