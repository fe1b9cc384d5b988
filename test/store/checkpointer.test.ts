import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { RedisSessionStore } from '../../src/redis/index.js';
import { CHECKPOINT, DEFAULT_CHECKPOINT, ShardCheckpointer } from '../../src/store/checkpointer.js';
import { resolve } from '../../src/options/schema.js';
import { MemorySessionStore, type SessionCheckpoint } from '../../src/store/session-store.js';
import { PrivateRedis } from './redis-helpers.js';

/** A memory store that records every write and can be made to fail. */
class RecordingStore extends MemorySessionStore {
  readonly writes: (SessionCheckpoint | 'clear')[] = [];
  failing = false;
  #waiters: (() => void)[] = [];

  override async save(shard: number, checkpoint: SessionCheckpoint): Promise<void> {
    await Promise.resolve();
    if (this.failing) throw new QQBotError(ErrorCodes.STORE_UNAVAILABLE, 'down', { retryable: true });
    this.writes.push({ ...checkpoint, recentIds: [...checkpoint.recentIds] });
    await super.save(shard, checkpoint);
    this.#waiters.splice(0).forEach((w) => w());
  }

  override async clear(shard: number): Promise<void> {
    this.writes.push('clear');
    await super.clear(shard);
    this.#waiters.splice(0).forEach((w) => w());
  }

  /** Resolves at the next successful write. */
  nextWrite(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get saves(): SessionCheckpoint[] {
    return this.writes.filter((w): w is SessionCheckpoint => w !== 'clear');
  }
}

const errors: QQBotError[] = [];
const checkpointers: ShardCheckpointer[] = [];

function make(store: RecordingStore | RedisSessionStore, options = {}, maxIds = 8): ShardCheckpointer {
  const checkpointer = new ShardCheckpointer(0, store, { ...DEFAULT_CHECKPOINT, ...options }, maxIds, (e) =>
    errors.push(e),
  );
  checkpointers.push(checkpointer);
  return checkpointer;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(checkpointers.splice(0).map((c) => c.close()));
  errors.length = 0;
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ShardCheckpointer', () => {
  it('writes a new session at once, then a checkpoint every half batch of deliveries, with the delivered high-water mark', async () => {
    const store = new RecordingStore();
    const c = make(store, { batchSize: 4, intervalMs: 60_000 });
    const first = store.nextWrite();
    c.session('s1', 'ws://gw', 0);
    await first;
    expect(store.saves).toEqual([{ sessionId: 's1', seq: 0, gatewayUrl: 'ws://gw', recentIds: [], deliveredSeq: 0 }]);
    c.delivered(1, 'a');
    expect(store.saves).toHaveLength(1);
    const batch = store.nextWrite();
    c.delivered(2, 'b');
    await batch;
    expect(store.saves.at(-1)).toEqual({
      sessionId: 's1',
      seq: 2,
      gatewayUrl: 'ws://gw',
      recentIds: ['a', 'b'],
      deliveredSeq: 2,
    });
    expect(c.unrecordedBound).toBe(4);
  });

  it('deliveredSeq runs ahead of the acknowledged seq while listeners are pending, and is written as it does', async () => {
    const store = new RecordingStore();
    const c = make(store, { batchSize: 4, intervalMs: 60_000 });
    c.session('s1', null, 10, [], 12);
    await c.flush();
    // Restored from a checkpoint whose owner had delivered up to 12: kept until this process passes it.
    expect(store.saves.at(-1)).toMatchObject({ seq: 10, deliveredSeq: 12 });
    const slow = deferred();
    const written = store.nextWrite();
    c.delivered(11, 'a', slow.promise);
    c.delivered(12, 'b');
    await written;
    expect(store.saves.at(-1)).toMatchObject({ seq: 10, deliveredSeq: 12 });
    const next = store.nextWrite();
    c.delivered(13, 'c');
    c.delivered(14, 'd');
    await next;
    expect(store.saves.at(-1)).toMatchObject({ seq: 10, deliveredSeq: 14 });
    slow.resolve();
    await slow.promise;
    await c.flush();
    expect(store.saves.at(-1)).toMatchObject({ seq: 14, deliveredSeq: 14 });
  });

  it('writes a partial batch after intervalMs (fake clock)', async () => {
    vi.useFakeTimers();
    const store = new RecordingStore();
    const c = make(store, { batchSize: 100, intervalMs: 500 });
    c.session('s1', null, 10);
    await vi.advanceTimersByTimeAsync(0);
    c.delivered(11, 'x');
    await vi.advanceTimersByTimeAsync(499);
    expect(store.saves.map((s) => s.seq)).toEqual([10]);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.saves.map((s) => s.seq)).toEqual([10, 11]);
    // Nothing new: no more writes however long we wait.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.saves).toHaveLength(2);
  });

  it('the acknowledged seq moves only over an unbroken run of settled listeners', async () => {
    const store = new RecordingStore();
    const c = make(store, { batchSize: 1 });
    c.session('s1', null, 0);
    const slow = deferred();
    c.delivered(1, 'a');
    c.delivered(2, 'b', slow.promise);
    c.delivered(3, 'c');
    c.delivered(4, 'd', Promise.resolve());
    await c.flush();
    expect(c.acknowledgedSeq).toBe(1);
    expect(store.saves.at(-1)).toMatchObject({ seq: 1, recentIds: ['a'] });
    slow.resolve();
    await slow.promise;
    await c.flush();
    expect(c.acknowledgedSeq).toBe(4);
    expect(store.saves.at(-1)).toMatchObject({ seq: 4, recentIds: ['a', 'b', 'c', 'd'] });
  });

