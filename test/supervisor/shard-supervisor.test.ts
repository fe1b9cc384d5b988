import { afterEach, describe, expect, it } from 'vitest';
import { ShardDelivery } from '../../src/delivery/pipeline.js';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import type { DispatchEvent, ReadyEvent, RestartEvent, ResumedEvent, ShardStatus } from '../../src/events.js';
import { resolveOptions, type RestartOptions } from '../../src/options.js';
import type { Outcome } from '../../src/protocol/outcome.js';
import { WorkerEventOp } from '../../src/protocol/worker-messages.js';
import type { FleetIdentifyGate, IdentifySlot } from '../../src/fleet/identify-gate.js';
import { MemorySessionStore, type SessionCheckpoint, type SessionStore } from '../../src/store/session-store.js';
import { IdentifyGate } from '../../src/fleet/memory-identify-gate.js';
import { DEFAULT_CHECKPOINT, ShardCheckpointer, type CheckpointOptions } from '../../src/store/checkpointer.js';
import { ShardSupervisor, type ShardSink } from '../../src/supervisor/shard-supervisor.js';
import type { Transport } from '../../src/transports/transport.js';
import { WebSocketTransport } from '../../src/transports/websocket/websocket-transport.js';
import { rejection } from '../helpers.js';
import {
  ScriptedRunner,
  ScriptedTokens,
  closed,
  died,
  listenFailed,
  refused,
  timedOut,
  type Script,
} from './scripted-runner.js';
import { THIRD_ENTRY, ThirdTransport } from './third-transport.js';

// The supervisor through a scripted runner: no threads, no sockets. The clock is injected (`clock.t`); waits
// between attempts are real but a few ms long (random() = 1 makes every backoff its ceiling).

const T0 = 1_000_000;

interface Harness {
  supervisor: ShardSupervisor;
  runner: ScriptedRunner;
  tokens: ScriptedTokens;
  clock: { t: number };
  delivered: DispatchEvent[];
  ready: ReadyEvent[];
  resumed: ResumedEvent[];
  restarts: RestartEvent[];
  /** status(), read inside each 'restart' call (what a host's listener sees). */
  statusAtRestart: ShardStatus[];
  errors: QQBotError[];
  fatals: QQBotError[];
  /** Resolves once `predicate()` holds; checked after every sink call and attempt start, and every 5 ms. */
  until(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

const supervisors: ShardSupervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.close()));
});

function harness(
  setup: {
    scripts?: Script[];
    restart?: RestartOptions;
    store?: SessionStore;
    checkpoint?: CheckpointOptions;
    random?: () => number;
    identifyGate?: FleetIdentifyGate;
    transport?: Transport;
  } = {},
): Harness {
  const clock = { t: T0 };
  const options = resolveOptions({
    appId: 'app',
    secret: 'secret',
    intents: 1,
    restart: { minDelayMs: 1, maxDelayMs: 16, ...setup.restart },
  });
  const runner = new ScriptedRunner(setup.scripts);
  const tokens = new ScriptedTokens();
  const h = {
    runner,
    tokens,
    clock,
    delivered: [],
    ready: [],
    resumed: [],
    restarts: [],
    statusAtRestart: [],
    errors: [],
    fatals: [],
  } as unknown as Harness;
  const waiters = new Set<() => void>();
  const changed = (): void => {
    for (const check of [...waiters]) check();
  };
  const delivery = new ShardDelivery(
    0,
    64,
    {
      dispatch: (e) => {
        h.delivered.push(e);
        return undefined;
      },
      refused: (e) => (h.errors.push(e), changed()),
    },
    'test-app',
  );
  const sink: ShardSink = {
    ready: (e) => (h.ready.push(e), changed()),
    resumed: (e) => (h.resumed.push(e), changed()),
    restart: (e) => (h.restarts.push(e), h.statusAtRestart.push(h.supervisor.status()), changed()),
    error: (e) => (h.errors.push(e), changed()),
    debug: () => undefined,
    debugEnabled: () => false,
  };
  const startRunner = runner.start.bind(runner);
  runner.start = (spec, onEvent) => {
    const attempt = startRunner(spec, onEvent);
    queueMicrotask(changed);
    return attempt;
  };
  const store = setup.store ?? new MemorySessionStore();
  h.supervisor = new ShardSupervisor(0, 1, {
    options,
    transport: setup.transport ?? new WebSocketTransport(options),
    runner,
    tokens,
    delivery,
    store,
    checkpointer: new ShardCheckpointer(
      0,
      store,
      { ...DEFAULT_CHECKPOINT, ...setup.checkpoint },
      64,
      (e) => (h.errors.push(e), changed()),
    ),
    sink,
    identifyGate: setup.identifyGate,
    now: () => clock.t,
    random: setup.random ?? (() => 1),
  });
  h.supervisor.onFatal = (e) => (h.fatals.push(e), changed());
  h.until = (predicate, what, timeoutMs = 5_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      // State changes between sink calls (entering a backoff) are seen by a light poll.
      const poll = setInterval(() => check(), 5);
      function check(): void {
        if (!predicate()) return;
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(check);
        resolve();
      }
      waiters.add(check);
      check();
    });
  supervisors.push(h.supervisor);
  return h;
}

