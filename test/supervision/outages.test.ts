import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import { CHANNEL_NAMES, type ChannelMessages } from '../../src/metrics/channels.js';
import { collect, expectExactlyOnceInOrder, nextEvent, rejection, untilCount, useFakeQQ } from '../helpers.js';

// Outages that outlast the old restart budget (fatal after 10 restarts in 60 s): the session comes back with no
// manual step and no fatal. Shrunk delays where the count matters; one test per case with the default restart
// options ({} resolves to DEFAULT_RESTART), kept to a few failures so the test stays short.

const env = useFakeQQ();
const SHRUNK = { restart: { minDelayMs: 1, maxDelayMs: 20, maxRestarts: 10, windowMs: 60_000 } } as const;
const DEFAULTS = { restart: {} } as const;

/** What the host saw: restarts, handled errors, fatals. */
function watch(bot: QQBotConnector): { restarts: RestartEvent[]; errors: QQBotError[]; fatals: QQBotError[] } {
  const seen = { restarts: [] as RestartEvent[], errors: [] as QQBotError[], fatals: [] as QQBotError[] };
  bot.on('restart', (e) => seen.restarts.push(e));
  bot.on('error', (e) => seen.errors.push(e));
  bot.on('fatal', (e) => seen.fatals.push(e));
  return seen;
}

describe('GET /gateway/bot outage', () => {
  it('15 failures in a row (an escalation): start() resolves once it answers again, no fatal', async () => {
    env.fake.failGatewayBot(15);
    const bot = env.make(SHRUNK);
    const seen = watch(bot);
    await bot.start();
    expect(env.fake.stats.gatewayBotCalls).toBe(16);
    expect(seen.fatals).toStrictEqual([]);
    const budget = seen.errors.filter((e) => e.code === ErrorCodes.RESTART_BUDGET);
    expect(budget).toHaveLength(1);
    expect(budget.every((e) => e.retryable)).toBe(true);
    expect(seen.restarts.filter((r) => r.escalated)).toHaveLength(1);
    expect(bot.health()).toMatchObject({ ok: true });
  });

  it('with the default restart options: backs off within the default ceilings and connects', async () => {
    env.fake.failGatewayBot(4);
    const bot = env.make(DEFAULTS);
    const seen = watch(bot);
    await bot.start();
    expect(seen.restarts.map((r) => r.decision)).toStrictEqual(['resume', 'resume', 'resume', 'resume']);
    seen.restarts.forEach((r, i) => expect(r.delayMs).toBeLessThanOrEqual(250 * 2 ** i));
    expect(seen.fatals).toStrictEqual([]);
  }, 20_000);
});

describe('WebSocket outage mid-session', () => {
  /** A session with 20 events delivered, then every gateway upgrade refused and the live socket dropped. */
  async function outage(bot: QQBotConnector, refusals: number): Promise<void> {
    const events = collect(bot);
    const seen = watch(bot);
    await bot.start();
    await env.fake.emitEvents(20);
    await untilCount(bot, events, 20);
    env.fake.refuseConnections(600_000);
    env.fake.dropConnections();
    // Events go on in the platform's session while the bot cannot reach it.
    await env.fake.emitEvents(20);
    await env.fake.waitFor(() => env.fake.stats.refusedConnections >= refusals, 30_000);
    expect(bot.health().ok).toBe(false);
    expect(bot.status()[0]).toMatchObject({ connectedSince: null, sessionId: 'session-1' });
    const resumed = nextEvent(bot, 'resumed');
    env.fake.refuseConnections(0);
    await resumed;
    await env.fake.emitEvents(10);
    await untilCount(bot, events, 50);
    // RESUMED, not re-identified: nothing lost, nothing twice.
    expectExactlyOnceInOrder(events, 0, 50);
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(seen.restarts.every((r) => r.decision === 'resume')).toBe(true);
    expect(seen.fatals).toStrictEqual([]);
    expect(bot.health().ok).toBe(true);
  }

  it('refused for 15 attempts (past the old budget and the 3 failed-resume fallback): the session is RESUMED', async () => {
    await outage(env.make(SHRUNK), 15);
  });

  it('with the default restart options: refused 3 times, the session is RESUMED', async () => {
    await outage(env.make(DEFAULTS), 3);
  }, 20_000);
});

