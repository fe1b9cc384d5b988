import { once } from 'node:events';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import { Intents } from '../../src/protocol/intents.js';
import { FakeQQServer } from '../../src/testing/index.js';

// The example of docs/testing.md ("Asserting a reply"), as written there: it must compile and pass.
let fake: FakeQQServer;
let bot: QQBotConnector;

beforeEach(async () => {
  fake = await FakeQQServer.start({ heartbeatIntervalMs: 200 });
  bot = new QQBotConnector({
    appId: 'test-app',
    secret: 'test-secret',
    intents: Intents.GROUP_AND_C2C_EVENT,
    endpoints: fake.endpoints,
  });
});

afterEach(async () => {
  await bot.close();
  await fake.close();
});

it('answers "ping" with "pong", as a passive reply', async () => {
  bot.on('dispatch', (e) => {
    if (e.type === 'GROUP_AT_MESSAGE_CREATE' && e.data.content.trim() === 'ping') void bot.reply(e, 'pong');
  });
  await bot.start();
  const replied = once(fake.rest, 'message');
  fake.dispatch('GROUP_AT_MESSAGE_CREATE', {
    id: 'msg-1', // the message replied to: becomes msg_id
    content: ' ping',
    timestamp: new Date().toISOString(), // starts the reply window (5 min for groups)
    group_openid: 'group-1', // where the reply goes
    author: { member_openid: 'member-1' },
  });
  const [message] = await replied;
  expect(message).toMatchObject({
    kind: 'group',
    targetId: 'group-1',
    body: { content: 'pong', msg_type: 0, msg_id: 'msg-1', msg_seq: 1 },
  });
});

it('an event without a message id is not delivered, so nothing is replied (the documented required fields)', async () => {
  const errors: string[] = [];
  bot.on('error', (err) => errors.push(err.code));
  let delivered = 0;
  bot.on('dispatch', (e) => {
    delivered += 1;
    if (e.type === 'C2C_MESSAGE_CREATE') void bot.reply(e, 'pong');
  });
  await bot.start();
  fake.dispatch('C2C_MESSAGE_CREATE', { content: 'ping', author: { user_openid: 'user-1' } });
  fake.dispatch('C2C_MESSAGE_CREATE', { id: 'msg-2', content: 'ping', author: { user_openid: 'user-1' } });
  await fake.waitFor(() => fake.rest.messages.length === 1);
  expect(errors).toEqual(['QQBOT_INVALID_EVENT']);
  expect(delivered).toBe(1);
  expect(fake.rest.messages[0]).toMatchObject({
    kind: 'c2c',
    targetId: 'user-1',
    body: { content: 'pong', msg_id: 'msg-2', msg_seq: 1 },
  });
});

it('another event type is replied to with its event id', async () => {
  bot.on('dispatch', (e) => {
    if (e.type === 'GROUP_ADD_ROBOT') void bot.reply(e, 'thanks for adding me');
  });
  await bot.start();
  const replied = once(fake.rest, 'message');
  fake.dispatch(
    'GROUP_ADD_ROBOT',
    { group_openid: 'group-2', op_member_openid: 'member-2', timestamp: Math.floor(Date.now() / 1000) },
    { id: 'GROUP_ADD_ROBOT:abc' },
  );
  const [message] = await replied;
  expect(message).toMatchObject({
    kind: 'group',
    targetId: 'group-2',
    body: { content: 'thanks for adding me', event_id: 'GROUP_ADD_ROBOT:abc', msg_seq: 1 },
  });
});
