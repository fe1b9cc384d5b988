import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import {
  ReplyTracker,
  parseEventTimestamp,
  resolveReplyTarget,
  type ReplyableEvent,
} from '../../src/replies/passive-reply.js';
import { codeOf } from '../helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function groupAt(id = 'MSG1', timestamp: unknown = new Date(T0).toISOString()): ReplyableEvent {
  return {
    type: 'GROUP_AT_MESSAGE_CREATE' as const,
    id: 'GROUP_AT_MESSAGE_CREATE:ev1',
    data: { id, group_openid: 'G1', author: { member_openid: 'M1' }, content: ' hi', timestamp },
  };
}

function c2c(id = 'MSG2', timestamp: unknown = new Date(T0).toISOString()): ReplyableEvent {
  return {
    type: 'C2C_MESSAGE_CREATE' as const,
    id: 'C2C_MESSAGE_CREATE:ev2',
    data: { id, author: { user_openid: 'U1' }, content: 'hi', timestamp },
  };
}

describe('resolveReplyTarget', () => {
  it.each([
    ['GROUP_AT_MESSAGE_CREATE', { id: 'm', group_openid: 'G' }, 'group', 'G'],
    ['GROUP_MESSAGE_CREATE', { id: 'm', group_openid: 'G' }, 'group', 'G'],
    ['C2C_MESSAGE_CREATE', { id: 'm', author: { user_openid: 'U' } }, 'c2c', 'U'],
    ['AT_MESSAGE_CREATE', { id: 'm', channel_id: 'C', guild_id: 'X' }, 'channel', 'C'],
    ['MESSAGE_CREATE', { id: 'm', channel_id: 'C' }, 'channel', 'C'],
    ['DIRECT_MESSAGE_CREATE', { id: 'm', guild_id: 'D', channel_id: 'C' }, 'dm', 'D'],
  ])('answers %s to the %s endpoint with msg_id = data.id', (type, data, scope, targetId) => {
    const target = resolveReplyTarget({ type, id: 'ev', data } as ReplyableEvent);
    expect(target).toEqual({ scope, targetId, ref: { msg_id: 'm' } });
  });

  it.each([
    ['INTERACTION_CREATE', { id: 'i', group_openid: 'G', chat_type: 1 }, 'group', 'G'],
    ['INTERACTION_CREATE', { id: 'i', user_openid: 'U', chat_type: 2 }, 'c2c', 'U'],
    ['GROUP_ADD_ROBOT', { group_openid: 'G', op_member_openid: 'M', timestamp: 1 }, 'group', 'G'],
    ['FRIEND_ADD', { openid: 'U', timestamp: 1 }, 'c2c', 'U'],
  ])('answers %s with event_id = the event id', (type, data, scope, targetId) => {
    expect(resolveReplyTarget({ type, id: 'EV', data } as ReplyableEvent)).toEqual({
      scope,
      targetId,
      ref: { event_id: 'EV' },
    });
  });

  it('refuses events with nothing to reply to (QQBOT_REPLY_UNSUPPORTED)', () => {
    expect(codeOf(() => resolveReplyTarget({ type: 'GUILD_CREATE', id: 'e', data: { id: 'g' } } as never))).toBe(
      ErrorCodes.REPLY_UNSUPPORTED,
    );
    expect(codeOf(() => resolveReplyTarget({ type: 'FRIEND_ADD' as const, data: { openid: 'U' } }))).toBe(
      ErrorCodes.REPLY_UNSUPPORTED,
    );
    expect(
      codeOf(() =>
        resolveReplyTarget({ type: 'GROUP_AT_MESSAGE_CREATE' as const, id: 'e', data: { group_openid: 'G' } }),
      ),
    ).toBe(ErrorCodes.REPLY_UNSUPPORTED);
    expect(codeOf(() => resolveReplyTarget({ type: 'C2C_MESSAGE_CREATE' as const, id: 'e', data: { id: 'm' } }))).toBe(
      ErrorCodes.REPLY_UNSUPPORTED,
    );
    expect(codeOf(() => resolveReplyTarget({ type: 'RESUMED', id: 'e', data: '' } as never))).toBe(
      ErrorCodes.REPLY_UNSUPPORTED,
    );
    // A known type the platform takes no reply to, from an untyped caller, even though it names a channel.
    expect(
      codeOf(() => resolveReplyTarget({ type: 'FORUM_THREAD_CREATE', id: 'e', data: { channel_id: 'C' } } as never)),
    ).toBe(ErrorCodes.REPLY_UNSUPPORTED);
  });
});

