import { afterEach, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../store/redis-helpers.js';
import { APP_ID, SECRET } from './helpers.js';

const bots: QQBotConnector[] = [];
let prefix: string | undefined;

afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.close()));
  if (prefix !== undefined) await deleteKeysUnder(prefix);
  prefix = undefined;
});

it('webhook replicas sharing a RedisSessionStore (default options, ownership on) all listen: a listener has no session to own', async () => {
  const storePrefix = uniquePrefix();
  prefix = storePrefix;
  for (let i = 0; i < 2; i++) {
    const store = new RedisSessionStore({ url: REDIS_URL, prefix: storePrefix });
    bots.push(new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 }, store }));
  }
  await Promise.all(bots.map((bot) => bot.start()));
  for (const bot of bots) {
    expect(bot.health()).toMatchObject({ ok: true, shards: [{ state: 'ready' }] });
    expect(bot.webhookAddress()?.port).toEqual(expect.any(Number));
  }
});
