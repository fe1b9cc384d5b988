import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { ShardDelivery, type DeliveryTarget } from '../../src/delivery/pipeline.js';
import type { QQBotError } from '../../src/errors.js';
import type { DispatchEvent } from '../../src/events.js';
import { CHANNEL_NAMES } from '../../src/metrics/channels.js';

/** A target that records what the pipeline hands on, and every onDelivered call. */
function recording(shard = 0, dedupeWindow = 100) {
  const dispatched: DispatchEvent[] = [];
  const refused: QQBotError[] = [];
  const acked: Array<{ seq: number; id: string | undefined }> = [];
  const target: DeliveryTarget = {
    dispatch: (event) => {
      dispatched.push(event);
      return undefined;
    },
    refused: (error) => refused.push(error),
  };
  const pipeline = new ShardDelivery(shard, dedupeWindow, target, 'test-app');
  pipeline.onDelivered = (seq, id) => acked.push({ seq, id });
  const deliver = (seq: number, id: string | undefined, d: object = { n: seq }, type = 'X') =>
    pipeline.deliver(seq, type, id, JSON.stringify({ op: 0, s: seq, t: type, d }), undefined);
  return { pipeline, dispatched, refused, acked, deliver };
}

describe('ShardDelivery', () => {
  it('delivers events in order with their seq and data, and tracks the delivered seq', () => {
    const { pipeline, dispatched, acked, deliver } = recording(3);
    expect(deliver(1, 'a')).toBe(true);
    expect(deliver(2, 'b')).toBe(true);
    expect(deliver(5, 'c')).toBe(true);
    expect(dispatched.map((e) => [e.shard, e.seq, e.id, e.type])).toEqual([
      [3, 1, 'a', 'X'],
      [3, 2, 'b', 'X'],
      [3, 5, 'c', 'X'],
    ]);
    expect(dispatched.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 5 }]);
    expect(dispatched.some((e) => e.redelivered === true)).toBe(false);
    expect(acked).toEqual([
      { seq: 1, id: 'a' },
      { seq: 2, id: 'b' },
      { seq: 5, id: 'c' },
    ]);
    expect(pipeline.seq).toBe(5);
    expect(pipeline.delivered).toBe(3);
    expect(pipeline.duplicatesDropped).toBe(0);
  });

  it('drops an event at or below the delivered seq, even with a new id', () => {
    const { pipeline, dispatched, acked, deliver } = recording();
    deliver(4, 'a');
    expect(deliver(4, 'new-1')).toBe(false);
    expect(deliver(2, 'new-2')).toBe(false);
    expect(dispatched.map((e) => e.seq)).toEqual([4]);
    expect(acked).toHaveLength(1);
    expect(pipeline.duplicatesDropped).toBe(2);
    expect(pipeline.seq).toBe(4);
  });

  it("reports the reason 'seq' or 'id' for each dropped duplicate", () => {
    const reasons: unknown[] = [];
    const listener = (message: unknown) => reasons.push((message as { reason: string }).reason);
    subscribe(CHANNEL_NAMES.duplicate, listener);
    try {
      const { deliver } = recording();
      deliver(1, 'a');
      deliver(1, 'b');
      deliver(2, 'a');
    } finally {
      unsubscribe(CHANNEL_NAMES.duplicate, listener);
    }
    expect(reasons).toEqual(['seq', 'id']);
  });

  it('drops an id seen within the window even with a new seq', () => {
    const { pipeline, dispatched, deliver } = recording();
    deliver(1, 'a');
    deliver(2, 'b');
    expect(deliver(3, 'a')).toBe(false);
    expect(dispatched.map((e) => e.id)).toEqual(['a', 'b']);
    expect(pipeline.duplicatesDropped).toBe(1);
    expect(deliver(4, 'c')).toBe(true);
  });

  it('deduplicates a webhook event (seq -1) by id alone, whatever order they come in', () => {
    const { pipeline, dispatched, deliver } = recording();
    expect(deliver(-1, 'w1')).toBe(true);
    expect(deliver(-1, 'w2')).toBe(true);
    expect(deliver(-1, 'w1')).toBe(false);
    expect(dispatched.map((e) => [e.seq, e.id])).toEqual([
      [-1, 'w1'],
      [-1, 'w2'],
    ]);
    expect(pipeline.duplicatesDropped).toBe(1);
    expect(pipeline.seq).toBe(0);
  });

  it('reports an event its transport refused as QQBOT_INVALID_EVENT, does not dispatch it, yet acknowledges it', () => {
    const { pipeline, dispatched, refused, acked } = recording();
    const frame = JSON.stringify({ op: 0, s: 1, t: 'GROUP_AT_MESSAGE_CREATE', d: { content: 7 } });
    expect(pipeline.deliver(1, 'GROUP_AT_MESSAGE_CREATE', 'bad', frame, { path: 'content', expected: 'text' })).toBe(
      true,
    );
    expect(dispatched).toEqual([]);
    expect(refused.map((e) => [e.code, e.retryable])).toEqual([['QQBOT_INVALID_EVENT', false]]);
    expect(refused[0]?.details).toMatchObject({
      type: 'GROUP_AT_MESSAGE_CREATE',
      field: 'data.content',
      seq: 1,
      id: 'bad',
    });
    expect(acked).toEqual([{ seq: 1, id: 'bad' }]);
    expect(pipeline.seq).toBe(1);
    expect(pipeline.delivered).toBe(0);
  });

  it('restore(seq, ids): drops stored ids and older seqs, flags events redelivered until resumedAt()', () => {
    const { pipeline, dispatched, deliver } = recording();
    pipeline.restore(10, ['old-1', 'old-2'], undefined, 0);
    expect(pipeline.seq).toBe(10);
    expect(deliver(10, 'x')).toBe(false);
    expect(deliver(11, 'old-2')).toBe(false);
    expect(deliver(12, 'r1')).toBe(true);
    pipeline.resumedAt(12);
    expect(deliver(13, 'n1')).toBe(true);
    expect(dispatched.map((e) => [e.seq, e.redelivered])).toEqual([
      [12, true],
      [13, undefined],
    ]);
    expect(pipeline.duplicatesDropped).toBe(2);
  });

  it('restore() with deliveredSeq flags only what the owner before may have delivered: up to it, then `unrecorded` more', () => {
    const { pipeline, dispatched, deliver } = recording();
    pipeline.restore(10, [], 14, 2);
    for (let seq = 11; seq <= 20; seq++) deliver(seq, `e${seq}`);
    // 11–14 were delivered before; 15 and 16 may have been (after its last checkpoint); 17 on never were.
    expect(dispatched.filter((e) => e.redelivered === true).map((e) => e.seq)).toEqual([11, 12, 13, 14, 15, 16]);
    pipeline.resumedAt(20);
    expect(deliver(21, 'live')).toBe(true);
    expect(dispatched.at(-1)?.redelivered).toBeUndefined();
  });

  it('resumedAt() moves the delivered seq forward, never back', () => {
    const { pipeline } = recording();
    pipeline.restore(10, [], undefined, 0);
    pipeline.resumedAt(15);
    expect(pipeline.seq).toBe(15);
    pipeline.resumedAt(3);
    expect(pipeline.seq).toBe(15);
  });

  it('newSession() after restore() ends the redelivery flag and starts from its seq', () => {
    const { pipeline, dispatched, deliver } = recording();
    pipeline.restore(10, ['old'], undefined, 0);
    pipeline.newSession(0);
    expect(pipeline.seq).toBe(0);
    expect(deliver(1, 'n1')).toBe(true);
    expect(dispatched.map((e) => [e.seq, e.redelivered])).toEqual([[1, undefined]]);
  });
});
