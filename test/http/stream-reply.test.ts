import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { FakeQQServer, type FakeStream } from '../../src/testing/index.js';
import { rejection } from '../helpers.js';
import type { StreamableEvent } from '../../src/replies/passive-reply.js';

let fake: FakeQQServer;
let api: QQOpenAPI;
/** The reply tracker's clock (the stream window is read on it); real time unless a test moves it. */
let shift = 0;

function c2c(id = 'IN-1', timestamp = new Date().toISOString()): StreamableEvent {
  return {
    type: 'C2C_MESSAGE_CREATE' as const,
    id: `EV-${id}`,
    data: { id, content: 'question', timestamp, author: { user_openid: 'U1' } },
  };
}

/** Yields `parts`, waiting `gapMs` before each (real time: the throttle is what is tested). */
async function* chunks(parts: readonly string[], gapMs = 0, onReturn?: () => void): AsyncGenerator<string> {
  try {
    for (const part of parts) {
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      yield part;
    }
  } finally {
    onReturn?.();
  }
}

function only(streams: readonly FakeStream[]): FakeStream {
  expect(streams).toHaveLength(1);
  return streams[0] as FakeStream;
}

beforeEach(async () => {
  shift = 0;
  fake = await FakeQQServer.start();
  api = new QQOpenAPI({
    appId: 'test-app',
    secret: 'test-secret',
    endpoints: fake.endpoints,
    retry: { retries: 0, minDelayMs: 1, maxDelayMs: 2 },
    replies: { now: () => Date.now() + shift },
  });
});

afterEach(async () => {
  await api.close();
  await fake.close();
});