/** READY, then the outcome at once: a session that made no progress. */
const readyThen =
  (outcome: Outcome, sessionId = 's1'): Script =>
  (a) => {
    a.ready(sessionId);
    return outcome;
  };

/** RESUMED (at `seq`), then the outcome at once. */
const resumedThen =
  (outcome: Outcome, seq = 2): Script =>
  (a) => {
    a.resumed(seq);
    return outcome;
  };

/** RESUME sent (phase ready), then the outcome before RESUMED. */
const resumeRefused =
  (outcome: Outcome = closed(4009, 'ready')): Script =>
  (a) => {
    a.enter('ready');
    return outcome;
  };

const fail =
  (outcome: Outcome): Script =>
  () =>
    outcome;

describe('decisions: each outcome kind', () => {
  it.each<[string, Outcome, 'resume' | 'identify']>([
    ['close 4009 resumes', closed(4009), 'resume'],
    ['a dropped socket (1006) resumes', closed(1006), 'resume'],
    ['close 4006 identifies', closed(4006), 'identify'],
    ['close 4900 identifies', closed(4900), 'identify'],
    ['op 7 resumes', { kind: 'reconnect', phase: 'session', reason: 'op 7' }, 'resume'],
    ['a zombie link resumes', { kind: 'zombie', phase: 'session', reason: 'no ACK' }, 'resume'],
    ['op 9 d: true resumes', { kind: 'invalid-session', phase: 'session', resumable: true, reason: 'op 9' }, 'resume'],
    [
      'op 9 d: false identifies',
      { kind: 'invalid-session', phase: 'session', resumable: false, reason: 'op 9' },
      'identify',
    ],
    ['a hello timeout resumes', timedOut('hello'), 'resume'],
    ['a refused connection resumes', refused(), 'resume'],
    ['a crashed worker resumes', died('crashed'), 'resume'],
    ['a hung worker resumes', died('hung'), 'resume'],
    ['a retryable listen failure resumes', listenFailed(true), 'resume'],
  ])('%s', async (_name, outcome, decision) => {
    const h = harness({ scripts: [readyThen(outcome)] });
    await h.supervisor.start();
    const second = await h.runner.started(2);
    expect(h.restarts[0]).toMatchObject({ kind: outcome.kind, decision, escalated: false });
    expect(second.spec.resume).toStrictEqual(decision === 'resume' ? { sessionId: 's1', seq: 1 } : null);
    expect(h.fatals).toStrictEqual([]);
  });

  it.each<[string, Outcome, string]>([
    ['close 4914', closed(4914), ErrorCodes.BOT_DELISTED],
    ['close 4915', closed(4915), ErrorCodes.BOT_BANNED],
    ['close 4013', closed(4013), ErrorCodes.GATEWAY_CONFIG_REJECTED],
    ['a worker that cannot start', died('bootstrap'), ErrorCodes.WORKER_BOOTSTRAP],
    ['a listener that can never bind', listenFailed(false), ErrorCodes.WEBHOOK_LISTEN_FAILED],
  ])('%s is fatal: start() rejects, onFatal once, no further attempt', async (_name, outcome, code) => {
    const h = harness({ scripts: [fail(outcome)] });
    const err = await rejection(h.supervisor.start());
    expect(err.code).toBe(code);
    expect(h.fatals.map((e) => e.code)).toStrictEqual([code]);
    expect(h.supervisor.state).toBe('fatal');
    expect(h.supervisor.status()).toMatchObject({ state: 'fatal', lastError: { code } });
    expect(h.runner.attempts).toHaveLength(1);
  });

  it('4004 refreshes the rejected token once; 4004 again after the refresh is fatal', async () => {
    const h = harness({ scripts: [readyThen(closed(4004)), fail(closed(4004, 'ready'))] });
    const started = h.supervisor.start();
    await started;
    const err = await h.until(() => h.fatals.length === 1, 'the fatal').then(() => h.fatals[0] as QQBotError);
    expect(err.code).toBe(ErrorCodes.GATEWAY_AUTH_FAILED);
    expect(h.tokens.calls).toStrictEqual([{ kind: 'get' }, { kind: 'refresh', rejected: 't1' }]);
    expect(h.runner.attempts.map((a) => a.spec.accessToken)).toStrictEqual(['t1', 't2']);
  });

  it('a 401 on the gateway (connect-failed, authRejected) takes the same rule', async () => {
    const h = harness({ scripts: [fail(refused('gateway', true)), readyThen(closed(4009))] });
    await h.supervisor.start();
    await h.runner.started(3);
    expect(h.tokens.calls.slice(0, 2)).toStrictEqual([{ kind: 'get' }, { kind: 'refresh', rejected: 't1' }]);
    // The session (READY) clears the count: a later 4004 would be refreshed again, not fatal.
    expect(h.fatals).toStrictEqual([]);
  });

  it('a handshake failure forgets the gateway URL; a hello timeout keeps it', async () => {
    const h = harness({
      scripts: [
        (a) => (
          a.emit({ op: 3, url: 'ws://gw/1', maxConcurrency: 1, remaining: null, resetAfterMs: null }),
          a.ready('s1'),
          timedOut('hello')
        ),
        fail(timedOut('handshake')),
      ],
    });
    await h.supervisor.start();
    expect((await h.runner.started(2)).spec.gatewayUrl).toBe('ws://gw/1');
    expect((await h.runner.started(3)).spec.gatewayUrl).toBeNull();
  });

  it('4001 identifies and reports QQBOT_MALFORMED_FRAME as an error (our bug), not a fatal', async () => {
    const h = harness({ scripts: [readyThen(closed(4001))] });
    await h.supervisor.start();
    await h.runner.started(2);
    expect(h.errors.map((e) => [e.code, e.retryable])).toStrictEqual([[ErrorCodes.MALFORMED_FRAME, true]]);
  });

  it("session-limit waits the platform's retryAfterMs and identifies", async () => {
    const h = harness({
      scripts: [readyThen({ kind: 'session-limit', phase: 'gateway', retryAfterMs: 25, reason: 'remaining 0' })],
    });
    await h.supervisor.start();
    await h.runner.started(2);
    expect(h.restarts[0]).toMatchObject({ decision: 'identify', delayMs: 25 });
  });

  it("a retryable token failure is retried (forever), with the platform's retryAfterMs; lastError says why", async () => {
    const h = harness({ restart: { maxRestarts: 1_000, maxDelayMs: 2 } });
    const outage = Array.from(
      { length: 30 },
      () => new QQBotError(ErrorCodes.TOKEN_UNAVAILABLE, 'token endpoint 500', { retryable: true }),
    );
    h.tokens.fail(
      ...outage,
      new QQBotError(ErrorCodes.TOKEN_UNAVAILABLE, 'rate limited', { retryable: true, details: { retryAfterMs: 20 } }),
    );
    const started = h.supervisor.start();
    await h.until(() => h.restarts.length === 31, '31 restarts');
    expect(h.restarts.every((r) => r.kind === 'token-failed' && r.decision === 'resume' && !r.progressed)).toBe(true);
    expect(h.restarts[30]?.delayMs).toBeGreaterThanOrEqual(20);
    expect(h.supervisor.status().lastError?.code).toBe(ErrorCodes.TOKEN_UNAVAILABLE);
    (await h.runner.started(1)).ready('s1');
    await started;
    expect(h.fatals).toStrictEqual([]);
  });

  it('a token failure that is not retryable (refused credentials) is fatal with its own code', async () => {
    const h = harness();
    h.tokens.fail(new QQBotError(ErrorCodes.CREDENTIALS_REFUSED, 'invalid appid or secret', { retryable: false }));
    expect((await rejection(h.supervisor.start())).code).toBe(ErrorCodes.CREDENTIALS_REFUSED);
    expect(h.runner.attempts).toHaveLength(0);
  });

  it('shutdown stops the loop: close() while an attempt runs ends it gracefully, no restart', async () => {
    const h = harness();
    const started = h.supervisor.start();
    (await h.runner.started(1)).ready('s1');
    await started;
    await h.supervisor.close();
    expect(h.restarts).toStrictEqual([]);
    expect(h.supervisor.state).toBe('closed');
  });
});

