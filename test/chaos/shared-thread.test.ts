import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import type { DispatchEvent } from '../../src/events.js';
import type { QQBotError } from '../../src/errors.js';
import { ThreadPool } from '../../src/runners/thread-pool.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { CHAOS_WORKER, collect, connectorFor, injectFault, nextEvent, threadOf, threadRunnerFor } from '../helpers.js';

const SPY_WORKER = fileURLToPath(new URL('../fixtures/spy-worker.js', import.meta.url));
const APPS = ['a', 'b', 'c', 'd'].map((x) => ({ appId: `bot-${x}`, secret: `secret-${x}-${'s'.repeat(16)}` }));

let fake: FakeQQServer;
let bots: QQBotConnector[] = [];

beforeEach(async () => {
  fake = await FakeQQServer.start({ apps: APPS });
});

afterEach(async () => {
  await Promise.all(bots.map((bot) => bot.close()));
  bots = [];
  await fake.close();
});

/** Bots a–d on one pool of `workerFile`: three sessions per thread, so a, b and c share a thread and d has another. */
async function startBots(workerFile: string): Promise<{ pool: ThreadPool; seen: DispatchEvent[][] }> {
  const pool = new ThreadPool({ sessionsPerThread: 3 }, workerFile);
  bots = APPS.map((app) => connectorFor(fake, { ...app, runner: threadRunnerFor(workerFile, app, pool) }));
  const seen = bots.map((bot) => collect(bot));
  // One at a time: a, b, c fill the first thread in order.
  for (const bot of bots) await bot.start();
  return { pool, seen };
}

function sessionOf(appId: string): string {
  const session = fake.sessions.filter((s) => s.appId === appId).at(-1);
  if (session === undefined) throw new Error(`no session of ${appId}`);
  return session.id;
}

/** Every bot got exactly the seqs the fake dispatched into its session, once each, in order. */
function expectEachBotExactlyOnce(seen: DispatchEvent[][], sent: number[][]): void {
  seen.forEach((events, i) =>
    expect(
      events.map((e) => e.seq),
      APPS[i]?.appId,
    ).toEqual(sent[i]),
  );
}

describe('a shared thread dies with several bots in it: only its sessions restart, each RESUMEs, exactly once for every bot', () => {
  const kills: Array<[string, (pool: ThreadPool, threadId: number) => Promise<void>, string]> = [
    ['worker.terminate()', (pool, threadId) => pool.terminateThread(threadId), 'terminated'],
    ['process.exit in the worker', (_pool, threadId) => injectFault('exit', threadId), 'crashed'],
    ['a hang caught by the watchdog', (_pool, threadId) => injectFault('hang', threadId), 'hung'],
  ];

  it.each(kills)('%s', async (_label, kill, cause) => {
    const { pool, seen } = await startBots(CHAOS_WORKER);
    const [a, b, c, d] = bots as [QQBotConnector, QQBotConnector, QQBotConnector, QQBotConnector];
    const shared = threadOf(a);
    expect([threadOf(b), threadOf(c)]).toEqual([shared, shared]);
    expect(threadOf(d)).not.toBe(shared);
    expect(pool.threads().find((t) => t.threadId === shared)?.sessions).toBe(3);

    const emitting = APPS.map((app) => fake.emitEvents(300, { ratePerSec: 1_000, session: sessionOf(app.appId) }));
    await fake.waitFor(() => seen.every((events) => events.length >= 50), 10_000);
    const resumed = [a, b, c].map((bot) => nextEvent(bot, 'resumed'));
    const restarts = [a, b, c].map((bot) => nextEvent<{ kind: string; reason: string }>(bot, 'restart'));
    await kill(pool, shared);
    await Promise.all(resumed);
    for (const restart of restarts)
      expect((await restart).reason).toContain(
        cause === 'hung' ? 'stalled' : cause === 'crashed' ? 'died' : 'terminated',
      );
    const sent = await Promise.all(emitting);
    await fake.waitFor(() => seen.every((events, i) => events.length >= (sent[i]?.length ?? 0)), 10_000);

    expectEachBotExactlyOnce(seen, sent);
    // One IDENTIFY per bot, ever; one RESUME for each bot of the dead thread; d never restarted.
    expect(fake.stats.identifies.map((r) => r.appId).sort()).toEqual(APPS.map((app) => app.appId));
    expect(fake.stats.resumes).toHaveLength(3);
    expect(bots.map((bot) => bot.status()[0]?.restarts)).toEqual([1, 1, 1, 0]);
    expect(fake.stats.maxConcurrentPerSession).toBe(1);
  });

  it('a kill of one bot’s attempt ends only that attempt: the thread and its other bots go on', async () => {
    const { seen } = await startBots(CHAOS_WORKER);
    const [a, b, c] = bots as [QQBotConnector, QQBotConnector, QQBotConnector];
    const shared = threadOf(a);
    const emitting = APPS.map((app) => fake.emitEvents(200, { ratePerSec: 1_000, session: sessionOf(app.appId) }));
    await fake.waitFor(() => seen.every((events) => events.length >= 50), 10_000);
    const resumed = nextEvent(b, 'resumed');
    await b.terminateWorker();
    await resumed;
    const sent = await Promise.all(emitting);
    await fake.waitFor(() => seen.every((events, i) => events.length >= (sent[i]?.length ?? 0)), 10_000);
    expectEachBotExactlyOnce(seen, sent);
    expect(bots.map((bot) => bot.status()[0]?.restarts)).toEqual([0, 1, 0, 0]);
    expect([threadOf(a), threadOf(c)]).toEqual([shared, shared]);
    expect(fake.stats.resumes).toHaveLength(1);
  });
});