  it('a listener promise that rejects still acknowledges (the failure was reported as LISTENER_THREW)', async () => {
    const store = new RecordingStore();
    const c = make(store, { batchSize: 1 });
    c.session('s1', null, 0);
    const rejected = Promise.reject(new Error('listener failed'));
    c.delivered(1, 'a', rejected);
    await rejected.catch(() => undefined);
    await c.flush();
    expect(c.acknowledgedSeq).toBe(1);
  });

  it('keeps the newest maxIds acknowledged ids; events without seq add their id only', async () => {
    const store = new RecordingStore();
    const c = make(store, { batchSize: 1_000 }, 3);
    c.session('s1', null, 0, ['old1', 'old2', 'old3', 'old4']);
    for (let i = 1; i <= 5; i++) c.delivered(i, `e${i}`);
    c.delivered(-1, 'webhook-1');
    await c.flush();
    expect(store.saves.at(-1)).toMatchObject({ seq: 5, recentIds: ['e4', 'e5', 'webhook-1'] });
  });

  it('a store that fails: QQBOT_STORE_UNAVAILABLE (retryable) on "error", the checkpoint waits and catches up', async () => {
    vi.useFakeTimers();
    const store = new RecordingStore();
    const c = make(store, { batchSize: 2, intervalMs: 100 });
    c.session('s1', null, 0);
    await vi.advanceTimersByTimeAsync(0);
    store.failing = true;
    for (let i = 1; i <= 10; i++) c.delivered(i, `e${i}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ code: ErrorCodes.STORE_UNAVAILABLE, retryable: true });
    expect(errors[0]?.details.shard).toBe(0);
    // Retries back off: 100, 200, 400 ms … so a long outage does not flood 'error'.
    await vi.advanceTimersByTimeAsync(700);
    expect(errors.length).toBeLessThanOrEqual(4);
    store.failing = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.saves.at(-1)).toMatchObject({ seq: 10 });
    expect(c.failures).toBe(0);
  });

  it('forget() clears the stored session; a new session written meanwhile simply replaces it', async () => {
    const store = new RecordingStore();
    const c = make(store);
    c.session('s1', null, 0);
    c.delivered(1, 'a');
    await c.flush();
    c.forget();
    await c.flush();
    expect(store.writes.at(-1)).toBe('clear');
    expect(await store.load(0)).toBeNull();
    c.session('s2', 'ws://gw2', 0);
    c.forget();
    c.session('s3', 'ws://gw3', 7);
    await c.flush();
    expect(await store.load(0)).toEqual({
      sessionId: 's3',
      seq: 7,
      gatewayUrl: 'ws://gw3',
      recentIds: [],
      deliveredSeq: 7,
    });
  });

  it('close(true), the hand-over: the last checkpoint is written even with nothing new, marked handedOver', async () => {
    const store = new RecordingStore();
    const c = make(store);
    c.session('s1', null, 0);
    c.delivered(1, 'a');
    await c.flush();
    const writes = store.saves.length;
    await c.close(true);
    expect(store.saves).toHaveLength(writes + 1);
    expect(store.saves.at(-1)).toMatchObject({ seq: 1, deliveredSeq: 1, handedOver: true });
  });

  it('close() flushes what is acknowledged and leaves no timer', async () => {
    const store = new RecordingStore();
    const c = make(store, { batchSize: 1_000, intervalMs: 3_600_000 });
    c.session('s1', null, 0);
    c.delivered(1, 'a');
    await c.close();
    expect((await store.load(0))?.seq).toBe(1);
    c.delivered(2, 'b');
    expect(store.saves.at(-1)?.seq).toBe(1);
  });

  it('against a real Redis that goes away and comes back: the session goes on, the checkpoint catches up', async () => {
    const redis = await PrivateRedis.start();
    const store = new RedisSessionStore({ url: redis.url, prefix: 'ckpt:', commandTimeoutMs: 300, lease: false });
    try {
      const c = make(store, { batchSize: 5, intervalMs: 50 });
      c.session('s1', null, 0);
      await c.flush();
      await redis.down();
      for (let i = 1; i <= 20; i++) c.delivered(i, `e${i}`);
      await expect(c.flush()).rejects.toMatchObject({ code: ErrorCodes.STORE_UNAVAILABLE });
      expect(errors.some((e) => e.code === ErrorCodes.STORE_UNAVAILABLE && e.retryable)).toBe(true);
      await redis.up();
      for (let i = 21; i <= 25; i++) c.delivered(i, `e${i}`);
      // The retry timer writes the newest state once Redis answers (backoff ≤ 50·2ⁿ ms; client reconnect ≤ 2 s).
      await vi.waitFor(async () => expect((await store.load(0))?.seq).toBe(25), { timeout: 15_000, interval: 100 });
    } finally {
      await store.close();
      await redis.down();
    }
  });

  it('options: defaults, and unknown or bad keys refused with QQBOT_INVALID_OPTION', () => {
    expect(resolve(CHECKPOINT, undefined, 'checkpoint')).toEqual({ batchSize: 100, intervalMs: 1_000 });
    expect(() => resolve(CHECKPOINT, { batch: 5 }, 'checkpoint')).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    expect(() => resolve(CHECKPOINT, { batchSize: 0 }, 'checkpoint')).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    expect(() => resolve(CHECKPOINT, { intervalMs: 1.5 }, 'checkpoint')).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
  });
});
