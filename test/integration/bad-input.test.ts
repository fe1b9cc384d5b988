import { describe, expect, it } from 'vitest';
import type { QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import { collect, expectExactlyOnceInOrder, nextEvent, untilCount, useFakeQQ } from '../helpers.js';

const env = useFakeQQ({ heartbeatIntervalMs: 30_000 });

describe('bad frames from the gateway: a clear error, nothing lost, the session goes on', () => {
  it.each([
    ['text that is not JSON', 'not json at all {'],
    ['JSON that is not an object', '[1,2,3]'],
    ['an object without a numeric op', JSON.stringify({ op: 'zero', d: {} })],
    ['a dispatch without an event type', JSON.stringify({ op: 0, s: 999, d: { content: 'x' } })],
    ['a READY without a session id', JSON.stringify({ op: 0, s: 999, t: 'READY', d: {} })],
  ])('%s is reported as QQBOT_MALFORMED_FRAME and skipped', async (_what, frame) => {
    const bot = env.make();
    const events = collect(bot);
    await bot.start();
    await env.fake.emitEvents(2);
    await untilCount(bot, events, 2);
    const error = nextEvent<QQBotError>(bot, 'error');
    env.fake.sendRaw(frame);
    expect(await error).toMatchObject({ code: 'QQBOT_MALFORMED_FRAME', retryable: true });
    await env.fake.emitEvents(2);
    await untilCount(bot, events, 4);
    expectExactlyOnceInOrder(events, 0, 4);
    expect(env.fake.stats.connections).toBe(1);
    expect(bot.status()[0]).toMatchObject({ state: 'ready', restarts: 0 });
  });

  it('an unknown opcode is ignored (a debug line says so) and the session goes on', async () => {
    const bot = env.make();
    const events = collect(bot);
    const lines: string[] = [];
    bot.on('debug', (line) => lines.push(line));
    const errors: QQBotError[] = [];
    bot.on('error', (e) => errors.push(e));
    await bot.start();
    env.fake.sendRaw(JSON.stringify({ op: 99, d: { surprise: true } }));
    await env.fake.emitEvents(2);
    await untilCount(bot, events, 2);
    expect(lines).toContain('shard 0: ignored a frame with unknown op 99');
    expect(errors).toHaveLength(0);
    expect(env.fake.stats.connections).toBe(1);
  });

  it('a dispatch sent as a binary frame is decoded and delivered', async () => {
    const bot = env.make();
    const events = collect(bot);
    await bot.start();
    env.fake.sendRaw(
      Buffer.from(
        JSON.stringify({
          op: 0,
          s: 500,
          t: 'C2C_MESSAGE_CREATE',
          id: 'bin-1',
          d: { id: 'msg-bin-1', content: '二进制', author: { user_openid: 'U1' } },
        }),
      ),
    );
    await untilCount(bot, events, 1);
    expect(events[0]).toMatchObject({ seq: 500, type: 'C2C_MESSAGE_CREATE', id: 'bin-1', data: { content: '二进制' } });
  });

  it('a frame larger than maxPayloadBytes is refused with QQBOT_FRAME_TOO_LARGE, and a new session goes on', async () => {
    const bot = env.make({ maxPayloadBytes: 4_096 });
    const events = collect(bot);
    await bot.start();
    const error = nextEvent<QQBotError>(bot, 'error');
    const restart = nextEvent<RestartEvent>(bot, 'restart');
    const ready = nextEvent(bot, 'ready');
    env.fake.sendRaw(
      JSON.stringify({ op: 0, s: 900, t: 'C2C_MESSAGE_CREATE', id: 'huge', d: { content: 'x'.repeat(10_000) } }),
    );
    expect(await error).toMatchObject({ code: 'QQBOT_FRAME_TOO_LARGE', details: { maxPayloadBytes: 4_096 } });
    expect(await restart).toMatchObject({ kind: 'closed', closeCode: 1009, decision: 'identify' });
    await ready;
    await env.fake.emitEvents(2);
    await untilCount(bot, events, 2);
    expect(events.map((e) => e.id)).not.toContain('huge');
    expect(env.fake.stats.identifies).toHaveLength(2);
  });
});
