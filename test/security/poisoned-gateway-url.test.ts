import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { QQBotConnector } from '../../src/connector.js';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { FileSessionStore } from '../../src/store/file-session-store.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { useFakeQQ } from '../helpers.js';
import { REDIS_URL, deleteKeysUnder, uniquePrefix } from '../store/redis-helpers.js';

const env = useFakeQQ();

/** A gateway an attacker runs: it greets every socket with Hello and records whatever it is sent. */
interface Attacker {
  url: string;
  connections: number;
  frames: string[];
  close(): Promise<void>;
}

async function attackerGateway(): Promise<Attacker> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const attacker: Attacker = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/websocket`,
    connections: 0,
    frames: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    attacker.connections += 1;
    ws.on('message', (data) => attacker.frames.push(String(data)));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
  });
  return attacker;
}

let attacker: Attacker;
let dir: string;
let prefix: string;
/** Every connector a test started: closed (with its store: its lock socket, its writes) before `dir` is removed. */
const bots: QQBotConnector[] = [];

beforeEach(async () => {
  attacker = await attackerGateway();
  dir = await mkdtemp(join(tmpdir(), 'qqbot-poisoned-'));
  prefix = uniquePrefix();
});

afterEach(async () => {
  // Before the directory goes: a running connector writes checkpoints and holds the lock socket inside it.
  await Promise.all(bots.splice(0).map((bot) => bot.close()));
  await attacker.close();
  await rm(dir, { recursive: true, force: true });
  await deleteKeysUnder(prefix);
});

/** Starts a connector on `store` and waits for its session; the errors it reported meanwhile. */
async function runOn(store: SessionStore): Promise<QQBotError[]> {
  const bot = env.make({ store });
  bots.push(bot);
  const errors: QQBotError[] = [];
  bot.on('error', (err) => errors.push(err));
  // Not events.once: it would reject on the 'error' this test expects.
  const ready = new Promise((resolve) => bot.once('ready', resolve));
  await bot.start();
  await ready;
  return errors;
}

function expectNothingReachedTheAttacker(): void {
  expect(attacker.connections).toBe(0);
  expect(attacker.frames).toEqual([]);
}

describe('a gateway URL is untrusted input: the token goes only to an allowed host', () => {
  const poisoned = (): { sessionId: string; seq: number; gatewayUrl: string; recentIds: string[] } => ({
    sessionId: 'stolen-session',
    seq: 7,
    gatewayUrl: attacker.url,
    recentIds: [],
  });

  it('a poisoned session file: the attacker’s gateway gets no RESUME, IDENTIFY or token; QQBOT_GATEWAY_URL_REFUSED and a session on the real gateway', async () => {
    const file = join(dir, 'session.json');
    // Whoever can write the file writes a checkpoint naming their own gateway.
    await new FileSessionStore(file, { lease: false }).save(0, poisoned()); // written by hand, as an attacker would
    const errors = await runOn(new FileSessionStore(file));
    expect(errors.filter((e) => e.code === ErrorCodes.GATEWAY_URL_REFUSED).map((e) => e.details)).toEqual([
      { source: 'checkpoint', host: new URL(attacker.url).host },
    ]);
    expect(env.fake.stats.gatewayBotCalls).toBeGreaterThanOrEqual(1);
    expectNothingReachedTheAttacker();
  });

  it('a poisoned Redis key: the same', async () => {
    const writer = new RedisSessionStore({ url: REDIS_URL, prefix, lease: false });
    await writer.save(0, poisoned());
    await writer.close();
    const errors = await runOn(new RedisSessionStore({ url: REDIS_URL, prefix, lease: false }));
    expect(errors.filter((e) => e.code === ErrorCodes.GATEWAY_URL_REFUSED).map((e) => e.details.source)).toEqual([
      'checkpoint',
    ]);
    expectNothingReachedTheAttacker();
  });

  it('a /gateway/bot answer naming another host: refused and reported, fetched again, and the session starts on the real gateway', async () => {
    env.fake.answerGatewayUrl(1, attacker.url);
    const errors = await runOn(new FileSessionStore(join(dir, 'fresh.json')));
    expect(errors.filter((e) => e.code === ErrorCodes.GATEWAY_URL_REFUSED).map((e) => e.details)).toEqual([
      { source: 'gateway/bot', host: new URL(attacker.url).host },
    ]);
    // At least the refused answer and the refetch (a timeout under load may add one).
    expect(env.fake.stats.gatewayBotCalls).toBeGreaterThanOrEqual(2);
    expectNothingReachedTheAttacker();
  });
});