describe('backoff and progress', () => {
  it('grows only across attempts without progress: 1, 2, 4, 8, 16, 16 ms (random() = 1)', async () => {
    const h = harness({ restart: { maxRestarts: 100 }, scripts: Array.from({ length: 6 }, () => fail(refused())) });
    void h.supervisor.start();
    await h.runner.started(7);
    expect(h.restarts.map((r) => r.delayMs)).toStrictEqual([1, 2, 4, 8, 16, 16]);
    expect(h.supervisor.status().consecutiveFailures).toBe(6);
  });

  it('a session that dies before progress (READY then closed) counts as a failure', async () => {
    const h = harness({
      restart: { maxRestarts: 100 },
      scripts: [readyThen(closed(4009)), resumedThen(closed(4009), 3), resumedThen(closed(4009), 4)],
    });
    await h.supervisor.start();
    await h.runner.started(4);
    expect(h.restarts.map((r) => [r.progressed, r.delayMs])).toStrictEqual([
      [false, 1],
      [false, 2],
      [false, 4],
    ]);
  });

  it('a replay before RESUMED is not progress; a live event after it is', async () => {
    const replayOnly: Script = (a) => (a.resumed(4, [2, 3]), closed(4009));
    const live: Script = (a) => (a.resumed(5), a.dispatch(6), closed(4009));
    const h = harness({ restart: { maxRestarts: 100 }, scripts: [readyThen(closed(4009)), replayOnly, live] });
    await h.supervisor.start();
    await h.runner.started(4);
    expect(h.restarts.map((r) => [r.progressed, r.delayMs])).toStrictEqual([
      [false, 1],
      [false, 2],
      [true, 0],
    ]);
    expect(h.supervisor.status().consecutiveFailures).toBe(0);
    expect(h.delivered.map((e) => e.seq)).toStrictEqual([2, 3, 6]);
  });

  it.each<[string, Script]>([
    ['a live event', (a) => (a.resumed(2), a.dispatch(3), closed(1006))],
    ['a heartbeat ACK', (a) => (a.resumed(2), a.heartbeatAck(), closed(1006))],
  ])(
    'after progress by %s the next attempt starts at once and the failure count is cleared',
    async (_name, progress) => {
      const h = harness({
        restart: { maxRestarts: 100 },
        scripts: [readyThen(closed(4009)), fail(refused()), fail(refused()), progress],
      });
      await h.supervisor.start();
      await h.runner.started(5);
      expect(h.restarts.map((r) => [r.progressed, r.delayMs])).toStrictEqual([
        [false, 1],
        [false, 2],
        [false, 4],
        [true, 0],
      ]);
      expect(h.supervisor.status().consecutiveFailures).toBe(0);
    },
  );

  it('a session that stays up stableAfterMs made progress without any event', async () => {
    const h = harness({ restart: { maxRestarts: 100, stableAfterMs: 30_000 } });
    h.runner.play(readyThen(closed(4009)), (a) => {
      a.resumed(2);
      h.clock.t += 30_000;
      return closed(4009);
    });
    await h.supervisor.start();
    await h.runner.started(3);
    expect(h.restarts.map((r) => [r.progressed, r.delayMs])).toStrictEqual([
      [false, 1],
      [true, 0],
    ]);
  });

  it('a kill by the host (terminateWorker) of a live session restarts at once and never grows the backoff: 20 kills', async () => {
    const h = harness({ restart: { maxRestarts: 3 } });
    const started = h.supervisor.start();
    (await h.runner.started(1)).ready('s1');
    await started;
    for (let i = 1; i <= 20; i++) {
      await h.supervisor.terminateWorker();
      (await h.runner.started(i + 1)).resumed(i + 1);
    }
    expect(h.restarts).toHaveLength(20);
    expect(h.restarts.every((r) => r.progressed && r.delayMs === 0 && r.decision === 'resume' && !r.escalated)).toBe(
      true,
    );
    expect(h.runner.attempts.slice(1).every((a) => a.spec.resume?.sessionId === 's1')).toBe(true);
    expect(h.errors).toStrictEqual([]);
  });
});

