import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import type { ReplyStore } from '../../src/replies/passive-reply.js';
import { RedisSessionStore } from '../../src/store/redis-session-store.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { REDIS_URL, deleteKeysUnder, freePort, keysUnder, uniquePrefix } from '../store/redis-helpers.js';
import { APP_ID, SECRET } from './helpers.js';

// What replicas of a webhook bot share through the store (delivered callbacks, reply counts), and the options
// that mean nothing for a webhook, refused.

const prefix = uniquePrefix();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  await deleteKeysUnder(prefix);
});

function redisStore(options: { lease?: boolean } = {}): RedisSessionStore {
  const store = new RedisSessionStore({ url: REDIS_URL, prefix, ...options });
  closers.push(() => store.close());
  return store;
}

describe('replies across webhook replicas', () => {
  it('with default options and a shared RedisSessionStore: distinct msg_seq from two replicas, and the limit of 5 holds across them', async () => {
    const fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    closers.push(() => fake.close());
    const replicas = [0, 1].map(() => {
      const bot = new QQBotConnector({
        appId: APP_ID,
        secret: SECRET,
        transport: { kind: 'webhook' },
        endpoints: fake.endpoints,
        store: redisStore(),
      });
      closers.push(() => bot.close());
      return bot;
    });
    const timestamp = new Date().toISOString();
    fake.rest.registerMessage({ id: 'msg-fleet', timestamp, kind: 'group' });
    const event = {
      type: 'GROUP_AT_MESSAGE_CREATE' as const,
      id: 'evt-fleet',
      data: { id: 'msg-fleet', group_openid: 'G1', timestamp },
    };
    const results = await Promise.allSettled(
      Array.from({ length: 7 }, (_, i) => replicas[i % 2]!.reply(event, `reply ${i}`)),
    );
    const seqs = fake.rest
      .requestsTo('/v2/groups/G1/messages', 'POST')
      .map((r) => (r.body as { msg_seq: number }).msg_seq);
    expect(seqs.sort()).toEqual([1, 2, 3, 4, 5]);
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as QQBotError).code] : []));
    expect(refused).toEqual([ErrorCodes.PASSIVE_REPLY_LIMIT, ErrorCodes.PASSIVE_REPLY_LIMIT]);
    expect(await keysUnder(prefix)).toContain(`${prefix}reply:m:msg-fleet`);
  });

  it('keeps replying while the shared store does not answer: counts kept in the process, QQBOT_STORE_UNAVAILABLE reported once', async () => {
    const fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    closers.push(() => fake.close());
    const away = new RedisSessionStore({ url: `redis://127.0.0.1:${await freePort()}`, prefix, commandTimeoutMs: 200 });
    const bot = new QQBotConnector({
      appId: APP_ID,
      secret: SECRET,
      transport: { kind: 'webhook' },
      endpoints: fake.endpoints,
      store: away,
    });
    closers.push(() => bot.close());
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    const timestamp = new Date().toISOString();
    fake.rest.registerMessage({ id: 'msg-away', timestamp, kind: 'group' });
    const event = { type: 'GROUP_AT_MESSAGE_CREATE' as const, data: { id: 'msg-away', group_openid: 'G1', timestamp } };
    await bot.reply(event, 'first');
    await bot.reply(event, 'second');
    const seqs = fake.rest
      .requestsTo('/v2/groups/G1/messages', 'POST')
      .map((r) => (r.body as { msg_seq: number }).msg_seq);
    expect(seqs).toEqual([1, 2]);
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.STORE_UNAVAILABLE]);
  });

  it('takes replies.store over the store’s own', async () => {
    const spent: string[] = [];
    const mine: ReplyStore = { spend: (key) => Promise.resolve(spent.push(key)) };
    const bot = new QQBotConnector({
      appId: APP_ID,
      secret: SECRET,
      transport: { kind: 'webhook' },
      store: redisStore(),
      replies: { store: mine },
    });
    closers.push(() => bot.close());
    const plan = await bot.api.replies.plan({
      type: 'GROUP_AT_MESSAGE_CREATE' as const,
      data: { id: 'msg-mine', group_openid: 'G1', timestamp: new Date().toISOString() },
    });
    expect(plan.fields).toEqual({ msg_id: 'msg-mine', msg_seq: 1 });
    expect(spent).toEqual(['m:msg-mine']);
    expect(await keysUnder(prefix)).toEqual([]);
  });
});

describe('webhook options that mean nothing', () => {
  const base = { appId: APP_ID, secret: SECRET, transport: { kind: 'webhook' as const } };
  const refused = (options: object): QQBotError => {
    try {
      new QQBotConnector({ ...base, ...options });
    } catch (err) {
      return err as QQBotError;
    }
    throw new Error('accepted');
  };

  it('takes a store with ownership (the default, or lease: true) and does not use it: a webhook has no session to own', () => {
    for (const store of [redisStore(), redisStore({ lease: true })]) {
      expect(store.fleet?.leases).toBeDefined();
      const bot = new QQBotConnector({ ...base, store });
      closers.push(() => bot.close());
    }
  });

  it('refuses checkpoint and dedupeWindow, which only a gateway session uses', () => {
    expect(refused({ checkpoint: { batchSize: 10 } }).code).toBe(ErrorCodes.INVALID_OPTION);
    expect(refused({ dedupeWindow: 4_096 }).code).toBe(ErrorCodes.INVALID_OPTION);
  });

  it('accepts a store: its claims and reply counts are what replicas share', () => {
    const store = redisStore();
    expect(store.claims).toBeDefined();
    expect(store.replies).toBeDefined();
    const bot = new QQBotConnector({ ...base, store });
    closers.push(() => bot.close());
    expect(bot.api.replies).toBeDefined();
  });
});