describe('the whole platform unreachable, then back (probes between attempts)', () => {
  /** Probes seen on the connector's diagnostics channel while `body` runs. */
  async function withProbes(body: (probes: ChannelMessages['probe'][]) => Promise<void>): Promise<void> {
    const probes: ChannelMessages['probe'][] = [];
    const onProbe = (m: unknown): void => void probes.push(m as ChannelMessages['probe']);
    diagnosticsChannel.subscribe(CHANNEL_NAMES.probe, onProbe);
    try {
      await body(probes);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNEL_NAMES.probe, onProbe);
    }
  }

  /** A session with 10 events, then `outageMs` of `fake.outage()` with 10 events meanwhile; resolves ms from the platform's return to RESUMED. */
  async function outageThenResumed(bot: QQBotConnector, outageMs: number): Promise<number> {
    const events = collect(bot);
    await bot.start();
    await env.fake.emitEvents(10);
    await untilCount(bot, events, 10);
    const back = performance.now() + outageMs;
    env.fake.outage(outageMs);
    await env.fake.emitEvents(10);
    const resumed = nextEvent(bot, 'resumed');
    await env.fake.waitFor(() => performance.now() >= back, outageMs + 1_000);
    await resumed;
    const backAfterMs = performance.now() - back;
    await untilCount(bot, events, 20);
    expectExactlyOnceInOrder(events, 0, 20);
    expect(env.fake.stats.identifies).toHaveLength(1);
    return backAfterMs;
  }

  it('a probe ends a minute-long wait once the platform answers again (every failure escalates: no jitter)', async () => {
    // maxRestarts 0: each failed attempt escalates and waits exactly maxDelayMs; the default probe interval.
    const bot = env.make({ restart: { maxRestarts: 0, maxDelayMs: 60_000 } });
    const seen = watch(bot);
    await withProbes(async (probes) => {
      const backAfterMs = await outageThenResumed(bot, 3_000);
      expect(probes.some((p) => !p.answered)).toBe(true);
      expect(probes.at(-1)?.answered).toBe(true);
      // Far sooner than the minute the backoff asked for; generous under load.
      expect(seen.restarts.filter((r) => !r.progressed).every((r) => r.delayMs === 60_000)).toBe(true);
      expect(backAfterMs).toBeLessThan(15_000);
    });
    expect(seen.fatals).toStrictEqual([]);
  }, 40_000);

  it('with the default restart options: RESUMED within seconds of the platform coming back, few attempts, /gateway/bot read at most once', async () => {
    const bot = env.make(DEFAULTS);
    const seen = watch(bot);
    const gatewayBotCalls = env.fake.stats.gatewayBotCalls;
    // Long enough for the backoff to grow past the probe interval: the backoff alone would now wait up to 8–16 s.
    const backAfterMs = await outageThenResumed(bot, 12_000);
    // Generous under load (docs/benchmarks.md has the figures): one probe interval, then one attempt.
    expect(backAfterMs).toBeLessThan(10_000);
    expect(seen.restarts.length).toBeLessThan(15);
    // The first start's read happened before: during the outage, one refetch at most (the platform rate-limits it).
    expect(env.fake.stats.gatewayBotCalls - gatewayBotCalls).toBeLessThanOrEqual(2);
    expect(seen.fatals).toStrictEqual([]);
  }, 45_000);

  it('the gateway refusing every attempt: /gateway/bot is read again once, not once per attempt', async () => {
    const bot = env.make({ restart: { ...SHRUNK.restart, maxRestarts: 100 } });
    await bot.start();
    env.fake.refuseConnections(600_000);
    env.fake.dropConnections();
    await env.fake.waitFor(() => env.fake.stats.refusedConnections >= 8, 15_000);
    const resumed = nextEvent(bot, 'resumed');
    env.fake.refuseConnections(0);
    await resumed;
    // The first connection's read, and one refetch after the cached URL first failed.
    expect(env.fake.stats.gatewayBotCalls).toBe(2);
  });
});

