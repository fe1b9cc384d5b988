import { afterEach, beforeEach, expect, it } from 'vitest';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { ReplyTracker, type ReplyPlan } from '../../src/replies/passive-reply.js';
import { RedisReplyStore } from '../../src/redis/index.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { REDIS_URL, deleteKeysUnder, keysUnder, uniquePrefix } from './redis-helpers.js';

let prefix: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  prefix = uniquePrefix();
});

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  await deleteKeysUnder(prefix);
});

function store(): RedisReplyStore {
  const s = new RedisReplyStore({ url: REDIS_URL, prefix });
  closers.push(() => s.close());
  return s;
}

const groupMessage = (id: string, timestamp = new Date().toISOString()) => ({
  type: 'GROUP_AT_MESSAGE_CREATE' as const,
  data: { id, group_openid: 'G1', timestamp },
});

it('two trackers on two connections (two processes) never hand out the same msg_seq, and stop at 5 together', async () => {
  const a = new ReplyTracker({ store: store() });
  const b = new ReplyTracker({ store: store() });
  const event = groupMessage('msg-1');
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).plan(event)));
  const seqs = results
    .filter((r): r is PromiseFulfilledResult<ReplyPlan> => r.status === 'fulfilled')
    .map((r) => r.value.fields.msg_seq);
  expect(seqs.sort()).toEqual([1, 2, 3, 4, 5]);
  const refused = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason as QQBotError);
  expect(refused.map((e) => e.code)).toEqual(Array(3).fill(ErrorCodes.PASSIVE_REPLY_LIMIT));
});

it('a count expires when its reply window closes (5 min for a group message, from data.timestamp)', async () => {
  const sentAt = Date.now() - 60_000;
  await new ReplyTracker({ store: store() }).plan(groupMessage('msg-2', new Date(sentAt).toISOString()));
  const keys = await keysUnder(prefix);
  expect(keys).toEqual([`${prefix}reply:m:msg-2`]);
  const { createClient } = await import('redis');
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    const ttl = await client.pTTL(`${prefix}reply:m:msg-2`);
    // 4 minutes left of the 5-minute window (a little less: time passed since).
    expect(ttl).toBeGreaterThan(235_000);
    expect(ttl).toBeLessThanOrEqual(240_000);
  } finally {
    client.destroy();
  }
});

it('an expired event is refused before anything is spent or written', async () => {
  const old = new Date(Date.now() - 6 * 60_000).toISOString();
  await expect(new ReplyTracker({ store: store() }).plan(groupMessage('msg-3', old))).rejects.toMatchObject({
    code: ErrorCodes.PASSIVE_REPLY_EXPIRED,
  });
  expect(await keysUnder(prefix)).toEqual([]);
});

it('QQOpenAPI.reply from two clients sharing the Redis store sends msg_seq 1 and 2 to the platform', async () => {
  const fake = await FakeQQServer.start();
  closers.push(() => fake.close());
  const clients = [0, 1].map(() => {
    const api = new QQOpenAPI({
      appId: 'test-app',
      secret: 'test-secret',
      endpoints: fake.endpoints,
      replies: { store: store() },
    });
    closers.push(() => api.close());
    return api;
  });
  const timestamp = new Date().toISOString();
  fake.rest.registerMessage({ id: 'msg-4', timestamp, kind: 'group' });
  const event = { type: 'GROUP_AT_MESSAGE_CREATE' as const, data: { id: 'msg-4', group_openid: 'G1', timestamp } };
  await Promise.all(clients.map((api, i) => api.reply(event, `from ${i}`)));
  const seqs = fake.rest
    .requestsTo('/v2/groups/G1/messages', 'POST')
    .map((r) => (r.body as { msg_seq: number }).msg_seq);
  expect(seqs.sort()).toEqual([1, 2]);
});

it('refuses a store without spend(), and unknown RedisReplyStore options', () => {
  expect(() => new ReplyTracker({ store: {} as never })).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
  expect(() => new RedisReplyStore({ prefx: 'x' } as never)).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
});
