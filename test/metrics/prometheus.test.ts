import diagnosticsChannel from 'node:diagnostics_channel';
import { Registry, register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import { CHANNEL_NAMES } from '../../src/metrics/channels.js';
import { registerMetrics, type RegisteredMetrics } from '../../src/metrics/index.js';
import { valueOf } from './metric-value.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { codeOf, collect, connectorFor, nextEvent, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ();
let handles: RegisteredMetrics[] = [];

afterEach(() => {
  for (const handle of handles) handle.close();
  handles = [];
});

function register(options?: Parameters<typeof registerMetrics>[0]): RegisteredMetrics {
  const handle = registerMetrics(options);
  handles.push(handle);
  return handle;
}

describe('registerMetrics with a real connector (default restart options)', () => {
  it('counts delivered events by type, duplicates by reason, restarts by kind and decision, and reconnect latency', async () => {
    const registry = new Registry();
    register({ registry });
    const bot = env.make({ restart: {} });
    const events = collect(bot);
    await bot.start();
    await env.fake.emitEvents(20);
    const message = { id: 'm-1', content: 'hi', timestamp: new Date().toISOString(), author: { user_openid: 'U1' } };
    env.fake.dispatch('C2C_MESSAGE_CREATE', message, { id: 'dup-1' });
    env.fake.dispatch('C2C_MESSAGE_CREATE', message, { id: 'dup-1' });
    await env.fake.emitEvents(1);
    await untilCount(bot, events, 22);

    const resumed = nextEvent(bot, 'resumed');
    const restart = nextEvent<RestartEvent>(bot, 'restart');
    await bot.terminateWorker();
    await resumed;
    const { kind, decision } = await restart;

    expect(await valueOf(registry, 'qqbot_events_delivered_total', { shard: 0, type: 'GROUP_AT_MESSAGE_CREATE' })).toBe(
      21,
    );
    expect(await valueOf(registry, 'qqbot_events_delivered_total', { shard: 0, type: 'C2C_MESSAGE_CREATE' })).toBe(1);
    expect(await valueOf(registry, 'qqbot_duplicates_dropped_total', { shard: 0, reason: 'id' })).toBe(1);
    expect(kind).toBe('worker-died');
    expect(await valueOf(registry, 'qqbot_restarts_total', { shard: 0, kind, decision, progressed: 'true' })).toBe(1);
    expect(await valueOf(registry, 'qqbot_reconnect_duration_seconds', { shard: 0, resumed: 'false' }, '_count')).toBe(
      1,
    );
    expect(await valueOf(registry, 'qqbot_reconnect_duration_seconds', { shard: 0, resumed: 'true' }, '_count')).toBe(
      1,
    );
    // What a scrape shows.
    expect(await registry.metrics()).toContain(
      'qqbot_events_delivered_total{app_id="test-app",shard="0",type="GROUP_AT_MESSAGE_CREATE"} 21',
    );
  });

  it('keeps each bot apart: two bots in one process (one thread pool), one app_id label each', async () => {
    const registry = new Registry();
    register({ registry });
    const fake = await FakeQQServer.start({
      apps: [
        { appId: 'bot-a', secret: 'secret-a' },
        { appId: 'bot-b', secret: 'secret-b' },
      ],
    });
    const bots = ['a', 'b'].map((x) => connectorFor(fake, { appId: `bot-${x}`, secret: `secret-${x}` }));
    try {
      const seen = bots.map((bot) => collect(bot));
      await Promise.all(bots.map((bot) => bot.start()));
      const sessionOf = (appId: string): string => fake.sessions.find((x) => x.appId === appId)?.id ?? 'none';
      await fake.emitEvents(3, { session: sessionOf('bot-a') });
      await fake.emitEvents(5, { session: sessionOf('bot-b') });
      await untilCount(bots[0]!, seen[0]!, 3);
      await untilCount(bots[1]!, seen[1]!, 5);
      expect(await valueOf(registry, 'qqbot_events_delivered_total', { app_id: 'bot-a' })).toBe(3);
      expect(await valueOf(registry, 'qqbot_events_delivered_total', { app_id: 'bot-b' })).toBe(5);
      const resumed = nextEvent(bots[1]!, 'resumed');
      await bots[1]!.terminateWorker();
      await resumed;
      expect(
        await valueOf(registry, 'qqbot_reconnect_duration_seconds', { app_id: 'bot-b', resumed: 'true' }, '_count'),
      ).toBe(1);
      expect(
        await valueOf(registry, 'qqbot_reconnect_duration_seconds', { app_id: 'bot-a', resumed: 'true' }, '_count'),
      ).toBe(0);
    } finally {
      await Promise.all(bots.map((bot) => bot.close()));
      await fake.close();
    }
  });

  it('counts an escalation when the restart budget is spent, and the shard still comes back', async () => {
    const registry = new Registry();
    register({ registry, prefix: 'bot_' });
    env.fake.failToken(3);
    const bot = env.make({ restart: { maxRestarts: 1, minDelayMs: 1, maxDelayMs: 20 } });
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    await bot.start();
    expect(errors.map((e) => e.code)).toContain('QQBOT_RESTART_BUDGET');
    expect(await valueOf(registry, 'bot_escalations_total', { shard: 0 })).toBe(1);
    expect(await valueOf(registry, 'bot_restarts_total', { shard: 0, kind: 'token-failed', progressed: 'false' })).toBe(
      3,
    );
  });
});

describe('the handle', () => {
  it('close() unsubscribes from every channel and removes the metrics, so they can be registered again', async () => {
    const registry = new Registry();
    const handle = register({ registry });
    for (const name of Object.values(CHANNEL_NAMES)) expect(diagnosticsChannel.hasSubscribers(name), name).toBe(true);
    expect(handle.names.every((name) => registry.getSingleMetric(name) !== undefined)).toBe(true);
    handle.close();
    handle.close();
    for (const name of Object.values(CHANNEL_NAMES)) expect(diagnosticsChannel.hasSubscribers(name), name).toBe(false);
    expect(registry.getMetricsAsArray()).toEqual([]);

    register({ registry });
    const bot = env.make();
    const events = collect(bot);
    await bot.start();
    await env.fake.emitEvents(3);
    await untilCount(bot, events, 3);
    expect(await valueOf(registry, 'qqbot_events_delivered_total', { type: 'GROUP_AT_MESSAGE_CREATE' })).toBe(3);
  });

  it("registers on prom-client's global registry by default", () => {
    const handle = register();
    expect(handle.registry).toBe(globalRegistry);
    expect(globalRegistry.getSingleMetric('qqbot_restarts_total')).toBeDefined();
    handle.close();
    expect(globalRegistry.getSingleMetric('qqbot_restarts_total')).toBeUndefined();
  });
});

describe('options', () => {
  it('refuses unknown keys, with a suggestion', () => {
    expect(codeOf(() => registerMetrics({ prefx: 'a_' } as never))).toBe('QQBOT_INVALID_OPTION');
    expect(() => registerMetrics({ prefx: 'a_' } as never)).toThrow('did you mean `registerMetrics.prefix`?');
  });

  it.each([
    ['a prefix that makes invalid names', { prefix: 'my-bot_' }],
    ['a prefix that is not a string', { prefix: 7 }],
    ['a registry that is not one', { registry: {} }],
    ['options that are not an object', 'qqbot_'],
  ])('refuses %s', (_label, options) => {
    expect(codeOf(() => registerMetrics(options as never))).toBe('QQBOT_INVALID_OPTION');
  });

  it('refuses a second registration of the same names on one registry, but not under another prefix', () => {
    const registry = new Registry();
    register({ registry });
    expect(() => registerMetrics({ registry })).toThrow('`qqbot_events_delivered_total` is already registered');
    expect(register({ registry, prefix: 'second_' }).names).toContain('second_restarts_total');
  });
});
