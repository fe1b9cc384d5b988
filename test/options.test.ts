import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../src/errors.js';
import { MemorySessionStore } from '../src/store/session-store.js';
import {
  DEFAULT_ENDPOINTS,
  DEFAULT_OPTIONS,
  DEFAULT_RESTART,
  DEFAULT_TIMEOUTS,
  resolveOptions,
} from '../src/options.js';
import { Intents } from '../src/protocol/intents.js';

const SECRET = 's3cr3t-DO-NOT-LEAK';
const VALID = {
  appId: '102030405',
  secret: SECRET,
  intents: Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES,
};
const noop = (): void => {};
const LOGGER = { debug: noop, info: noop, warn: noop, error: noop };
const STORE = new MemorySessionStore();

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, but nothing was thrown');
}

function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = value;
  return rest;
}

describe('defaults', () => {
  it('has the documented default values', () => {
    expect(DEFAULT_ENDPOINTS).toStrictEqual({
      token: 'https://bots.qq.com/app/getAppAccessToken',
      api: 'https://api.sgroup.qq.com',
    });
    expect(DEFAULT_TIMEOUTS).toStrictEqual({
      httpMs: 10_000,
      handshakeMs: 10_000,
      helloMs: 10_000,
      readyMs: 15_000,
      watchdogMs: 5_000,
      controlMs: 2_000,
    });
    expect(DEFAULT_RESTART).toStrictEqual({
      minDelayMs: 250,
      maxDelayMs: 30_000,
      maxRestarts: 10,
      windowMs: 60_000,
      stableAfterMs: 30_000,
      giveUpAfterMs: Infinity,
      probeIntervalMs: 2_000,
    });
    expect(DEFAULT_OPTIONS).toStrictEqual({ shards: 1, dedupeWindow: 2_048, maxPayloadBytes: 16_777_216 });
  });

  it('fills every default when only the credentials and intents are given', () => {
    expect(resolveOptions(VALID)).toStrictEqual({
      appId: '102030405',
      secret: SECRET,
      intents: Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES,
      transport: { kind: 'websocket' },
      shards: 1,
      endpoints: { token: 'https://bots.qq.com/app/getAppAccessToken', api: 'https://api.sgroup.qq.com' },
      timeouts: {
        httpMs: 10_000,
        handshakeMs: 10_000,
        helloMs: 10_000,
        readyMs: 15_000,
        watchdogMs: 5_000,
        controlMs: 2_000,
      },
      restart: {
        minDelayMs: 250,
        maxDelayMs: 30_000,
        maxRestarts: 10,
        windowMs: 60_000,
        stableAfterMs: 30_000,
        giveUpAfterMs: Infinity,
        probeIntervalMs: 2_000,
      },
      resourceLimits: undefined,
      dedupeWindow: 2_048,
      maxPayloadBytes: 16_777_216,
      logger: undefined,
      runner: 'thread',
      threads: 'shared',
      store: undefined,
      checkpoint: { batchSize: 100, intervalMs: 1_000 },
      replies: { now: Date.now, maxReplies: 5, maxTracked: 10_000, store: undefined },
    });
  });

  it('fills the defaults of a section left partly empty', () => {
    const resolved = resolveOptions({ ...VALID, timeouts: { readyMs: 20_000 }, restart: { maxRestarts: 5 } });
    expect(resolved.timeouts).toStrictEqual({ ...DEFAULT_TIMEOUTS, readyMs: 20_000 });
    expect(resolved.restart).toStrictEqual({ ...DEFAULT_RESTART, maxRestarts: 5 });
  });
});