describe('token endpoint outage', () => {
  it('at start: 15 failures in a row, then start() resolves, no fatal', async () => {
    env.fake.failToken(15);
    const bot = env.make(SHRUNK);
    const seen = watch(bot);
    await bot.start();
    expect(env.fake.stats.tokenCalls).toBe(16);
    expect(seen.restarts.every((r) => r.kind === 'token-failed' && r.decision === 'resume')).toBe(true);
    expect(seen.fatals).toStrictEqual([]);
  });

  it('mid-session, when the token must be replaced (4004): the outage passes and the session is RESUMED', async () => {
    const bot = env.make(SHRUNK);
    const events = collect(bot);
    const seen = watch(bot);
    await bot.start();
    await env.fake.emitEvents(10);
    await untilCount(bot, events, 10);
    env.fake.failToken(15);
    const resumed = nextEvent(bot, 'resumed');
    env.fake.closeConnections(4004);
    await resumed;
    expect(env.fake.stats.tokenCalls).toBe(17);
    await env.fake.emitEvents(10);
    await untilCount(bot, events, 20);
    expectExactlyOnceInOrder(events, 0, 20);
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(seen.fatals).toStrictEqual([]);
  });

  it('with the default restart options: 3 failures at start, then the session', async () => {
    env.fake.failToken(3);
    const bot = env.make(DEFAULTS);
    const seen = watch(bot);
    await bot.start();
    expect(seen.restarts).toHaveLength(3);
    expect(seen.fatals).toStrictEqual([]);
  }, 20_000);
});

describe('a stale-session loop (every RESUME answered RESUMED, then closed 4009 at once)', () => {
  it('with the default restart options: 3 resumes with backoff, then IDENTIFY, then a session that stays', async () => {
    const bot = env.make(DEFAULTS);
    const events = collect(bot);
    const seen = watch(bot);
    await bot.start();
    await env.fake.emitEvents(5);
    await untilCount(bot, events, 5);
    env.fake.closeAfterResumed(1_000);
    const ready = nextEvent(bot, 'ready');
    env.fake.closeConnections(4009);
    await ready;
    expect(env.fake.stats.resumes).toHaveLength(3);
    expect(env.fake.stats.identifies).toHaveLength(2);
    // The first restart follows a session that made progress; the loop's restarts did not, and backed off.
    expect(seen.restarts.map((r) => [r.decision, r.progressed])).toStrictEqual([
      ['resume', true],
      ['resume', false],
      ['resume', false],
      ['identify', false],
    ]);
    expect(seen.restarts[0]?.delayMs).toBe(0);
    seen.restarts.slice(1).forEach((r, i) => expect(r.delayMs).toBeLessThanOrEqual(250 * 2 ** i));
    expect(bot.status()[0]).toMatchObject({ state: 'ready', sessionId: 'session-2', consecutiveFailures: 3 });
    await env.fake.emitEvents(5);
    await untilCount(bot, events, 10);
    expect(seen.fatals).toStrictEqual([]);
  }, 20_000);
});

describe('start()', () => {
  it('start({ signal }) aborted after failed attempts rejects QQBOT_ABORTED caused by the last error, and closes', async () => {
    env.fake.failGatewayBot(1_000);
    const bot = env.make(SHRUNK);
    const controller = new AbortController();
    const started = bot.start({ signal: controller.signal });
    await env.fake.waitFor(() => env.fake.stats.gatewayBotCalls >= 3);
    controller.abort();
    const err = await rejection(started);
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect(err.cause).toBeInstanceOf(QQBotError);
    expect((err.cause as QQBotError).code).toBe(ErrorCodes.GATEWAY_UNAVAILABLE);
    await bot.close();
    expect(bot.status()[0]?.state).toBe('closed');
  });

  it('close() during an outage rejects start() with QQBOT_CLOSED, never a fatal', async () => {
    env.fake.failToken(1_000);
    const bot = env.make(SHRUNK);
    const seen = watch(bot);
    const started = rejection(bot.start());
    await env.fake.waitFor(() => env.fake.stats.tokenCalls >= 3);
    await bot.close();
    expect((await started).code).toBe(ErrorCodes.CLOSED);
    expect(seen.fatals).toStrictEqual([]);
  });
});

describe('health()', () => {
  it('ok only while every shard has a session', async () => {
    const bot = env.make(SHRUNK);
    expect(bot.health()).toStrictEqual({ ok: false, shards: [] });
    env.fake.holdHello(true);
    const started = bot.start();
    await env.fake.waitFor(() => env.fake.stats.connections === 1);
    expect(bot.health()).toMatchObject({ ok: false, shards: [{ state: 'connecting', connectedSince: null }] });
    env.fake.holdHello(false);
    await started;
    expect(bot.health()).toMatchObject({ ok: true, shards: [{ state: 'ready', disconnectedSince: null }] });
    await bot.close();
    expect(bot.health().ok).toBe(false);
  });
});
