import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../src/cli/args.js';
import { QQBotConnector } from '../src/connector.js';
import { ErrorCodes, QQBotError } from '../src/errors.js';
import { QQOpenAPI } from '../src/http/openapi.js';
import { TokenManager } from '../src/http/token-manager.js';
import { resolveOptions } from '../src/options.js';
import { Intents } from '../src/protocol/intents.js';
import { FakeQQServer } from '../src/testing/index.js';
import { closestKey } from '../src/options/checks.js';
import { rejection } from './helpers.js';

const SECRET = 's3cr3t-unknown-keys';
const VALID = { appId: '102030405', secret: SECRET, intents: Intents.GROUP_AND_C2C_EVENT };

/** A token manager no test here reaches: each fails before a token is needed. */
function idleTokens(): TokenManager {
  return new TokenManager({ appId: 'a', secret: SECRET, url: 'http://127.0.0.1:9/t', timeoutMs: 1_000 });
}

/** The error `fn` throws synchronously; fails the test when nothing is thrown. */
function thrownBy(fn: () => unknown): QQBotError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(QQBotError);
    return err as QQBotError;
  }
  throw new Error('expected a throw, but nothing was thrown');
}

describe('connector options: unknown keys are refused with the path and the nearest known key', () => {
  it.each([
    ['timeout', { timeout: { httpMs: 1 } }, 'Unknown option `timeout`; did you mean `timeouts`?'],
    [
      'timeouts.httpMS',
      { timeouts: { httpMS: 1 } },
      'Unknown option `timeouts.httpMS`; did you mean `timeouts.httpMs`?',
    ],
    [
      'restart.maxRestart',
      { restart: { maxRestart: 1 } },
      'Unknown option `restart.maxRestart`; did you mean `restart.maxRestarts`?',
    ],
    [
      'endpoints.apiUrl',
      { endpoints: { apiUrl: 'https://sandbox.api.sgroup.qq.com' } },
      'Unknown option `endpoints.apiUrl`; did you mean `endpoints.api`?',
    ],
    [
      'resourceLimits.maxOldGenerationSize',
      { resourceLimits: { maxOldGenerationSize: 64 } },
      'Unknown option `resourceLimits.maxOldGenerationSize`; did you mean `resourceLimits.maxOldGenerationSizeMb`?',
    ],
    [
      'dedupWindow',
      { dedupeWindow: undefined, dedupWindow: 10 },
      'Unknown option `dedupWindow`; did you mean `dedupeWindow`?',
    ],
  ])('%s', (_path, extra, message) => {
    const err = thrownBy(() => new QQBotConnector({ ...VALID, ...extra } as never));
    expect(err.code).toBe(ErrorCodes.INVALID_OPTION);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain(SECRET);
  });

  it('lists the known keys when nothing is near', () => {
    const err = thrownBy(() => resolveOptions({ ...VALID, endpoints: { zzzzzzzzzzzz: 'x' } }));
    expect(err.message).toBe(
      'Unknown option `endpoints.zzzzzzzzzzzz`; known options: `endpoints.token`, `endpoints.api`',
    );
  });

  it('accepts every documented key, with undefined values too', () => {
    const resolved = resolveOptions({
      ...VALID,
      shards: undefined,
      endpoints: { token: undefined, api: undefined },
      timeouts: { httpMs: undefined, handshakeMs: 1, helloMs: 1, readyMs: 1, watchdogMs: 100, controlMs: 1 },
      restart: { minDelayMs: undefined },
      resourceLimits: { stackSizeMb: 4 },
    });
    expect(resolved.timeouts.handshakeMs).toBe(1);
  });
});