describe('accepted values', () => {
  it('keeps every given option', () => {
    const resolved = resolveOptions({
      ...VALID,
      transport: { kind: 'websocket' },
      shards: 4,
      endpoints: { token: 'http://127.0.0.1:8080/token', api: 'http://127.0.0.1:8081' },
      timeouts: { httpMs: 1, handshakeMs: 2, helloMs: 3, readyMs: 4, watchdogMs: 100, controlMs: 5 },
      restart: {
        minDelayMs: 0,
        maxDelayMs: 0,
        maxRestarts: 0,
        windowMs: 1,
        stableAfterMs: 0,
        giveUpAfterMs: 1_000,
        probeIntervalMs: 0,
      },
      resourceLimits: { maxOldGenerationSizeMb: 64 },
      dedupeWindow: 1,
      maxPayloadBytes: 1_024,
      logger: LOGGER,
      runner: 'in-process',
      threads: 'own',
      store: STORE,
      checkpoint: { batchSize: 7, intervalMs: 50 },
      replies: { maxReplies: 3, maxTracked: 10 },
    });
    expect(resolved).toStrictEqual({
      ...VALID,
      transport: { kind: 'websocket' },
      shards: 4,
      endpoints: { token: 'http://127.0.0.1:8080/token', api: 'http://127.0.0.1:8081' },
      timeouts: { httpMs: 1, handshakeMs: 2, helloMs: 3, readyMs: 4, watchdogMs: 100, controlMs: 5 },
      restart: {
        minDelayMs: 0,
        maxDelayMs: 0,
        maxRestarts: 0,
        windowMs: 1,
        stableAfterMs: 0,
        giveUpAfterMs: 1_000,
        probeIntervalMs: 0,
      },
      resourceLimits: { maxOldGenerationSizeMb: 64 },
      dedupeWindow: 1,
      maxPayloadBytes: 1_024,
      logger: LOGGER,
      runner: 'in-process',
      threads: 'own',
      store: STORE,
      checkpoint: { batchSize: 7, intervalMs: 50 },
      replies: { now: Date.now, maxReplies: 3, maxTracked: 10, store: undefined },
    });
  });

  it('strips trailing slashes from endpoint URLs', () => {
    expect(resolveOptions({ ...VALID, endpoints: { api: 'https://sandbox.api.sgroup.qq.com//' } }).endpoints.api).toBe(
      'https://sandbox.api.sgroup.qq.com',
    );
  });

  it("accepts shards: 'auto' (the count comes from GET /gateway/bot at start)", () => {
    expect(resolveOptions({ ...VALID, shards: 'auto' }).shards).toBe('auto');
    expect(resolveOptions({ ...VALID, shards: 1_024 }).shards).toBe(1_024);
  });

  it("an out-of-range shards names 'auto' too", () => {
    for (const shards of [0, 1_025, 1.5, 'Auto'])
      expect(() => resolveOptions({ ...VALID, shards })).toThrow(
        "Expected `shards` to be 'auto' or an integer from 1 to 1024",
      );
  });

  it('accepts maxDelayMs equal to minDelayMs', () => {
    expect(resolveOptions({ ...VALID, restart: { minDelayMs: 1_000, maxDelayMs: 1_000 } }).restart).toMatchObject({
      minDelayMs: 1_000,
      maxDelayMs: 1_000,
    });
  });
});

const BAD_OPTIONS: { name: string; input: unknown }[] = [
  { name: 'missing appId', input: without(VALID, 'appId') },
  { name: 'empty appId', input: { ...VALID, appId: '' } },
  { name: 'numeric appId', input: { ...VALID, appId: 102030405 } },
  { name: 'missing secret', input: without(VALID, 'secret') },
  { name: 'empty secret', input: { ...VALID, secret: '' } },
  { name: 'blank secret', input: { ...VALID, secret: '   ' } },
  { name: 'secret in an array', input: { ...VALID, secret: [SECRET] } },
  { name: 'missing intents', input: without(VALID, 'intents') },
  { name: 'intents 0', input: { ...VALID, intents: 0 } },
  { name: 'negative intents', input: { ...VALID, intents: -1 } },
  { name: 'non-integer intents', input: { ...VALID, intents: 1.5 } },
  { name: 'intents as a string', input: { ...VALID, intents: String(Intents.GROUP_AND_C2C_EVENT) } },
  { name: 'unknown intent bit 1<<3', input: { ...VALID, intents: 1 << 3 } },
  {
    name: 'unknown intent bit mixed with known ones',
    input: { ...VALID, intents: Intents.GROUP_AND_C2C_EVENT | (1 << 3) },
  },
  { name: 'endpoints not an object', input: { ...VALID, endpoints: 'https://api.sgroup.qq.com' } },
  { name: 'endpoints.api not a URL', input: { ...VALID, endpoints: { api: 'api.sgroup.qq.com' } } },
  { name: 'endpoints.api with ftp:', input: { ...VALID, endpoints: { api: 'ftp://api.sgroup.qq.com' } } },
  {
    name: 'endpoints.token with ws:',
    input: { ...VALID, endpoints: { token: 'ws://bots.qq.com/app/getAppAccessToken' } },
  },
  { name: 'empty endpoints.token', input: { ...VALID, endpoints: { token: '' } } },
  { name: 'timeouts not an object', input: { ...VALID, timeouts: 10_000 } },
  { name: 'timeouts.watchdogMs 50', input: { ...VALID, timeouts: { watchdogMs: 50 } } },
  { name: 'timeouts.httpMs 0', input: { ...VALID, timeouts: { httpMs: 0 } } },
  { name: 'negative timeouts.handshakeMs', input: { ...VALID, timeouts: { handshakeMs: -1 } } },
  { name: 'non-integer timeouts.readyMs', input: { ...VALID, timeouts: { readyMs: 1.5 } } },
  { name: 'NaN timeouts.helloMs', input: { ...VALID, timeouts: { helloMs: Number.NaN } } },
  { name: 'string timeouts.controlMs', input: { ...VALID, timeouts: { controlMs: '2000' } } },
  { name: 'restart.maxDelayMs below minDelayMs', input: { ...VALID, restart: { minDelayMs: 1_000, maxDelayMs: 999 } } },
  { name: 'restart.maxDelayMs below the default minDelayMs', input: { ...VALID, restart: { maxDelayMs: 100 } } },
  { name: 'negative restart.minDelayMs', input: { ...VALID, restart: { minDelayMs: -1 } } },
  { name: 'negative restart.maxRestarts', input: { ...VALID, restart: { maxRestarts: -1 } } },
  { name: 'restart.windowMs 0', input: { ...VALID, restart: { windowMs: 0 } } },
  { name: 'negative restart.stableAfterMs', input: { ...VALID, restart: { stableAfterMs: -1 } } },
  { name: 'negative restart.probeIntervalMs', input: { ...VALID, restart: { probeIntervalMs: -1 } } },
  { name: 'infinite restart.maxRestarts', input: { ...VALID, restart: { maxRestarts: Number.POSITIVE_INFINITY } } },
  { name: 'shards 0', input: { ...VALID, shards: 0 } },
  { name: 'negative shards', input: { ...VALID, shards: -1 } },
  { name: 'shards above 1024', input: { ...VALID, shards: 1_025 } },
  { name: 'non-integer shards', input: { ...VALID, shards: 1.5 } },
  { name: "shards 'Auto'", input: { ...VALID, shards: 'Auto' } },
  { name: 'shards as a numeric string', input: { ...VALID, shards: '4' } },
  {
    name: "shards 'auto' with the webhook transport",
    input: { ...VALID, transport: { kind: 'webhook' }, shards: 'auto' },
  },
  { name: 'dedupeWindow 0', input: { ...VALID, dedupeWindow: 0 } },
  { name: 'maxPayloadBytes below 1 KiB', input: { ...VALID, maxPayloadBytes: 1_023 } },
  { name: 'resourceLimits not an object', input: { ...VALID, resourceLimits: 64 } },
  { name: 'logger missing error()', input: { ...VALID, logger: without(LOGGER, 'error') } },
  { name: 'logger with a non-function method', input: { ...VALID, logger: { ...LOGGER, warn: 'warn' } } },
  { name: 'logger as a function', input: { ...VALID, logger: console.log } },
  { name: 'options null', input: null },
  { name: 'options undefined', input: undefined },
  { name: 'options a string', input: 'appId=1&secret=2' },
  { name: 'options an array', input: [VALID] },
];