describe('escalation: the budget starts over, never gives up', () => {
  it('more than maxRestarts failures within windowMs: RESTART_BUDGET (retryable), runner reset, token refreshed, URL refetched, maxDelayMs, then on', async () => {
    const gatewayUrl: Script = (a) => (
      a.emit({ op: 3, url: 'ws://gw/1', maxConcurrency: 1, remaining: null, resetAfterMs: null }),
      a.ready('s1'),
      closed(4009)
    );
    const h = harness({
      restart: { maxRestarts: 3, windowMs: 60_000, maxDelayMs: 30 },
      scripts: [gatewayUrl, ...Array.from({ length: 3 }, () => fail(refused('hello')))],
    });
    await h.supervisor.start();
    const fifth = await h.runner.started(5);
    expect(h.restarts.map((r) => [r.escalated, r.delayMs])).toStrictEqual([
      [false, 1],
      [false, 2],
      [false, 4],
      [true, 30],
    ]);
    expect(h.errors.map((e) => [e.code, e.retryable])).toStrictEqual([[ErrorCodes.RESTART_BUDGET, true]]);
    expect(h.errors[0]?.details).toMatchObject({ maxRestarts: 3, windowMs: 60_000, failures: 4 });
    expect(h.runner.resets).toBe(1);
    expect(h.runner.attempts[3]?.spec.gatewayUrl).toBe('ws://gw/1');
    expect(fifth.spec.gatewayUrl).toBeNull();
    expect(fifth.spec.accessToken).toBe('t2');
    expect(h.tokens.calls.at(-1)).toStrictEqual({ kind: 'refresh', rejected: 't1' });
    // The session is not the problem: a clean slate still RESUMEs it.
    expect(fifth.spec.resume).toStrictEqual({ sessionId: 's1', seq: 1 });
    expect(h.fatals).toStrictEqual([]);
  });

  it('an outage of any length escalates again and again and never goes fatal; the session comes back', async () => {
    const h = harness({
      restart: { maxRestarts: 2, maxDelayMs: 4 },
      scripts: Array.from({ length: 40 }, () => fail(refused())),
    });
    const started = h.supervisor.start();
    (await h.runner.started(41)).ready('s1');
    await started;
    expect(h.errors.filter((e) => e.code === ErrorCodes.RESTART_BUDGET).length).toBeGreaterThanOrEqual(13);
    expect(h.runner.resets).toBe(h.errors.length);
    expect(h.fatals).toStrictEqual([]);
  });
});

