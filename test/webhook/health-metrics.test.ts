import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import type { RestartEvent } from '../../src/events.js';
import { CHANNEL_NAMES, type ChannelMessages } from '../../src/metrics/channels.js';
import { registerMetrics, type RegisteredMetrics } from '../../src/metrics/index.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { collect, nextEvent, untilCount } from '../helpers.js';
import { valueOf } from '../metrics/metric-value.js';
import { APP_ID, SECRET } from './helpers.js';

let bot: QQBotConnector | undefined;
let fake: FakeQQServer | undefined;
let metrics: RegisteredMetrics | undefined;
let unsubscribe: (() => void) | undefined;

afterEach(async () => {
  unsubscribe?.();
  metrics?.close();
  await bot?.close();
  await fake?.close();
  bot = undefined;
  fake = undefined;
  metrics = undefined;
  unsubscribe = undefined;
});

describe('status(), health(), ready and metrics with the webhook transport (default options)', () => {
  it('reports the listener like a shard: ready once bound, resumed after a restart, counted on channels and in prom-client', async () => {
    const registry = new Registry();
    metrics = registerMetrics({ registry });
    const delivered: Array<ChannelMessages['delivered']> = [];
    const onDelivered = (message: unknown): void => void delivered.push(message as ChannelMessages['delivered']);
    diagnosticsChannel.subscribe(CHANNEL_NAMES.delivered, onDelivered);
    unsubscribe = () => diagnosticsChannel.unsubscribe(CHANNEL_NAMES.delivered, onDelivered);

    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    const events = collect(bot);
    expect(bot.health()).toEqual({ ok: false, shards: [] });
    const ready = once(bot, 'ready');
    await bot.start();
    const [readyEvent] = await ready;
    expect(readyEvent).toMatchObject({ shard: 0, newSession: true });
    expect(bot.health()).toMatchObject({
      ok: true,
      shards: [{ shard: 0, state: 'ready', restarts: 0, sessionId: null, phase: 'session' }],
    });
    expect(bot.status()[0]!.connectedSince).toEqual(expect.any(Number));
    expect(bot.status()[0]!.threadId).toEqual(expect.any(Number));

    const port = bot.webhookAddress()!.port;
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: `http://127.0.0.1:${port}/qqbot` });
    await fake.emitEvents(20);
    // A platform redelivery (same id) and a forgery: neither is delivered; the redelivery counts as a duplicate.
    const body = JSON.stringify({ op: 0, id: 'cb-0', t: 'GROUP_AT_MESSAGE_CREATE', d: { n: 0 } });
    expect((await fake.sendCallback(body)).status).toBe(200);
    expect((await fake.sendCallback(body, { signature: 'forged' })).status).toBe(401);
    await untilCount(bot, events, 20);
    expect(events).toHaveLength(20);
    expect(delivered).toHaveLength(20);
    expect(delivered[0]).toEqual({ appId: APP_ID, shard: 0, type: 'GROUP_AT_MESSAGE_CREATE' });
    expect(bot.status()[0]!.duplicatesDropped).toBe(1);

    const restart = nextEvent<RestartEvent>(bot, 'restart');
    const resumed = nextEvent(bot, 'resumed');
    await bot.terminateWorker();
    const { kind, decision } = await restart;
    await resumed;
    expect(kind).toBe('worker-died');
    expect(bot.webhookAddress()!.port).toBe(port);
    expect(bot.health()).toMatchObject({ ok: true, shards: [{ state: 'ready', restarts: 1 }] });
    await fake.emitEvents(5);
    await untilCount(bot, events, 25);

    expect(await valueOf(registry, 'qqbot_events_delivered_total', { shard: 0, type: 'GROUP_AT_MESSAGE_CREATE' })).toBe(
      25,
    );
    expect(await valueOf(registry, 'qqbot_duplicates_dropped_total', { shard: 0, reason: 'id' })).toBe(1);
    expect(await valueOf(registry, 'qqbot_restarts_total', { shard: 0, kind, decision, progressed: 'true' })).toBe(1);
    // The first bind counts as a new session, the re-bind after the kill as a resume.
    expect(await valueOf(registry, 'qqbot_reconnect_duration_seconds', { shard: 0, resumed: 'false' }, '_count')).toBe(
      1,
    );
    expect(await valueOf(registry, 'qqbot_reconnect_duration_seconds', { shard: 0, resumed: 'true' }, '_count')).toBe(
      1,
    );

    await bot.close();
    expect(bot.health().ok).toBe(false);
    expect(bot.webhookAddress()).toBeNull();
  });
});