describe('invalid options', () => {
  it.each(BAD_OPTIONS)('rejects $name with QQBOT_INVALID_OPTION', ({ input }) => {
    const err = thrownBy(() => resolveOptions(input));
    expect(err).toBeInstanceOf(QQBotError);
    expect((err as QQBotError).code).toBe(ErrorCodes.INVALID_OPTION);
    expect((err as QQBotError).retryable).toBe(false);
  });

  it.each(BAD_OPTIONS)('never puts the secret in an error message: $name', ({ input }) => {
    const err = thrownBy(() => resolveOptions(input)) as QQBotError;
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(inspect(err, { depth: Infinity, showHidden: true })).not.toContain(SECRET);
    expect(String(err.stack)).not.toContain(SECRET);
  });
});

describe('a store written for the shape before the fleet', () => {
  it('refuses a store that offers `leases` but no `fleet`, rather than running without ownership', () => {
    const leases = { maxShards: 1, acquire: () => Promise.resolve(undefined) };
    const store = Object.assign(new MemorySessionStore(), { leases });
    const refused = expect.objectContaining({
      code: 'QQBOT_INVALID_OPTION',
      message: expect.stringContaining('fleet: { leases }'),
    });
    expect(() => resolveOptions({ ...VALID, store })).toThrow(refused);
    const migrated = Object.assign(new MemorySessionStore(), { fleet: { leases } });
    expect(resolveOptions({ ...VALID, store: migrated }).store).toBe(migrated);
  });
});

describe('intents beyond 32 bits', () => {
  it.each([2 ** 32 + (1 << 25), 2 ** 32 + 1, 2 ** 40 + 1])('rejects %d', (intents) => {
    expect(() => resolveOptions({ appId: 'a', secret: 'b', intents })).toThrow(
      expect.objectContaining({ code: 'QQBOT_INVALID_OPTION' }),
    );
  });
});

describe('resourceLimits', () => {
  it('keeps known limits', () => {
    expect(
      resolveOptions({
        appId: 'a',
        secret: 'b',
        intents: 1,
        resourceLimits: { maxOldGenerationSizeMb: 64, stackSizeMb: 4 },
      }).resourceLimits,
    ).toEqual({
      maxOldGenerationSizeMb: 64,
      stackSizeMb: 4,
    });
  });
  it.each([
    ['an unknown key (a typo limits nothing)', { maxOldGenMb: 64 }],
    ['a zero limit', { maxOldGenerationSizeMb: 0 }],
    ['a string limit', { maxOldGenerationSizeMb: '64' }],
    ['not an object', 64],
  ])('rejects %s', (_what, resourceLimits) => {
    expect(() => resolveOptions({ appId: 'a', secret: 'b', intents: 1, resourceLimits })).toThrow(
      expect.objectContaining({ code: 'QQBOT_INVALID_OPTION' }),
    );
  });
});