describe('restart.giveUpAfterMs', () => {
  it('is opt-in: a fatal QQBOT_GAVE_UP after that long without a session, caused by the last error', async () => {
    const h = harness({ restart: { maxRestarts: 100, giveUpAfterMs: 1_000 } });
    const slow = (): Script => () => {
      h.clock.t += 400;
      return refused();
    };
    h.runner.play(slow(), slow(), slow(), slow());
    const err = await rejection(h.supervisor.start());
    expect(err.code).toBe(ErrorCodes.GAVE_UP);
    expect(err.retryable).toBe(false);
    expect((err.cause as QQBotError).code).toBe(ErrorCodes.NETWORK);
    expect(h.runner.attempts).toHaveLength(3);
    expect(h.fatals.map((e) => e.code)).toStrictEqual([ErrorCodes.GAVE_UP]);
  });

  it('counts from the end of the last session, not from start()', async () => {
    const h = harness({ restart: { maxRestarts: 100, giveUpAfterMs: 1_000 } });
    const slow = (): Script => () => {
      h.clock.t += 400;
      return refused();
    };
    h.runner.play(
      slow(),
      slow(),
      (a) => (a.ready('s1'), a.dispatch(2), (h.clock.t += 5_000), closed(4009)),
      slow(),
      slow(),
    );
    await h.supervisor.start();
    await h.runner.started(6);
    expect(h.fatals).toStrictEqual([]);
  });

  it('by default never: 200 failures over 10 simulated hours', async () => {
    const h = harness({ restart: { maxRestarts: 1_000_000 }, random: () => 0 });
    h.runner.play(
      ...Array.from({ length: 200 }, (): Script => () => {
        h.clock.t += 180_000;
        return refused();
      }),
    );
    const started = h.supervisor.start();
    (await h.runner.started(201)).ready('s1');
    await started;
    expect(h.fatals).toStrictEqual([]);
  });
});

describe('resume failures: only the platform gives a session up', () => {
  it('three RESUMEs sent and refused → IDENTIFY, and the store forgets the session', async () => {
    const store = new MemorySessionStore();
    const h = harness({
      store,
      restart: { maxRestarts: 100 },
      scripts: [readyThen(closed(4009)), resumeRefused(), resumeRefused(), resumeRefused()],
    });
    await h.supervisor.start();
    const fifth = await h.runner.started(5);
    expect(h.runner.attempts.slice(1, 4).map((a) => a.spec.resume?.sessionId)).toStrictEqual(['s1', 's1', 's1']);
    expect(h.restarts.map((r) => r.decision)).toStrictEqual(['resume', 'resume', 'resume', 'identify']);
    expect(fifth.spec.resume).toBeNull();
    expect(h.supervisor.status().sessionId).toBeNull();
    await h.supervisor.close();
    expect(await store.load(0)).toBeNull();
  });

  it('RESUMED then closed before progress, three times (a stale-session loop) → backoff, then IDENTIFY', async () => {
    const h = harness({
      restart: { maxRestarts: 100 },
      scripts: [
        readyThen(closed(4009)),
        resumedThen(closed(4009), 3),
        resumedThen(closed(4009), 4),
        resumedThen(closed(4009), 5),
      ],
    });
    await h.supervisor.start();
    const fifth = await h.runner.started(5);
    expect(h.restarts.map((r) => [r.decision, r.delayMs])).toStrictEqual([
      ['resume', 1],
      ['resume', 2],
      ['resume', 4],
      ['identify', 8],
    ]);
    expect(fifth.spec.resume).toBeNull();
  });

  it('op 7 right after RESUMED counts too', async () => {
    const op7 = { kind: 'reconnect', phase: 'session', reason: 'op 7' } as const;
    const h = harness({
      restart: { maxRestarts: 100 },
      scripts: [readyThen(closed(4009)), resumedThen(op7), resumedThen(op7), resumedThen(op7)],
    });
    await h.supervisor.start();
    expect((await h.runner.started(5)).spec.resume).toBeNull();
  });

  it('a refused connection never costs the session: 12 failures to reach the gateway, then it RESUMEs', async () => {
    const unreachable = [
      fail(refused('handshake')),
      fail(timedOut('handshake')),
      fail(refused('gateway')),
      fail(timedOut('hello')),
      fail(closed(1006, 'hello')),
    ];
    const h = harness({
      restart: { maxRestarts: 100, maxDelayMs: 2 },
      scripts: [readyThen(closed(1006)), ...unreachable, ...unreachable, ...unreachable.slice(0, 2)],
    });
    await h.supervisor.start();
    const last = await h.runner.started(14);
    expect(h.runner.attempts.slice(1).every((a) => a.spec.resume?.sessionId === 's1')).toBe(true);
    expect(h.restarts.every((r) => r.decision === 'resume')).toBe(true);
    expect(last.spec.resume).toStrictEqual({ sessionId: 's1', seq: 1 });
  });

  it('progress in between clears the count: refused, refused, live, refused, refused still RESUMEs', async () => {
    const live: Script = (a) => (a.resumed(2), a.dispatch(3), closed(1006));
    const h = harness({
      restart: { maxRestarts: 100 },
      scripts: [readyThen(closed(4009)), resumeRefused(), resumeRefused(), live, resumeRefused(), resumeRefused()],
    });
    await h.supervisor.start();
    expect((await h.runner.started(7)).spec.resume?.sessionId).toBe('s1');
  });

  it('a kill by the host while the RESUME is in flight does not count', async () => {
    const h = harness({
      restart: { maxRestarts: 100 },
      scripts: [readyThen(closed(4009)), resumeRefused(), resumeRefused()],
    });
    await h.supervisor.start();
    const fourth = await h.runner.started(4);
    h.runner.play(resumeRefused());
    fourth.enter('ready');
    await h.supervisor.terminateWorker();
    const sixth = await h.runner.started(6);
    expect(h.runner.attempts[4]?.spec.resume?.sessionId).toBe('s1');
    // Only the 5th refusal was the third counted one.
    expect(sixth.spec.resume).toBeNull();
  });
});

