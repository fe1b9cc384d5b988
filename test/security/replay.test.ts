import { Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import type { DispatchEvent } from '../../src/events.js';
import { RedisSessionStore } from '../../src/store/redis-session-store.js';
import { postCallback, type CallbackAnswer } from '../../src/testing/callback-post.js';
import { signWebhook, webhookKeyPair } from '../../src/transports/webhook/signature.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix } from '../store/redis-helpers.js';

// A captured callback — its body and headers, byte for byte — sent again while its timestamp is still inside
// the 5-minute window: after thousands of other events, at another replica, or without an event id. Each is
// acknowledged (the platform may resend the very same request) and never reaches a listener a second time.

const APP_ID = '102000888';
const SECRET = 'replay-secret-0123456789';
const KEYS = webhookKeyPair(SECRET);
const ACK = { status: 200, body: '{"op":12,"d":0}' };

const bots: QQBotConnector[] = [];
const prefixes: string[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.close()));
  await Promise.all(prefixes.splice(0).map((p) => deleteKeysUnder(p)));
});

/** A captured request: what an attacker on the path saw. */
interface Captured {
  body: string;
  headers: Record<string, string>;
}

function capture(body: string, timestamp = String(Math.floor(Date.now() / 1000))): Captured {
  return {
    body,
    headers: {
      'x-bot-appid': APP_ID,
      'x-signature-timestamp': timestamp,
      'x-signature-ed25519': signWebhook(KEYS.privateKey, timestamp, body),
    },
  };
}

function event(id: string | undefined, n: number): string {
  return JSON.stringify({
    op: 0,
    ...(id === undefined ? {} : { id }),
    t: 'GROUP_AT_MESSAGE_CREATE',
    d: { id: `msg-${n}`, content: `n${n}`, group_openid: 'G1', author: { member_openid: 'M1' } },
  });
}

function send(bot: QQBotConnector, request: Captured): Promise<CallbackAnswer> {
  return postCallback(new URL(`http://127.0.0.1:${bot.webhookAddress()!.port}/qqbot`), request.body, {
    headers: request.headers,
    agent,
    timeoutMs: 10_000,
  });
}

/** A started webhook bot with default options (but port 0), and every event it delivered. */
async function started(store?: RedisSessionStore): Promise<{ bot: QQBotConnector; seen: DispatchEvent[] }> {
  const bot = new QQBotConnector({
    appId: APP_ID,
    secret: SECRET,
    transport: { kind: 'webhook', port: 0 },
    ...(store === undefined ? {} : { store }),
  });
  bots.push(bot);
  const seen: DispatchEvent[] = [];
  bot.on('dispatch', (e) => seen.push(e));
  bot.on('error', () => undefined);
  await bot.start();
  return { bot, seen };
}

describe('replay protection', () => {
  it('refuses a captured callback replayed after 2 048 other events, inside the timestamp window', async () => {
    const { bot, seen } = await started();
    const captured = capture(event('evt-captured', 0));
    expect(await send(bot, captured)).toEqual(ACK);
    // More than the old count-bounded window (2 048 ids) of other events in between.
    const others = Array.from({ length: 2_100 }, (_, i) => capture(event(`evt-other-${i}`, i + 1)));
    for (let i = 0; i < others.length; i += 16) {
      const answers = await Promise.all(others.slice(i, i + 16).map((r) => send(bot, r)));
      expect(answers.every((a) => a.status === 200)).toBe(true);
    }
    expect(seen).toHaveLength(2_101);
    expect(await send(bot, captured)).toEqual(ACK);
    expect(seen).toHaveLength(2_101);
    expect(seen.filter((e) => e.id === 'evt-captured')).toHaveLength(1);
  }, 120_000);

  it('refuses a captured callback replayed at another replica sharing the RedisSessionStore', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const a = await started(new RedisSessionStore({ url: REDIS_URL, prefix }));
    const b = await started(new RedisSessionStore({ url: REDIS_URL, prefix }));
    const captured = capture(event('evt-elsewhere', 1));
    expect(await send(a.bot, captured)).toEqual(ACK);
    expect(await send(b.bot, captured)).toEqual(ACK);
    expect(a.seen.map((e) => e.id)).toEqual(['evt-elsewhere']);
    expect(b.seen).toEqual([]);
  });

  it('delivers a dispatch without an id once however often the same request is replayed, here or at another replica', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const a = await started(new RedisSessionStore({ url: REDIS_URL, prefix }));
    const b = await started(new RedisSessionStore({ url: REDIS_URL, prefix }));
    const captured = capture(event(undefined, 7));
    for (let i = 0; i < 3; i++) expect(await send(a.bot, captured)).toEqual(ACK);
    expect(await send(b.bot, captured)).toEqual(ACK);
    // The same signature in upper-case hex is the same request.
    expect(
      await send(b.bot, {
        ...captured,
        headers: { ...captured.headers, 'x-signature-ed25519': captured.headers['x-signature-ed25519']!.toUpperCase() },
      }),
    ).toEqual(ACK);
    expect(a.seen.map((e) => (e.data as { content: string }).content)).toEqual(['n7']);
    expect(b.seen).toEqual([]);
    expect(a.bot.status()[0]!.duplicatesDropped).toBe(2);
  });

  it('still refuses the replay with a timestamp outside the window (the check that bounds how long keys are kept)', async () => {
    const { bot, seen } = await started();
    const stale = capture(event('evt-stale', 2), String(Math.floor(Date.now() / 1000) - 301));
    expect((await send(bot, stale)).status).toBe(401);
    expect(seen).toEqual([]);
  });
});