describe('REST client options', () => {
  it.each([
    [
      'standalone: top level',
      () => new QQOpenAPI({ appId: 'a', secret: SECRET, retrys: { retries: 3 } } as never),
      'Unknown option `retrys`; did you mean `retry`?',
    ],
    [
      'standalone: retry',
      () => new QQOpenAPI({ appId: 'a', secret: SECRET, retry: { retry: 3 } } as never),
      'Unknown option `retry.retry`; did you mean `retry.retries`?',
    ],
    [
      'standalone: endpoints',
      () => new QQOpenAPI({ appId: 'a', secret: SECRET, endpoints: { apiUrl: 'https://x.test' } } as never),
      'Unknown option `endpoints.apiUrl`; did you mean `endpoints.api`?',
    ],
    [
      'standalone: replies',
      () => new QQOpenAPI({ appId: 'a', secret: SECRET, replies: { maxReply: 2 } } as never),
      'Unknown option `replies.maxReply`; did you mean `replies.maxReplies`?',
    ],
    [
      'standalone: pacing',
      () => new QQOpenAPI({ appId: 'a', secret: SECRET, pacing: { maxQueue: 3 } } as never),
      'Unknown option `pacing.maxQueue`; did you mean `pacing.maxQueued`?',
    ],
    [
      'standalone: upload',
      () => new QQOpenAPI({ appId: 'a', secret: SECRET, upload: { chunkedAbove: 3 } } as never),
      'Unknown option `upload.chunkedAbove`; did you mean `upload.chunkedAboveBytes`?',
    ],
    [
      'shared token: retry',
      () => QQOpenAPI.fromTokenManager(idleTokens(), { retry: { minDelay: 1 } } as never),
      'Unknown option `retry.minDelay`; did you mean `retry.minDelayMs`?',
    ],
    [
      'shared token: pacing',
      () => QQOpenAPI.fromTokenManager(idleTokens(), { pacing: { maxWait: 1 } } as never),
      'Unknown option `pacing.maxWait`; did you mean `pacing.maxWaitMs`?',
    ],
    [
      'shared token: upload',
      () => QQOpenAPI.fromTokenManager(idleTokens(), { upload: { chunkedAboveByte: 1 } } as never),
      'Unknown option `upload.chunkedAboveByte`; did you mean `upload.chunkedAboveBytes`?',
    ],
    [
      'shared token: replies',
      () => QQOpenAPI.fromTokenManager(idleTokens(), { replies: { maxTrack: 1 } } as never),
      'Unknown option `replies.maxTrack`; did you mean `replies.maxTracked`?',
    ],
    [
      'connector: replies',
      () => new QQBotConnector({ ...VALID, replies: { maxReply: 1 } } as never),
      'Unknown option `replies.maxReply`; did you mean `replies.maxReplies`?',
    ],
    [
      'shared token: top level',
      () =>
        QQOpenAPI.fromTokenManager(
          new TokenManager({ appId: 'a', secret: SECRET, url: 'http://127.0.0.1:9/t', timeoutMs: 1_000 }),
          { apiUrl: 'http://127.0.0.1:9' } as never,
        ),
      'Unknown option `apiUrl`; did you mean `apiBase`?',
    ],
    [
      'shared token: timeouts',
      () =>
        QQOpenAPI.fromTokenManager(
          new TokenManager({ appId: 'a', secret: SECRET, url: 'http://127.0.0.1:9/t', timeoutMs: 1_000 }),
          { timeouts: { http: 5 } } as never,
        ),
      'Unknown option `timeouts.http`; did you mean `timeouts.httpMs`?',
    ],
  ])('%s', (_what, build, message) => {
    const err = thrownBy(build);
    expect(err.code).toBe(ErrorCodes.INVALID_OPTION);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain(SECRET);
  });

  it('a stream option too, when the stream is asked for', async () => {
    const api = new QQOpenAPI({ appId: 'a', secret: SECRET });
    const c2c = { type: 'C2C_MESSAGE_CREATE' as const, data: { id: 'M', author: { user_openid: 'U' } } };
    const err = await rejection(api.replyStream(c2c, (async function* () {})(), { minInterval: 1 } as never));
    await api.close();
    expect(err.code).toBe(ErrorCodes.INVALID_OPTION);
    expect(err.message).toBe('Unknown option `minInterval`; did you mean `minIntervalMs`?');
  });

  it('the connector hands its own timeouts to its REST client without tripping the check', () => {
    const bot = new QQBotConnector({ ...VALID, timeouts: { httpMs: 5_000, controlMs: 500 } });
    expect(bot.api.appId).toBe(VALID.appId);
  });
});

describe('testing kit options', () => {
  it('FakeQQServer.start refuses an unknown key before listening', async () => {
    const err = await FakeQQServer.start({ heartbeatInterval: 1_000 } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QQBotError);
    expect((err as QQBotError).code).toBe(ErrorCodes.INVALID_OPTION);
    expect((err as QQBotError).message).toBe('Unknown option `heartbeatInterval`; did you mean `heartbeatIntervalMs`?');
  });

  it('FakeQQServer.start accepts every documented key', async () => {
    const fake = await FakeQQServer.start({
      appId: 'a',
      secret: 'b',
      heartbeatIntervalMs: 1_000,
      heartbeatTimeoutMs: 0,
      replayLimit: 10,
      tokenTtlSeconds: 60,
      allowedIntents: 1,
      shards: 1,
      sessionStartRemaining: 5,
      now: Date.now,
    });
    await fake.close();
  });
});

describe('CLI flags', () => {
  it.each([
    [['--durations', '5'], 'unknown option --durations; did you mean --duration? (see --help)'],
    [['--chaos=5', '--verbos'], 'unknown option --verbos; did you mean --verbose? (see --help)'],
    [['--api-ulr', 'https://x.test'], 'unknown option --api-ulr; did you mean --api-url? (see --help)'],
    [['--zzzzzzzzzzzzzzz'], 'unknown option --zzzzzzzzzzzzzzz (see --help)'],
  ])('%j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(new UsageError(message));
  });

  it('stops looking for flags after --', () => {
    expect(() => parseCli(['--', '--durations'], {})).toThrow(UsageError);
    expect(() => parseCli(['--', '--durations'], {})).not.toThrow(/unknown option --durations/);
  });
});

describe('closestKey', () => {
  it('finds a near name, ignores case, and gives up on far ones', () => {
    expect(closestKey('maxRestart', ['minDelayMs', 'maxDelayMs', 'maxRestarts'])).toBe('maxRestarts');
    expect(closestKey('HTTPMS', ['httpMs', 'helloMs'])).toBe('httpMs');
    expect(closestKey('qwerty', ['token', 'api'])).toBeUndefined();
    expect(closestKey('x', [])).toBeUndefined();
  });
});