describe('the session store', () => {
  it('restores a stored session: the first attempt RESUMEs it on its URL, and stored ids are never delivered again', async () => {
    const store = new MemorySessionStore();
    await store.save(0, {
      sessionId: 'stored',
      seq: 42,
      gatewayUrl: 'wss://api.sgroup.qq.com/websocket/stored',
      recentIds: ['old-1'],
    });
    const h = harness({ store });
    const started = h.supervisor.start();
    const first = await h.runner.started(1);
    expect(first.spec.resume).toStrictEqual({ sessionId: 'stored', seq: 42 });
    expect(first.spec.gatewayUrl).toBe('wss://api.sgroup.qq.com/websocket/stored');
    first.resumed(45, [41, 43]);
    first.dispatch(46, 'old-1');
    first.dispatch(47, 'new-1');
    await started;
    expect(h.delivered.map((e) => e.seq)).toStrictEqual([43, 47]);
    expect(h.supervisor.status().duplicatesDropped).toBe(2);
    expect(h.resumed).toStrictEqual([{ shard: 0, sessionId: 'stored', seq: 45 }]);
  });

  it('a stored gateway URL on a host not allowed the token is reported (QQBOT_GATEWAY_URL_REFUSED) and dropped: the RESUME fetches /gateway/bot', async () => {
    const store = new MemorySessionStore();
    await store.save(0, { sessionId: 'stored', seq: 42, gatewayUrl: 'ws://attacker.example:8080/ws', recentIds: [] });
    const h = harness({ store });
    const started = h.supervisor.start();
    const first = await h.runner.started(1);
    expect(first.spec.resume).toStrictEqual({ sessionId: 'stored', seq: 42 });
    expect(first.spec.gatewayUrl).toBeNull();
    expect(h.errors.map((e) => [e.code, e.retryable, e.details])).toStrictEqual([
      [ErrorCodes.GATEWAY_URL_REFUSED, true, { source: 'checkpoint', host: 'attacker.example:8080' }],
    ]);
    first.resumed(42);
    await started;
  });

  it('checkpoints a new session at once and each acknowledged event (batchSize 1), clears when the session is over', async () => {
    const saved: SessionCheckpoint[] = [];
    const cleared: number[] = [];
    const memory = new MemorySessionStore();
    const store: SessionStore = {
      load: (s) => memory.load(s),
      save: (s, c) => (saved.push(c), memory.save(s, c)),
      clear: (s) => (cleared.push(s), memory.clear(s)),
      close: () => memory.close(),
    };
    const h = harness({
      store,
      checkpoint: { batchSize: 1 },
      scripts: [
        (a) => (
          a.emit({ op: 3, url: 'ws://gw/1', maxConcurrency: 1, remaining: null, resetAfterMs: null }),
          a.ready('s1', 1),
          a.dispatch(2),
          closed(1006)
        ),
        resumedThen(closed(4006), 4),
      ],
    });
    await h.supervisor.start();
    await h.runner.started(3);
    await h.until(() => cleared.length === 1, 'the store cleared');
    expect(saved.map((c) => [c.sessionId, c.seq, c.gatewayUrl])).toStrictEqual([
      ['s1', 1, 'ws://gw/1'],
      ['s1', 2, 'ws://gw/1'],
    ]);
    expect(saved[1]?.recentIds).toContain('evt-2');
    expect(await memory.load(0)).toBeNull();
  });

  it('a store that cannot load is an error (retryable), and the shard identifies', async () => {
    const store: SessionStore = {
      load: () => Promise.reject(new Error('down')),
      save: () => Promise.resolve(),
      clear: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const h = harness({ store });
    const started = h.supervisor.start();
    const first = await h.runner.started(1);
    expect(first.spec.resume).toBeNull();
    first.ready('s1');
    await started;
    expect(h.errors.map((e) => [e.code, e.retryable])).toStrictEqual([[ErrorCodes.STORE_UNAVAILABLE, true]]);
  });

  it('a store that cannot save is an error; the session goes on', async () => {
    const store: SessionStore = {
      load: () => Promise.resolve(null),
      save: () => Promise.reject(new Error('disk full')),
      clear: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const h = harness({ store });
    const started = h.supervisor.start();
    const first = await h.runner.started(1);
    first.ready('s1');
    first.dispatch(2);
    await started;
    await h.until(() => h.errors.length === 1, 'the store error');
    expect(h.errors[0]?.code).toBe(ErrorCodes.STORE_UNAVAILABLE);
    expect(h.delivered).toHaveLength(1);
  });
});

describe('status() is never stale', () => {
  it('workerStatus() with no attempt running (in backoff) rejects with its own code, QQBOT_NO_WORKER, retryable', async () => {
    const h = harness({
      restart: { maxRestarts: 100, minDelayMs: 60_000, maxDelayMs: 60_000 },
      scripts: [fail(refused())],
    });
    void h.supervisor.start();
    await h.until(() => h.supervisor.status().state === 'backoff', 'backoff');
    const err = await rejection(h.supervisor.workerStatus());
    expect(err).toMatchObject({ code: ErrorCodes.NO_WORKER, retryable: true });
  });

  it('idle, then connecting, ready with connectedSince, backoff with nextAttemptAt and lastError', async () => {
    const h = harness({ restart: { maxRestarts: 100, minDelayMs: 60_000, maxDelayMs: 60_000 } });
    expect(h.supervisor.status()).toMatchObject({
      state: 'idle',
      connectedSince: null,
      disconnectedSince: T0,
      consecutiveFailures: 0,
      nextAttemptAt: null,
      lastError: null,
    });
    const started = h.supervisor.start();
    const first = await h.runner.started(1);
    expect(h.supervisor.status()).toMatchObject({
      state: 'connecting',
      connectedSince: null,
      disconnectedSince: T0,
      nextAttemptAt: null,
    });
    h.clock.t = T0 + 100;
    first.ready('s1');
    await started;
    expect(h.supervisor.status()).toMatchObject({
      state: 'ready',
      connectedSince: T0 + 100,
      disconnectedSince: null,
      consecutiveFailures: 0,
      nextAttemptAt: null,
      sessionId: 's1',
      seq: 1,
    });
    h.clock.t = T0 + 200;
    await first.finish(closed(4009));
    await h.until(() => h.supervisor.status().state === 'backoff', 'backoff');
    expect(h.supervisor.status()).toMatchObject({
      state: 'backoff',
      connectedSince: null,
      disconnectedSince: T0 + 200,
      consecutiveFailures: 1,
      nextAttemptAt: T0 + 200 + 60_000,
      threadId: null,
      phase: null,
    });
    // What a host's 'restart' listener read: the session was already gone (health() must not say ok).
    expect(h.statusAtRestart[0]).toMatchObject({ connectedSince: null, disconnectedSince: T0 + 200 });
    expect(h.statusAtRestart[0]?.state).not.toBe('ready');
  });

  it('lastError and consecutiveFailures follow each failure; progress resets the count', async () => {
    const h = harness({ restart: { maxRestarts: 100 } });
    const started = h.supervisor.start();
    await (await h.runner.started(1)).finish(refused());
    const second = await h.runner.started(2);
    expect(h.supervisor.status()).toMatchObject({
      state: 'connecting',
      consecutiveFailures: 1,
      nextAttemptAt: null,
      lastError: { code: ErrorCodes.NETWORK },
    });
    await second.finish(timedOut('hello'));
    const third = await h.runner.started(3);
    expect(h.supervisor.status()).toMatchObject({
      consecutiveFailures: 2,
      lastError: { code: ErrorCodes.PHASE_TIMEOUT, details: { phase: 'hello' } },
    });
    third.ready('s1');
    await started;
    await third.finish(closed(4009));
    const fourth = await h.runner.started(4);
    expect(h.supervisor.status()).toMatchObject({ state: 'connecting', consecutiveFailures: 3, connectedSince: null });
    fourth.resumed(3);
    expect(h.supervisor.status()).toMatchObject({ state: 'ready', consecutiveFailures: 3 });
    fourth.dispatch(4);
    expect(h.supervisor.status()).toMatchObject({
      state: 'ready',
      consecutiveFailures: 0,
      nextAttemptAt: null,
      seq: 4,
    });
  });

  it('close() during a backoff ends it at once; the state is closed and start() rejects QQBOT_CLOSED', async () => {
    const h = harness({ restart: { minDelayMs: 600_000, maxDelayMs: 600_000 }, scripts: [fail(refused())] });
    const started = h.supervisor.start();
    await h.until(() => h.supervisor.status().state === 'backoff', 'backoff');
    await h.supervisor.close();
    expect((await rejection(started)).code).toBe(ErrorCodes.CLOSED);
    expect(h.supervisor.status()).toMatchObject({ state: 'closed', nextAttemptAt: null });
    expect(h.runner.attempts).toHaveLength(1);
  });
});

/** The in-memory gate (a 1 ms window, so spacing costs nothing here), recording what the supervisor asks of it. */
class RecordingGate extends IdentifyGate {
  readonly grants: boolean[] = [];
  readonly answers: [number | undefined, number | undefined][] = [];

  constructor() {
    super(1);
  }

  override async acquire(signal: AbortSignal, probeMs: number): Promise<IdentifySlot | undefined> {
    const slot = await super.acquire(signal, probeMs);
    if (slot !== undefined) this.grants.push(slot.probe);
    return slot;
  }

  override budget(remaining: number | undefined, resetAfterMs: number | undefined): Promise<void> {
    this.answers.push([remaining, resetAfterMs]);
    return super.budget(remaining, resetAfterMs);
  }
}

describe('the session-start budget through the identify gate', () => {
  it('a probe reads /gateway/bot even with a URL at hand; every answer reaches the gate; a RESUME never asks it', async () => {
    const gate = new RecordingGate();
    const noLimit: Script = (a) => (
      a.emit({ op: 3, url: 'ws://gw/1', maxConcurrency: 1, remaining: null, resetAfterMs: null }),
      a.ready('s1'),
      closed(4006)
    );
    const limit: Script = (a) => (
      a.emit({ op: 3, url: 'ws://gw/1', maxConcurrency: 1, remaining: 5, resetAfterMs: 60_000 }),
      a.ready('s2'),
      closed(4006)
    );
    const h = harness({
      identifyGate: gate,
      scripts: [noLimit, limit, readyThen(closed(4009), 's3'), resumedThen(closed(4009))],
    });
    await h.supervisor.start();
    const [probe, secondProbe, counted, resume] = [
      await h.runner.started(1),
      await h.runner.started(2),
      await h.runner.started(3),
      await h.runner.started(4),
    ];
    // An answer without session_start_limit ended the first probe, so the next IDENTIFY probed again, URL or not.
    expect([probe.spec.gatewayUrl, secondProbe.spec.gatewayUrl, counted.spec.gatewayUrl]).toStrictEqual([
      null,
      null,
      'ws://gw/1',
    ]);
    expect(gate.answers).toStrictEqual([
      [undefined, undefined],
      [5, 60_000],
    ]);
    expect(resume.spec.resume?.sessionId).toBe('s3');
    expect(gate.grants).toStrictEqual([true, true, false]);
  });

  it("no session starts left (session-limit) spends the gate's budget until the platform's reset", async () => {
    const gate = new RecordingGate();
    const h = harness({
      identifyGate: gate,
      scripts: [readyThen({ kind: 'session-limit', phase: 'gateway', retryAfterMs: 25, reason: 'remaining 0' })],
    });
    await h.supervisor.start();
    await h.runner.started(2);
    expect(gate.answers).toStrictEqual([[0, 25]]);
  });
});

describe('ShardSupervisor: a transport it does not know', () => {
  it('runs it through the seam: no token fetched, its own events make it ready, then resumed after a restart', async () => {
    const transport = new ThirdTransport();
    const up: Script = (a) => {
      a.emit({ op: WorkerEventOp.Transport, payload: 'up' });
      return a.ended;
    };
    const h = harness({
      transport,
      scripts: [(a) => (a.emit({ op: WorkerEventOp.Transport, payload: 'up' }), died('crashed')), up],
    });
    await h.supervisor.start();
    await h.until(() => h.resumed.length === 1, 'resumed after the restart');
    expect(h.tokens.calls).toEqual([]);
    expect(transport.inputs.map((i) => i.accessToken)).toEqual(['', '']);
    // Its own spec reached the runner as it was: the protocol's header and the transport's fields.
    const spec = { transport: 'third', entry: THIRD_ENTRY, quiesceFirst: false, shard: [0, 1], events: 3 };
    expect(h.runner.attempts.map((a) => a.spec)).toEqual([spec, spec]);
    expect(h.ready).toEqual([{ shard: 0, sessionId: '', user: null, newSession: true }]);
    expect(h.resumed[0]).toMatchObject({ shard: 0, sessionId: '' });
    expect(h.restarts).toHaveLength(1);
    expect(h.supervisor.state).toBe('ready');
  });
});