describe('parseEventTimestamp', () => {
  it('reads ISO strings, unix seconds and digit strings; rejects the rest', () => {
    expect(parseEventTimestamp('2023-11-06T13:37:18+08:00')).toBe(Date.parse('2023-11-06T05:37:18Z'));
    expect(parseEventTimestamp(1_700_000_000)).toBe(1_700_000_000_000);
    expect(parseEventTimestamp('1700000000')).toBe(1_700_000_000_000);
    expect(parseEventTimestamp('yesterday')).toBeUndefined();
    expect(parseEventTimestamp(undefined)).toBeUndefined();
    expect(parseEventTimestamp(Number.NaN)).toBeUndefined();
    expect(parseEventTimestamp('')).toBeUndefined();
  });
});

describe('ReplyTracker', () => {
  it('hands out msg_seq 1, 2, 3 … per msg_id', () => {
    const t = new ReplyTracker({ now: clock().now });
    expect(t.next(groupAt('A')).fields).toEqual({ msg_id: 'A', msg_seq: 1 });
    expect(t.next(groupAt('A')).fields).toEqual({ msg_id: 'A', msg_seq: 2 });
    expect(t.next(groupAt('B')).fields).toEqual({ msg_id: 'B', msg_seq: 1 });
    expect(t.next(groupAt('A')).fields).toEqual({ msg_id: 'A', msg_seq: 3 });
  });

  it('uses event_id and its own sequence for non-message events', () => {
    const t = new ReplyTracker({ now: clock().now });
    const ev: ReplyableEvent = {
      type: 'INTERACTION_CREATE' as const,
      id: 'EV9',
      data: { id: 'interaction', group_openid: 'G', timestamp: new Date(T0).toISOString() },
    };
    expect(t.next(ev)).toMatchObject({ scope: 'group', targetId: 'G', fields: { event_id: 'EV9', msg_seq: 1 } });
    expect(t.next(ev).fields).toEqual({ event_id: 'EV9', msg_seq: 2 });
  });

  it('stops with QQBOT_PASSIVE_REPLY_LIMIT at the 6th reply to one message', () => {
    const t = new ReplyTracker({ now: clock().now });
    for (let i = 1; i <= 5; i++) expect(t.next(groupAt()).replyNumber).toBe(i);
    let err: unknown;
    try {
      t.next(groupAt());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QQBotError);
    expect((err as QQBotError).code).toBe(ErrorCodes.PASSIVE_REPLY_LIMIT);
    expect((err as QQBotError).retryable).toBe(false);
  });

  it('allows group replies for 5 min from data.timestamp, then QQBOT_PASSIVE_REPLY_EXPIRED', () => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now });
    c.advance(5 * MIN);
    expect(t.next(groupAt()).replyNumber).toBe(1);
    c.advance(1);
    expect(codeOf(() => t.next(groupAt()))).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
  });

  it('measures the window from the message time, not from when the tracker saw it', () => {
    const c = clock(T0 + 6 * MIN);
    const t = new ReplyTracker({ now: c.now });
    expect(codeOf(() => t.next(groupAt()))).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
  });

  it('allows C2C replies for 60 min', () => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now });
    c.advance(59 * MIN);
    expect(t.next(c2c()).scope).toBe('c2c');
    c.advance(MIN + 1);
    expect(codeOf(() => t.next(c2c()))).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
  });

  it.each([
    ['AT_MESSAGE_CREATE', { id: 'm', channel_id: 'C' }],
    ['DIRECT_MESSAGE_CREATE', { id: 'm', guild_id: 'D' }],
  ])('gives %s a 5 min window', (type, data) => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now });
    const ev = { type, id: 'e', data: { ...data, timestamp: new Date(T0).toISOString() } } as ReplyableEvent;
    c.advance(5 * MIN - 1);
    t.next(ev);
    c.advance(2);
    expect(codeOf(() => t.next(ev))).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
  });

  it('reads integer unix seconds (group management events)', () => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now });
    const ev: ReplyableEvent = {
      type: 'GROUP_ADD_ROBOT' as const,
      id: 'E',
      data: { group_openid: 'G', timestamp: Math.floor(T0 / 1000) },
    };
    c.advance(4 * MIN);
    t.next(ev);
    c.advance(2 * MIN);
    expect(codeOf(() => t.next(ev))).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
  });

  it('falls back to the time it first saw the event when the timestamp is missing or unparsable', () => {
    const c = clock(T0 + 60 * MIN);
    const t = new ReplyTracker({ now: c.now });
    const noTimestamp: ReplyableEvent = {
      type: 'GROUP_AT_MESSAGE_CREATE' as const,
      id: 'e',
      data: { id: 'Y', group_openid: 'G1' },
    };
    t.next(groupAt('X', 'not a date'));
    t.next(noTimestamp);
    c.advance(5 * MIN);
    expect(t.next(groupAt('X', 'not a date')).replyNumber).toBe(2);
    c.advance(1);
    expect(codeOf(() => t.next(noTimestamp))).toBe(ErrorCodes.PASSIVE_REPLY_EXPIRED);
  });

  it('forgets messages whose window has closed', () => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now });
    for (let i = 0; i < 10; i++) t.next(groupAt(`M${i}`));
    expect(t.size).toBe(10);
    c.advance(6 * MIN);
    t.next(c2c('fresh', new Date(c.now()).toISOString()));
    expect(t.size).toBe(1);
  });

  it('never holds more than maxTracked messages', () => {
    const t = new ReplyTracker({ now: clock().now, maxTracked: 100 });
    for (let i = 0; i < 1_000; i++) t.next(groupAt(`M${i}`));
    expect(t.size).toBe(100);
  });

  it('drops closed windows before evicting an open one, even within the once-a-second sweep throttle', () => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now, maxTracked: 2 });
    t.next(groupAt('OPEN')); // oldest entry, window open for 5 min
    t.next(groupAt('SHORT', new Date(T0 - 5 * MIN + 500).toISOString())); // closes at T0 + 500 ms
    c.advance(600); // SHORT has closed; the throttled sweep does not run before T0 + 1 s
    t.next(groupAt('NEW'));
    expect(t.size).toBe(2);
    // OPEN kept its state: its next reply is msg_seq 2, not a restart at 1 (a duplicate on the platform).
    expect(t.next(groupAt('OPEN')).fields).toEqual({ msg_id: 'OPEN', msg_seq: 2 });
  });

  it('refuses an already-expired event without remembering it or evicting an open window', () => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now, maxTracked: 2 });
    t.next(groupAt('A'));
    t.next(groupAt('B'));
    expect(codeOf(() => t.next(groupAt('LATE', new Date(T0 - 6 * MIN).toISOString())))).toBe(
      ErrorCodes.PASSIVE_REPLY_EXPIRED,
    );
    expect(t.size).toBe(2);
    expect(t.next(groupAt('A')).fields).toEqual({ msg_id: 'A', msg_seq: 2 });
    expect(t.next(groupAt('B')).fields).toEqual({ msg_id: 'B', msg_seq: 2 });
  });

  it('evicts the oldest open window only when none has closed', () => {
    const c = clock();
    const t = new ReplyTracker({ now: c.now, maxTracked: 2 });
    t.next(groupAt('A'));
    t.next(groupAt('B'));
    c.advance(2_000);
    t.next(groupAt('C'));
    expect(t.size).toBe(2);
    expect(t.next(groupAt('B')).fields).toEqual({ msg_id: 'B', msg_seq: 2 });
    expect(t.next(groupAt('A')).fields).toEqual({ msg_id: 'A', msg_seq: 1 });
  });

  it('validates its options', () => {
    expect(codeOf(() => new ReplyTracker({ maxReplies: 0 }))).toBe(ErrorCodes.INVALID_OPTION);
    expect(codeOf(() => new ReplyTracker({ maxTracked: 1.5 }))).toBe(ErrorCodes.INVALID_OPTION);
  });
});
