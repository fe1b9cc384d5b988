import { once } from 'node:events';
import { expect, it } from 'vitest';
import type { DispatchEvent, TypedDispatchEvent } from '../../src/events.js';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { useFakeQQ } from '../helpers.js';

const env = useFakeQQ();

const groupMessage = {
  id: 'M1',
  content: ' hi',
  timestamp: new Date().toISOString(),
  group_openid: 'G1',
  author: { member_openid: 'A1' },
};
const c2cMessage = { id: 'M2', content: 'hello', timestamp: new Date().toISOString(), author: { user_openid: 'U1' } };

it("per-type listeners get only their type, right after 'dispatch' got it", async () => {
  const bot = env.make();
  const order: string[] = [];
  const groups: Array<TypedDispatchEvent<'GROUP_AT_MESSAGE_CREATE'>> = [];
  bot.on('dispatch', (e) => order.push(`dispatch ${String(e.type)}`));
  bot.on('GROUP_AT_MESSAGE_CREATE', (e) => {
    order.push(`group ${e.data.group_openid}`);
    groups.push(e);
  });
  bot.on('C2C_MESSAGE_CREATE', (e) => order.push(`c2c ${e.data.author.user_openid}`));
  await bot.start();
  env.fake.dispatch('GROUP_AT_MESSAGE_CREATE', groupMessage);
  env.fake.dispatch('C2C_MESSAGE_CREATE', c2cMessage);
  await env.fake.waitFor(() => order.length === 4);
  expect(order).toEqual(['dispatch GROUP_AT_MESSAGE_CREATE', 'group G1', 'dispatch C2C_MESSAGE_CREATE', 'c2c U1']);
  expect(groups[0]).toMatchObject({ shard: 0, type: 'GROUP_AT_MESSAGE_CREATE', data: groupMessage });
});

it('delivers an event type the library does not know, on dispatch, with its name and data', async () => {
  const bot = env.make();
  const received = once(bot, 'dispatch') as Promise<[DispatchEvent]>;
  await bot.start();
  env.fake.dispatch('SOME_NEW_EVENT_2027', { anything: [1, 2] });
  const [event] = await received;
  expect(String(event.type)).toBe('SOME_NEW_EVENT_2027');
  expect(event.data).toEqual({ anything: [1, 2] });
});

it('a per-type listener that throws is reported as QQBOT_LISTENER_THREW; the next listener still runs', async () => {
  const bot = env.make();
  const seen: string[] = [];
  bot.on('C2C_MESSAGE_CREATE', () => {
    throw new Error('handler bug');
  });
  bot.on('C2C_MESSAGE_CREATE', (e) => seen.push(e.data.id));
  const reported = once(bot, 'error') as Promise<[QQBotError]>;
  await bot.start();
  env.fake.dispatch('C2C_MESSAGE_CREATE', c2cMessage);
  const [error] = await reported;
  expect(error.code).toBe(ErrorCodes.LISTENER_THREW);
  await env.fake.waitFor(() => seen.length === 1);
  expect(seen).toEqual(['M2']);
});

it('reports a message without an id as QQBOT_INVALID_EVENT and does not deliver it; the next one arrives', async () => {
  const bot = env.make();
  const delivered: string[] = [];
  const errors: QQBotError[] = [];
  bot.on('dispatch', (e) => delivered.push(String(e.type)));
  bot.on('GROUP_AT_MESSAGE_CREATE', (e) => delivered.push(`group ${e.data.id}`));
  bot.on('error', (err) => errors.push(err));
  await bot.start();
  const { id: _dropped, ...noId } = groupMessage;
  env.fake.dispatch('GROUP_AT_MESSAGE_CREATE', noId, { id: 'evt-bad' });
  env.fake.dispatch('C2C_MESSAGE_CREATE', c2cMessage);
  await env.fake.waitFor(() => delivered.length === 1);
  expect(delivered).toEqual(['C2C_MESSAGE_CREATE']);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({
    code: ErrorCodes.INVALID_EVENT,
    retryable: false,
    details: { type: 'GROUP_AT_MESSAGE_CREATE', field: 'data.id', id: 'evt-bad' },
  });
});

it('an INTERACTION_CREATE listener ACKs the button press with the typed event; the fake records it', async () => {
  const bot = env.make();
  bot.on('INTERACTION_CREATE', (e) => {
    if (e.data.data.resolved.button_data === 'vote:yes') void bot.api.ackInteraction(e);
  });
  await bot.start();
  const acked = once(env.fake.rest, 'interaction');
  env.fake.dispatch('INTERACTION_CREATE', {
    id: 'I-42',
    type: 11,
    chat_type: 1,
    group_openid: 'G1',
    data: { type: 11, resolved: { button_data: 'vote:yes', button_id: '0-0' } },
  });
  await acked;
  expect(env.fake.rest.interactions).toEqual([{ id: 'I-42', code: 0, at: expect.any(Number) }]);
});
