import { describe, expect, it } from 'vitest';
import type { QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import { collect, nextEvent, reportTask, threadOf, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ({ heartbeatIntervalMs: 200 });

describe('each phase has its own timeout, and a timeout is an ordinary restart', () => {
  it('handshake: an upgrade that never answers times out, and the gateway URL is fetched again', async () => {
    // The first upgrade hangs; the next attempt refetches /gateway/bot and connects.
    env.fake.silenceUpgrades(1);
    const bot = env.make({ timeouts: { handshakeMs: 300 } });
    const restart = nextEvent<RestartEvent>(bot, 'restart');
    await bot.start();
    expect(await restart).toMatchObject({ kind: 'timeout', decision: 'resume' });
    expect(bot.status()[0]?.lastError).toMatchObject({
      code: 'QQBOT_PHASE_TIMEOUT',
      details: { phase: 'handshake', ms: 300 },
    });
    expect(env.fake.stats.gatewayBotCalls).toBe(2);
  });

  it('hello: a server that sends no Hello times out and the next attempt connects', async () => {
    env.fake.holdHello(true);
    const bot = env.make({ timeouts: { helloMs: 300 } });
    const restart = nextEvent<RestartEvent>(bot, 'restart');
    const started = bot.start();
    expect(await restart).toMatchObject({ kind: 'timeout' });
    expect(bot.status()[0]?.lastError).toMatchObject({
      code: 'QQBOT_PHASE_TIMEOUT',
      details: { phase: 'hello', ms: 300 },
    });
    env.fake.holdHello(false);
    await started;
    expect(env.fake.stats.identifies).toHaveLength(1);
  });

  it('ready: an Identify never answered with READY times out and identifies again', async () => {
    env.fake.holdReady(true);
    const bot = env.make({ timeouts: { readyMs: 300 } });
    const restart = nextEvent<RestartEvent>(bot, 'restart');
    const started = bot.start();
    expect(await restart).toMatchObject({ kind: 'timeout' });
    expect(bot.status()[0]?.lastError).toMatchObject({
      code: 'QQBOT_PHASE_TIMEOUT',
      details: { phase: 'ready', ms: 300 },
    });
    env.fake.holdReady(false);
    await started;
    expect(env.fake.stats.identifies.length).toBeGreaterThanOrEqual(2);
  });
});

describe('heartbeats and what crosses into the worker', () => {
  it('heartbeats carry the last seq the worker received', async () => {
    const bot = env.make();
    const events = collect(bot);
    await bot.start();
    await env.fake.emitEvents(5);
    await untilCount(bot, events, 5);
    const lastSeq = events.at(-1)?.seq;
    const beat = await new Promise<number | null>((resolve) => env.fake.once('heartbeat', resolve));
    expect(beat).toBe(lastSeq);
  });

  it('the worker receives an access token and never the secret, not even through process.env', async () => {
    // Hosts (and the CLI) keep the secret in the environment; a worker would get a copy of it by default.
    process.env.QQBOT_SECRET = 'test-secret';
    try {
      const bot = env.make({ chaos: true });
      await bot.start();
      const { task, env: workerEnv } = await reportTask(threadOf(bot));
      const token = (env.fake.stats.identifies[0]?.token ?? '').replace('QQBot ', '');
      expect(JSON.parse(task)).toMatchObject({ accessToken: token, appId: 'test-app' });
      expect(task).not.toContain('test-secret');
      expect(workerEnv).not.toContain('test-secret');
    } finally {
      delete process.env.QQBOT_SECRET;
    }
  });
});

describe('fatal and rate limits', () => {
  it("'fatal' is emitted once and nothing keeps running, without the host calling close()", async () => {
    const bot = env.make();
    const fatals: QQBotError[] = [];
    bot.on('fatal', (e) => fatals.push(e));
    await bot.start();
    env.fake.closeConnections(4915);
    await env.fake.waitFor(() => bot.status()[0]?.state === 'fatal' && bot.status()[0]?.threadId === null, 5_000);
    // close() runs by itself after a fatal error; calling it again is a no-op that waits for it.
    await bot.close();
    expect(fatals.map((e) => e.code)).toEqual(['QQBOT_BOT_BANNED']);
    expect(env.fake.stats.liveConnections).toBe(0);
    expect(env.fake.stats.connections).toBe(1);
  });

  it('a token rate limit (100001, even with HTTP 200) waits at least 60 s before the next try', async () => {
    env.fake.failToken(1, 200, { code: 100001, message: 'too many requests' });
    const bot = env.make();
    const restart = nextEvent<RestartEvent>(bot, 'restart');
    const started = bot.start().catch((e: unknown) => e);
    expect(await restart).toMatchObject({ kind: 'token-failed', delayMs: 60_000 });
    expect(bot.status()[0]).toMatchObject({
      state: 'backoff',
      lastError: { code: 'QQBOT_TOKEN_UNAVAILABLE', details: { qqCode: 100001 } },
    });
    await bot.close();
    expect(await started).toMatchObject({ code: 'QQBOT_CLOSED' });
  });
});