describe('replyStream', () => {
  it('with defaults: frames at least 300 ms apart, each the whole text so far, one msg_seq, then input_state 10', async () => {
    const parts = ['Hel', 'lo', ', ', 'wor', 'ld', '!'];
    const started = performance.now();
    const result = await api.replyStream(c2c(), chunks(parts, 100));
    const elapsed = performance.now() - started;
    const stream = only(fake.rest.streams);
    expect(result).toEqual({ streamMsgId: stream.id, frames: stream.frames.length, text: 'Hello, world!' });
    expect(stream).toMatchObject({ openid: 'U1', ref: 'IN-1', msgSeq: 1, done: true, text: 'Hello, world!' });
    // Replace mode: every frame is a prefix of the final text, growing; indexes count from 0.
    expect(stream.frames.map((f) => f.index)).toEqual(stream.frames.map((_f, i) => i));
    for (const [i, frame] of stream.frames.entries())
      expect(
        'Hello, world!'.startsWith(frame.content) &&
          frame.content.length >= (stream.frames[i - 1]?.content.length ?? 1),
      ).toBe(true);
    expect(stream.frames.map((f) => f.state)).toEqual([...stream.frames.slice(1).map(() => 1), 10]);
    expect(stream.frames.at(-1)?.content).toBe('Hello, world!');
    // Six chunks 100 ms apart were merged into fewer frames, never closer than the interval where the fake sees them.
    expect(stream.frames.length).toBeLessThanOrEqual(Math.floor(elapsed / 300) + 2);
    for (let i = 1; i < stream.frames.length; i++)
      expect((stream.frames[i]?.at ?? 0) - (stream.frames[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(298); // 2 ms: timer and clock granularity
    // Every frame after the first names the stream; all carry the message as msg_id (and event_id, as the SDK does).
    const bodies = fake.rest.requestsTo('/v2/users/U1/stream_messages').map((r) => r.body as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({
      input_mode: 'replace',
      content_type: 'markdown',
      msg_id: 'IN-1',
      event_id: 'IN-1',
      msg_seq: 1,
    });
    expect(bodies[0]).not.toHaveProperty('stream_msg_id');
    for (const body of bodies.slice(1)) expect(body).toMatchObject({ stream_msg_id: stream.id, msg_seq: 1 });
    // The final frame is the message the fake accepted.
    expect(fake.rest.messages).toEqual([expect.objectContaining({ id: stream.id, kind: 'c2c', targetId: 'U1' })]);
  });

  it('sends a short answer (the source ends before the first frame is due) as one final frame', async () => {
    await api.replyStream(c2c('A'), chunks(['a', 'b', 'c', 'd']), { minIntervalMs: 50, contentType: 'text' });
    expect(only(fake.rest.streams).frames.map((f) => [f.state, f.content, f.contentType])).toEqual([
      [10, 'abcd', 'text'],
    ]);
  });

  it('merges chunks that come faster than the interval into fewer frames', async () => {
    const parts = Array.from({ length: 20 }, (_v, i) => `${i % 10}`);
    const started = performance.now();
    await api.replyStream(c2c('B'), chunks(parts, 10), { minIntervalMs: 60 });
    const elapsed = performance.now() - started;
    const stream = only(fake.rest.streams);
    expect(stream.text).toBe(parts.join(''));
    expect(stream.frames.length).toBeGreaterThanOrEqual(2);
    // At most one frame per interval, plus the final one: however slow the machine, 20 chunks are merged.
    expect(stream.frames.length).toBeLessThanOrEqual(Math.floor(elapsed / 60) + 2);
  });

  it('is one reply: the next reply to the same message takes msg_seq 2', async () => {
    await api.replyStream(c2c(), chunks(['x']), { minIntervalMs: 10 });
    await api.reply(c2c(), 'after');
    expect(fake.rest.messages.at(-1)?.body).toMatchObject({ content: 'after', msg_seq: 2 });
  });

  it('closes the stream with the text so far when the source throws, and rejects with QQBOT_STREAM_SOURCE_FAILED', async () => {
    const boom = new Error('the model went away');
    async function* failing(): AsyncGenerator<string> {
      yield 'partial ';
      await new Promise((resolve) => setTimeout(resolve, 80));
      yield 'answer';
      throw boom;
    }
    const err = await rejection(api.replyStream(c2c(), failing(), { minIntervalMs: 20 }));
    expect(err.code).toBe(ErrorCodes.STREAM_SOURCE_FAILED);
    expect(err.retryable).toBe(false);
    expect(err.cause).toBe(boom);
    const stream = only(fake.rest.streams);
    expect(stream.done).toBe(true);
    expect(stream.frames.at(-1)).toMatchObject({ state: 10, content: 'partial answer' });
  });

  it('sends nothing when the source throws before its first chunk', async () => {
    // eslint-disable-next-line require-yield -- a source that fails before its first chunk
    async function* broken(): AsyncGenerator<string> {
      throw new Error('no model');
    }
    expect((await rejection(api.replyStream(c2c(), broken()))).code).toBe(ErrorCodes.STREAM_SOURCE_FAILED);
    expect(fake.rest.streams).toHaveLength(0);
  });

  it('on abort: stops reading the source (its finally runs), closes the stream, rejects with QQBOT_ABORTED', async () => {
    const controller = new AbortController();
    let returned = false;
    async function* endless(): AsyncGenerator<string> {
      try {
        for (let i = 0; ; i++) {
          yield `${i} `;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        returned = true;
      }
    }
    fake.rest.once('stream', () => controller.abort());
    const err = await rejection(api.replyStream(c2c(), endless(), { minIntervalMs: 20, signal: controller.signal }));
    expect(err.code).toBe(ErrorCodes.ABORTED);
    const stream = only(fake.rest.streams);
    expect(stream.done).toBe(true);
    expect(stream.frames.at(-1)?.state).toBe(10);
    await fake.waitFor(() => returned);
  });

  it('refuses a message older than the stream window before sending anything (QQBOT_PASSIVE_REPLY_EXPIRED)', async () => {
    const old = c2c('OLD', new Date(Date.now() - 5 * 60_000 - 1_000).toISOString());
    const err = await rejection(api.replyStream(old, chunks(['x'])));
    expect(err.code).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
    expect(fake.rest.requests).toHaveLength(0);
    // The window is an option (UNCONFIRMED): a longer one lets it through.
    await api.replyStream(old, chunks(['x']), { windowMs: 10 * 60_000 });
    expect(only(fake.rest.streams).done).toBe(true);
  });

  it('stops cleanly when the window closes mid-stream: no more frames, the source returned, QQBOT_PASSIVE_REPLY_EXPIRED', async () => {
    let returned = false;
    async function* slow(): AsyncGenerator<string> {
      try {
        yield 'first';
        await new Promise((resolve) => setTimeout(resolve, 30));
        shift = 5 * 60_000; // the tracker's clock jumps past the window
        yield ' second';
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        yield ' never';
      } finally {
        returned = true;
      }
    }
    const err = await rejection(api.replyStream(c2c(), slow(), { minIntervalMs: 10 }));
    expect(err.code).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
    const stream = only(fake.rest.streams);
    expect(stream.frames.map((f) => f.content)).toEqual(['first']);
    expect(stream.done).toBe(false);
    await fake.waitFor(() => returned);
  });

  it('refuses non-C2C events with QQBOT_REPLY_UNSUPPORTED and bad options with QQBOT_INVALID_OPTION, sending nothing', async () => {
    const group = {
      type: 'GROUP_AT_MESSAGE_CREATE' as const,
      id: 'E',
      data: { id: 'G-1', group_openid: 'G', content: 'x', timestamp: new Date().toISOString() },
    };
    // An untyped caller: a group event does not compile here (test/types/replies.test.ts).
    expect((await rejection(api.replyStream(group as never, chunks(['x'])))).code).toBe(ErrorCodes.REPLY_UNSUPPORTED);
    expect((await rejection(api.replyStream(c2c(), chunks(['x']), { minIntervalMs: -1 }))).code).toBe(
      ErrorCodes.INVALID_OPTION,
    );
    expect((await rejection(api.replyStream(c2c(), chunks(['x']), { intervalMs: 5 } as never))).code).toBe(
      ErrorCodes.INVALID_OPTION,
    );
    expect((await rejection(api.replyStream(c2c(), ['x'] as never))).code).toBe(ErrorCodes.INVALID_OPTION);
    expect(fake.rest.requests).toHaveLength(0);
  });

  it('rejects with the API error when the first frame is refused, opening no stream', async () => {
    fake.rest.failNext(1, 400);
    const err = await rejection(api.replyStream(c2c(), chunks(['x', 'y'])));
    expect(err).toBeInstanceOf(QQBotError);
    expect(err.code).toBe(ErrorCodes.API_ERROR);
    expect(fake.rest.streams).toHaveLength(0);
  });
});

describe('replyStream sources', () => {
  it('wraps whatever the source throws, even a QQBotError, as QQBOT_STREAM_SOURCE_FAILED with it as cause', async () => {
    const inner = new QQBotError(ErrorCodes.HTTP_TIMEOUT, 'the model API timed out', { retryable: true });
    async function* failing(): AsyncGenerator<string> {
      yield 'a';
      throw inner;
    }
    const err = await rejection(api.replyStream(c2c('S1'), failing(), { minIntervalMs: 10 }));
    expect(err.code).toBe(ErrorCodes.STREAM_SOURCE_FAILED);
    expect(err.cause).toBe(inner);
  });

  it('refuses a chunk that is not a string with QQBOT_INVALID_OPTION, closing the stream and the source', async () => {
    let returned = false;
    async function* mixed(): AsyncGenerator<unknown> {
      try {
        yield 'text ';
        await new Promise((resolve) => setTimeout(resolve, 40));
        yield 42;
        yield 'never';
      } finally {
        returned = true;
      }
    }
    const err = await rejection(api.replyStream(c2c('S2'), mixed() as AsyncIterable<string>, { minIntervalMs: 10 }));
    expect(err.code).toBe(ErrorCodes.INVALID_OPTION);
    const stream = only(fake.rest.streams);
    expect(stream).toMatchObject({ done: true, text: 'text ' });
    await fake.waitFor(() => returned);
  });
});

describe('replyStream ordering', () => {
  it('when the source ends while a frame is in flight, the next frame is the final one, nothing after it', async () => {
    fake.rest.delayNext(1, 150); // the first frame's answer is held back
    async function* quick(): AsyncGenerator<string> {
      yield 'a';
      await new Promise((resolve) => setTimeout(resolve, 50)); // the first frame is in flight now
      yield 'b';
    }
    const result = await api.replyStream(c2c('O1'), quick(), { minIntervalMs: 10 });
    // Give a stray frame the time it would need to show up.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stream = only(fake.rest.streams);
    expect(stream.frames.map((f) => [f.index, f.state, f.content])).toEqual([
      [0, 1, 'a'],
      [1, 10, 'ab'],
    ]);
    expect(fake.rest.requestsTo('/v2/users/U1/stream_messages')).toHaveLength(2);
    expect(result).toMatchObject({ frames: 2, text: 'ab' });
  });
});
