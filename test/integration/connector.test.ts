import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import { collect, expectExactlyOnceInOrder, nextEvent, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ({ heartbeatIntervalMs: 200 });
const make = env.make.bind(env);

describe('a session', () => {
  it('identifies, becomes ready and delivers dispatches in order', async () => {
    const b = make();
    const events = collect(b);
    const ready = nextEvent(b, 'ready');
    await b.start();
    expect((await ready) as object).toMatchObject({ shard: 0, newSession: true });
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(env.fake.stats.identifies[0]).toMatchObject({ shard: [0, 1], token: expect.stringMatching(/^QQBot /) });
    await env.fake.emitEvents(50);
    await untilCount(b, events, 50);
    expectExactlyOnceInOrder(events, 0, 50);
    expect(events[0]).toMatchObject({ shard: 0, type: 'GROUP_AT_MESSAGE_CREATE', id: expect.any(String) });
    expect(b.status()[0]).toMatchObject({ state: 'ready', seq: events.at(-1)?.seq, restarts: 0 });
  });

  it('heartbeats with the last seq and reports latency', async () => {
    const b = make();
    await b.start();
    await env.fake.waitFor(() => env.fake.stats.heartbeatAcks >= 2, 3_000);
    await env.fake.waitFor(() => b.status()[0]?.heartbeatLatencyMs !== null, 3_000);
    expect(b.status()[0]?.heartbeatLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('drops a duplicate push of the same event id', async () => {
    const b = make();
    const events = collect(b);
    await b.start();
    const message = (id: string, content: string) => ({
      id,
      content,
      timestamp: new Date().toISOString(),
      author: { user_openid: 'U1' },
    });
    env.fake.dispatch('C2C_MESSAGE_CREATE', message('m-a', 'a'), { id: 'dup-1' });
    env.fake.dispatch('C2C_MESSAGE_CREATE', message('m-a', 'a again'), { id: 'dup-1' });
    env.fake.dispatch('C2C_MESSAGE_CREATE', message('m-b', 'b'), { id: 'dup-2' });
    await untilCount(b, events, 2);
    await env.fake.emitEvents(1);
    await untilCount(b, events, 3);
    expect(events.map((e) => e.id).slice(0, 2)).toEqual(['dup-1', 'dup-2']);
    expect(b.status()[0]?.duplicatesDropped).toBe(1);
  });
});

describe('server-requested reconnects', () => {
  it('resumes at once after close 4009 (the server sees Resume, not Identify)', async () => {
    const b = make();
    const events = collect(b);
    await b.start();
    await env.fake.emitEvents(10);
    await untilCount(b, events, 10);
    const resumed = nextEvent(b, 'resumed');
    const restart = nextEvent<RestartEvent>(b, 'restart');
    env.fake.closeConnections(4009);
    expect(await restart).toMatchObject({ kind: 'closed', closeCode: 4009, decision: 'resume', delayMs: 0 });
    await resumed;
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(env.fake.stats.resumes).toHaveLength(1);
    await env.fake.emitEvents(10);
    await untilCount(b, events, 20);
    expectExactlyOnceInOrder(events, 0, 20);
  });

  it('resumes after op 7 and replays events sent while it was away', async () => {
    const b = make();
    const events = collect(b);
    await b.start();
    const resumed = nextEvent(b, 'resumed');
    env.fake.sendReconnect();
    await env.fake.emitEvents(5);
    await resumed;
    await untilCount(b, events, 5);
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(env.fake.stats.resumes.length).toBeGreaterThanOrEqual(1);
    expectExactlyOnceInOrder(events, 0, 5);
    expect(env.fake.stats.maxConcurrentPerSession).toBe(1);
  });

  it('delivers replayed events before the resumed event', async () => {
    const b = make();
    const order: string[] = [];
    b.on('dispatch', () => order.push('dispatch'));
    await b.start();
    env.fake.holdReady(true);
    const restart = nextEvent(b, 'restart');
    env.fake.dropConnections();
    await restart;
    await env.fake.emitEvents(3);
    const resumed = nextEvent(b, 'resumed').then(() => order.push('resumed'));
    await env.fake.waitFor(() => env.fake.stats.resumes.length === 1, 5_000);
    env.fake.holdReady(false);
    await resumed;
    expect(order).toEqual(['dispatch', 'dispatch', 'dispatch', 'resumed']);
  });

  it('identifies after a resume is closed with 4902 (reset by resume), without looping on resumes', async () => {
    const b = make();
    await b.start();
    env.fake.rejectResumes(3, 4902);
    const ready = nextEvent(b, 'ready');
    env.fake.closeConnections(4009);
    await ready;
    expect(env.fake.stats.resumes).toHaveLength(1);
    expect(env.fake.stats.identifies).toHaveLength(2);
  });

  it('falls back to Identify after 3 failed resumes in a row', async () => {
    const b = make();
    await b.start();
    // 4009 alone would resume again and again; the fourth try must be an Identify.
    env.fake.rejectResumes(3, 4009);
    const ready = nextEvent(b, 'ready');
    env.fake.closeConnections(4009);
    await ready;
    expect(env.fake.stats.resumes).toHaveLength(3);
    expect(env.fake.stats.identifies).toHaveLength(2);
  });

  it('identifies after op 9 with d=false, resumes after op 9 with d=true', async () => {
    const b = make();
    await b.start();
    let ready = nextEvent(b, 'ready');
    env.fake.sendInvalidSession(false);
    await ready;
    expect(env.fake.stats.identifies).toHaveLength(2);
    const resumed = nextEvent(b, 'resumed');
    env.fake.sendInvalidSession(true);
    await resumed;
    expect(env.fake.stats.identifies).toHaveLength(2);
    ready = nextEvent(b, 'ready');
    env.fake.closeConnections(4006);
    await ready;
    expect(env.fake.stats.identifies).toHaveLength(3);
  });
});

describe('half-open links', () => {
  it('detects a zombie connection (no ACK) and resumes', async () => {
    const b = make();
    await b.start();
    const restart = nextEvent<RestartEvent>(b, 'restart');
    const resumed = nextEvent(b, 'resumed');
    env.fake.stopAcking();
    expect(await restart).toMatchObject({ kind: 'zombie' });
    env.fake.resumeAcking();
    await resumed;
    expect(env.fake.stats.resumes).toHaveLength(1);
  });

  it('resumes after the TCP connection drops without a close frame', async () => {
    const b = make();
    const events = collect(b);
    await b.start();
    const resumed = nextEvent(b, 'resumed');
    env.fake.dropConnections();
    await env.fake.emitEvents(4);
    await resumed;
    await untilCount(b, events, 4);
    expectExactlyOnceInOrder(events, 0, 4);
  });
});

describe('fatal conditions stop without a reconnect loop', () => {
  it.each([
    [4914, 'QQBOT_BOT_DELISTED'],
    [4915, 'QQBOT_BOT_BANNED'],
    [4010, 'QQBOT_GATEWAY_CONFIG_REJECTED'],
    [4011, 'QQBOT_GATEWAY_CONFIG_REJECTED'],
    [4012, 'QQBOT_GATEWAY_CONFIG_REJECTED'],
    [4013, 'QQBOT_GATEWAY_CONFIG_REJECTED'],
    [4014, 'QQBOT_GATEWAY_CONFIG_REJECTED'],
  ])('close %i on identify is fatal with %s', async (code, errorCode) => {
    env.fake.failIdentifies(100, code);
    const b = make();
    const fatal = nextEvent<QQBotError>(b, 'fatal');
    await expect(b.start()).rejects.toMatchObject({ code: errorCode, retryable: false });
    expect((await fatal).code).toBe(errorCode);
    expect(env.fake.stats.identifies).toHaveLength(1);
    expect(b.status()[0]?.state).toBe('fatal');
  });

  it('a banned bot mid-session stops and never reconnects', async () => {
    const b = make();
    await b.start();
    const fatal = nextEvent<QQBotError>(b, 'fatal');
    env.fake.closeConnections(4915);
    expect((await fatal).code).toBe('QQBOT_BOT_BANNED');
    await b.close();
    expect(env.fake.stats.connections).toBe(1);
    expect(env.fake.stats.liveConnections).toBe(0);
  });

  it('4004 refreshes the token once, then is fatal if it repeats', async () => {
    env.fake.failIdentifies(2, 4004);
    const b = make();
    const tokenCallsBefore = env.fake.stats.tokenCalls;
    await expect(b.start()).rejects.toMatchObject({ code: 'QQBOT_GATEWAY_AUTH_FAILED', retryable: false });
    expect(env.fake.stats.identifies).toHaveLength(2);
    expect(env.fake.stats.tokenCalls - tokenCallsBefore).toBe(2);
  });

  it('4004 once, then a good token, recovers', async () => {
    env.fake.failIdentifies(1, 4004);
    const b = make();
    await b.start();
    expect(env.fake.stats.identifies).toHaveLength(2);
    expect(env.fake.stats.tokenCalls).toBe(2);
  });

  it('refused credentials are fatal with QQBOT_CREDENTIALS_REFUSED and never reach the gateway', async () => {
    const b = make({ secret: 'wrong-secret-value' });
    const fatal = nextEvent<QQBotError>(b, 'fatal');
    const err = await b.start().then(
      () => expect.fail('start() resolved with refused credentials'),
      (e: unknown) => e as QQBotError,
    );
    expect(err).toMatchObject({ code: 'QQBOT_CREDENTIALS_REFUSED', retryable: false });
    expect(await fatal).toBe(err);
    expect(env.fake.stats.connections).toBe(0);
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain('wrong-secret-value');
  });
});

describe('the restart budget escalates, it never gives up', () => {
  it('more than maxRestarts failures: QQBOT_RESTART_BUDGET (retryable) as an error, a clean slate, then the session', async () => {
    env.fake.failIdentifies(6, 4903);
    const b = make({ restart: { minDelayMs: 1, maxDelayMs: 5, maxRestarts: 3, windowMs: 60_000 } });
    const errors: QQBotError[] = [];
    const restarts: RestartEvent[] = [];
    b.on('error', (e) => errors.push(e));
    b.on('restart', (e) => restarts.push(e));
    await b.start();
    expect(env.fake.stats.identifies).toHaveLength(7);
    const budget = errors.filter((e) => e.code === 'QQBOT_RESTART_BUDGET');
    expect(budget).toHaveLength(1);
    expect(budget[0]).toMatchObject({ retryable: true, details: { maxRestarts: 3 } });
    expect(restarts.map((r) => r.escalated)).toEqual([false, false, false, true, false, false]);
    // The clean slate refetched /gateway/bot and asked for a new token.
    expect(env.fake.stats.gatewayBotCalls).toBe(2);
    expect(env.fake.stats.tokenCalls).toBe(2);
    expect(b.status()[0]).toMatchObject({ state: 'ready', consecutiveFailures: 6 });
    // The first heartbeat ACK of the new session is progress: the count clears.
    await env.fake.waitFor(() => b.status()[0]?.consecutiveFailures === 0, 5_000);
  });
});

describe('the seed scenario: GET /gateway/bot hangs', () => {
  it('start() still resolves when the first calls hang past the timeout', async () => {
    env.fake.hangGatewayBot(2);
    const b = make({ timeouts: { ...{ httpMs: 200 } } });
    const restarts: RestartEvent[] = [];
    b.on('restart', (e) => restarts.push(e));
    await b.start();
    expect(env.fake.stats.gatewayBotCalls).toBe(3);
    expect(restarts.map((r) => r.kind)).toEqual(['timeout', 'timeout']);
    expect(b.status()[0]).toMatchObject({
      state: 'ready',
      lastError: { code: 'QQBOT_PHASE_TIMEOUT', details: { phase: 'gateway', ms: 200 } },
    });
  });

  it('retries 5xx from /gateway/bot and from the token endpoint', async () => {
    env.fake.failGatewayBot(2, 502);
    env.fake.failToken(2, 503);
    const b = make();
    await b.start();
    expect(env.fake.stats.tokenCalls).toBe(3);
    expect(env.fake.stats.gatewayBotCalls).toBe(3);
  });

  it('reuses the cached gateway URL for reconnects', async () => {
    const b = make();
    await b.start();
    const resumed = nextEvent(b, 'resumed');
    env.fake.closeConnections(4009);
    await resumed;
    expect(env.fake.stats.gatewayBotCalls).toBe(1);
  });
});

describe('the host', () => {
  it('keeps delivering when a listener throws, and reports it as an error', async () => {
    const b = make();
    const errors: QQBotError[] = [];
    b.on('error', (e) => errors.push(e));
    b.on('dispatch', () => {
      throw new Error('host bug');
    });
    const events = collect(b);
    await b.start();
    await env.fake.emitEvents(3);
    await untilCount(b, events, 3);
    expect(errors.filter((e) => e.code === 'QQBOT_LISTENER_THREW')).toHaveLength(3);
    expectExactlyOnceInOrder(events, 0, 3);
  });

  it('close() during backoff returns promptly and leaves nothing running', async () => {
    env.fake.failIdentifies(100, 4903);
    const b = make({ restart: { minDelayMs: 10_000, maxDelayMs: 10_000 } });
    const started = b.start().catch((e: unknown) => e);
    await env.fake.waitFor(() => b.status()[0]?.state === 'backoff', 5_000);
    expect(b.status()[0]?.nextAttemptAt).toBeGreaterThan(Date.now() - 1);
    const t0 = Date.now();
    await b.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await started).toMatchObject({ code: 'QQBOT_CLOSED' });
    expect(b.status()[0]?.state).toBe('closed');
    expect(env.fake.stats.liveConnections).toBe(0);
    expect(env.fake.stats.identifies).toHaveLength(1);
  });

  it('close() after a session and a restart leaves no socket, port, timer or thread of ours behind', async () => {
    const count = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
      return counts;
    };
    const before = count();
    const b = make();
    await b.start();
    const resumed = nextEvent(b, 'resumed');
    env.fake.closeConnections(4009);
    await resumed;
    await b.close();
    await env.fake.waitFor(() => env.fake.stats.liveConnections === 0, 2_000);
    const after = count();
    for (const kind of ['TCPSocketWrap', 'MessagePort', 'Timeout', 'Immediate']) {
      expect({ kind, n: after.get(kind) ?? 0 }).toEqual({
        kind,
        n: Math.min(after.get(kind) ?? 0, before.get(kind) ?? 0),
      });
    }
  });

  it('close() is idempotent and closes the socket gracefully', async () => {
    const b = make();
    await b.start();
    await Promise.all([b.close(), b.close()]);
    await b.close();
    await env.fake.waitFor(() => env.fake.stats.liveConnections === 0, 2_000);
    expect(b.status()[0]?.state).toBe('closed');
    await expect(b.start()).rejects.toMatchObject({ code: 'QQBOT_CLOSED' });
  });

  it('start({ signal }) rejects with QQBOT_ABORTED and closes', async () => {
    env.fake.hangGatewayBot(1);
    const b = make({ timeouts: { httpMs: 10_000 } });
    const controller = new AbortController();
    const started = b.start({ signal: controller.signal });
    await env.fake.waitFor(() => env.fake.stats.gatewayBotCalls === 1, 5_000);
    controller.abort();
    await expect(started).rejects.toMatchObject({ code: 'QQBOT_ABORTED' });
    await b.close();
    expect(b.status()[0]?.state).toBe('closed');
  });

  it("'debug' tells what each attempt did and what was decided", async () => {
    const b = make();
    const lines: string[] = [];
    b.on('debug', (line) => lines.push(line));
    await b.start();
    const resumed = nextEvent(b, 'resumed');
    env.fake.closeConnections(4009);
    await resumed;
    expect(lines).toEqual(
      expect.arrayContaining([
        'shard 0: identifying',
        'shard 0: phase session',
        expect.stringMatching(/^shard 0: attempt ended in phase session: closed .* → resume$/),
        expect.stringMatching(/^shard 0: resuming session-1 from seq \d+$/),
      ]),
    );
  });

  it('builds no debug text for a logger whose debug level is off', async () => {
    const calls: string[] = [];
    const log = (level: string) => (): void => {
      calls.push(level);
    };
    const b = make({
      logger: {
        debug: log('debug'),
        info: log('info'),
        warn: log('warn'),
        error: log('error'),
        isLevelEnabled: (level) => level !== 'debug',
      },
    });
    await b.start();
    const resumed = nextEvent(b, 'resumed');
    env.fake.closeConnections(4009);
    await resumed;
    expect(calls).toContain('info');
    expect(calls).not.toContain('debug');
  });

  it('never sends the secret to a worker or a log', async () => {
    const lines: string[] = [];
    const log = (obj: unknown, msg?: string): void => {
      lines.push(JSON.stringify(obj) + (msg ?? ''));
    };
    const b = make({ logger: { debug: log, info: log, warn: log, error: log } });
    b.on('debug', (m) => lines.push(m));
    await b.start();
    env.fake.closeConnections(4009);
    await nextEvent(b, 'resumed');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('test-secret');
    const token = (env.fake.stats.identifies[0]?.token ?? '').replace('QQBot ', '');
    expect(token).not.toBe('');
    const visible = [
      JSON.stringify(b.status()),
      JSON.stringify(b),
      inspect(b, { depth: 20, showHidden: true }),
      inspect(b.api, { depth: 20, showHidden: true }),
    ].join('\n');
    expect(visible).not.toContain('test-secret');
    expect(visible).not.toContain(token);
  });
});