describe('secrets in a shared thread', () => {
  it('each bot’s token travels in its own sessions’ Start frames only; no secret crosses; each session is its own bot’s', async () => {
    const frames: Array<{
      threadId: number;
      frame?: { op: number; spec?: { appId: string; accessToken: string } };
      boot?: unknown;
    }> = [];
    const channel = new BroadcastChannel('qqbot-spy');
    channel.onmessage = (event) => frames.push((event as MessageEvent).data as (typeof frames)[number]);
    process.env.QQBOT_SECRET = APPS[0]?.secret;
    try {
      await startBots(SPY_WORKER);
      const errors: QQBotError[] = [];
      const debug: string[] = [];
      for (const bot of bots) bot.on('error', (e) => errors.push(e)).on('debug', (m) => debug.push(m));
      const resumed = nextEvent(bots[0] as QQBotConnector, 'resumed');
      await bots[0]?.terminateWorker();
      await resumed;
      const statuses = await Promise.all(bots.map((bot) => bot.workerStatus()));
      await fake.waitFor(() => frames.filter((f) => f.frame?.spec !== undefined).length >= 5, 5_000);

      const starts = frames.filter((f) => f.frame?.spec !== undefined);
      expect(starts.map((f) => f.frame?.spec?.appId).sort()).toEqual(['bot-a', 'bot-a', 'bot-b', 'bot-c', 'bot-d']);
      // Each IDENTIFY carried the token its Start frame brought, issued by the fake to that very bot.
      const identified = fake.stats.identifies.map((r) => [
        r.appId,
        starts.find((f) => `QQBot ${f.frame?.spec?.accessToken}` === r.token)?.frame?.spec?.appId,
      ]);
      expect(identified.sort()).toEqual(APPS.map((app) => [app.appId, app.appId]));
      for (const app of APPS) expect(fake.sessions.filter((s) => s.appId === app.appId)).toHaveLength(1);
      const tokens = new Map(starts.map((f) => [f.frame?.spec?.accessToken, f.frame?.spec?.appId]));
      expect(new Set(tokens.values()).size).toBe(APPS.length);
      // A token appears in no frame but its bot's Start frames: not in calls, acks or another bot's frames.
      for (const [token, appId] of tokens) {
        const carrying = frames.filter((f) => JSON.stringify(f).includes(token as string));
        expect(carrying.every((f) => f.frame?.spec?.appId === appId)).toBe(true);
      }
      // What each bot's code paths show (events, errors, debug, status) holds no secret and no other bot's token.
      const crossed = JSON.stringify({
        frames,
        statuses,
        errors: errors.map((e) => [e.message, e.details]),
        debug,
        status: bots.map((bot) => bot.status()),
      });
      for (const app of APPS) expect(crossed).not.toContain(app.secret);
      for (const [i, status] of statuses.entries()) {
        const others = [...tokens].filter(([, appId]) => appId !== APPS[i]?.appId).map(([token]) => token as string);
        for (const token of others) expect(JSON.stringify([status, bots[i]?.status()])).not.toContain(token);
      }
    } finally {
      delete process.env.QQBOT_SECRET;
      channel.close();
    }
  });
});

describe('the pool', () => {
  it('by default, connectors share threads: one thread for several bots, one spare, and none left once they close', async () => {
    bots = APPS.map((app) => connectorFor(fake, app));
    await Promise.all(bots.map((bot) => bot.start()));
    const pool = ThreadPool.shared();
    expect(new Set(bots.map((bot) => threadOf(bot))).size).toBe(1);
    expect(
      pool
        .threads()
        .map((t) => t.sessions)
        .sort(),
    ).toEqual([0, 4]);
    await Promise.all(bots.map((bot) => bot.close()));
    bots = [];
    expect(pool.threads()).toEqual([]);
  });

  it("one bot's clean slate (restart budget spent) leaves a thread it shares with another bot alone", async () => {
    const [appA, appB] = APPS as [(typeof APPS)[number], (typeof APPS)[number]];
    const b = connectorFor(fake, appB);
    bots = [b];
    await b.start();
    const shared = threadOf(b);
    // 4900 "internal error" closes are retried; without progress, the second escalates (maxRestarts 1).
    fake.failIdentifies(3, 4900);
    const a = connectorFor(fake, { ...appA, restart: { maxRestarts: 1, minDelayMs: 1, maxDelayMs: 20 } });
    bots.push(a);
    const errors: QQBotError[] = [];
    a.on('error', (e) => errors.push(e));
    await a.start();
    expect(errors.map((e) => e.code)).toContain('QQBOT_RESTART_BUDGET');
    expect(threadOf(a)).toBe(shared);
    expect(threadOf(b)).toBe(shared);
    expect(b.status()[0]?.restarts).toBe(0);
  });

  it("threads: 'own' gives a bot a thread per shard and a spare of its own", async () => {
    bots = [connectorFor(fake, { ...APPS[0], threads: 'own', shards: 2 }), connectorFor(fake, APPS[1] ?? {})];
    await Promise.all(bots.map((bot) => bot.start()));
    const own = (bots[0] as QQBotConnector).status().map((s) => s.threadId);
    expect(new Set(own).size).toBe(2);
    expect(own).not.toContain(threadOf(bots[1] as QQBotConnector));
  }, 40_000); // two shards: their IDENTIFYs are 5 s apart

  it('refuses unknown and out-of-range options, and resourceLimits both on the connector and on its pool', () => {
    expect(() => new ThreadPool({ sessionPerThread: 2 } as never)).toThrow('did you mean `sessionsPerThread`?');
    expect(() => new ThreadPool({ sessionsPerThread: 0 })).toThrow('sessionsPerThread');
    const pool = new ThreadPool({ resourceLimits: { maxOldGenerationSizeMb: 64 } });
    expect(() => connectorFor(fake, { threads: pool, resourceLimits: { maxOldGenerationSizeMb: 64 } })).toThrow(
      'set on the ThreadPool',
    );
    expect(() => connectorFor(fake, { threads: 'mine' as never })).toThrow(
      "Expected `threads` to be 'shared', 'own' or a ThreadPool",
    );
  });
});
