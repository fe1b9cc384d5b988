import { ErrorCodes, QQBotError } from '../errors.js';
import { defaultsOf, integer, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import type { SessionCheckpoint, SessionStore } from './session-store.js';

/** When checkpoints of the acknowledged seq are written to the store. */
export const CHECKPOINT = {
  /**
   * Write a checkpoint once this many events were acknowledged since the last one. With `intervalMs`, it
   * bounds what a crash of the process can make a restarted one deliver again (flagged `redelivered`).
   * @defaultValue `100`
   */
  batchSize: integer({ default: 100, min: 1 }),
  /**
   * Write a checkpoint at the latest this long after the first event not yet in one was acknowledged.
   * @defaultValue `1_000`
   */
  intervalMs: integer({ default: 1_000, min: 1, max: 3_600_000 }),
};

export type CheckpointOptions = OptionsOf<typeof CHECKPOINT>;
export type ResolvedCheckpoint = ResolvedOf<typeof CHECKPOINT>;
export const DEFAULT_CHECKPOINT: Readonly<ResolvedCheckpoint> = Object.freeze(defaultsOf(CHECKPOINT));

/** A failed write is tried again after `intervalMs`, doubling up to this. */
const MAX_RETRY_MS = 30_000;

/** One delivered event whose listeners have not all settled yet. */
interface Pending {
  readonly seq: number;
  readonly id: string | undefined;
  done: boolean;
}

/**
 * Writes one shard's checkpoints: session id, gateway URL, the **acknowledged** seq (every event up to it was
 * handed to the host's `'dispatch'` listeners and the promises they returned settled) and the ids of recently
 * acknowledged events. Listeners may settle out of order; the acknowledged seq only moves over an unbroken run
 * of settled events, so a restart never skips an event still being handled.
 *
 * The event path never waits on the store: `delivered()` is O(1) and writes go out in the background, at most
 * one at a time, after `batchSize` acknowledgements or `intervalMs`, whichever comes first. A write that
 * fails is reported (`QQBOT_STORE_UNAVAILABLE`, retryable) and tried again with backoff; later ones simply
 * carry the newest state, so the store catches up as soon as it answers.
 */
export class ShardCheckpointer {
  readonly shard: number;
  readonly #store: SessionStore;
  readonly #options: ResolvedCheckpoint;
  readonly #maxIds: number;
  readonly #onError: (error: QQBotError) => void;
  #sessionId: string | null = null;
  #gatewayUrl: string | null = null;
  #seq = 0;
  /** The highest seq handed to the listeners (or restored from the store): what a successor may see again. */
  #deliveredSeq = 0;
  /** Deliveries since the last write started: at half a batch, the delivered high-water mark is written. */
  #deliveredSinceWrite = 0;
  /**
   * Acknowledged ids, oldest first; trimmed to `maxIds` when it grows to twice that (amortised O(1)). Not the
   * delivery pipeline's dedupe window: that one also holds events still in flight, and a checkpoint naming one of
   * those would make a successor drop its replay as a duplicate, losing it.
   */
  #ids: string[] = [];
  readonly #pending: Pending[] = [];
  #pendingHead = 0;
  /** Acknowledgements not yet in a successful write. */
  #unwritten = 0;
  /** The store's copy differs from ours (a new session, a forget, or a failed write). */
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #failures = 0;
  #closed = false;
  /** close() is writing the last checkpoint of this process: nothing is delivered after it. */
  #handedOver = false;

  constructor(
    shard: number,
    store: SessionStore,
    options: ResolvedCheckpoint,
    maxIds: number,
    onError: (error: QQBotError) => void,
  ) {
    this.shard = shard;
    this.#store = store;
    this.#options = options;
    this.#maxIds = maxIds;
    this.#onError = onError;
  }

  /** The seq up to which every event was acknowledged (what the next checkpoint stores). */
  get acknowledgedSeq(): number {
    return this.#seq;
  }

  /**
   * How many events this process may deliver past the `deliveredSeq` of its last successful write: a write goes
   * out every half batch of deliveries, and the one in flight when the process dies covers the other half.
   * A successor flags that many events beyond the stored `deliveredSeq` as `redelivered`.
   */
  get unrecordedBound(): number {
    return this.#options.batchSize;
  }

  /** Writes in a row that failed (0 once the store answers again). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * The shard has a session: READY (a new one, from `seq`), a checkpoint loaded from the store, or RESUMED.
   * A new session id is written at once, so a crash right after READY resumes it instead of identifying.
   */
  session(
    sessionId: string,
    gatewayUrl: string | null,
    seq: number,
    recentIds: readonly string[] = [],
    deliveredSeq = seq,
  ): void {
    const changed = sessionId !== this.#sessionId;
    this.#sessionId = sessionId;
    this.#gatewayUrl = gatewayUrl;
    if (changed) {
      this.#pending.length = 0;
      this.#pendingHead = 0;
      this.#seq = Math.max(seq, 0);
      // Restored: what the process before delivered stays "may have been delivered" until this one passes it.
      this.#deliveredSeq = Math.max(deliveredSeq, this.#seq);
      this.#deliveredSinceWrite = 0;
      this.#ids = recentIds.slice(-this.#maxIds);
      this.#dirty = true;
      this.#writeNow();
    }
  }

  /**
   * One event handed to the listeners, in delivery order; `settled` is the promise of the listeners that
   * returned one (absent when all returned synchronously). `seq` -1: the event had none.
   */
  delivered(seq: number, id: string | undefined, settled?: Promise<unknown>): void {
    if (seq > this.#deliveredSeq) this.#deliveredSeq = seq;
    if (++this.#deliveredSinceWrite >= this.#halfBatch() && this.#sessionId !== null) this.#writeNow();
    if (settled === undefined && this.#pendingHead === this.#pending.length) {
      this.#acknowledge(seq, id);
      return;
    }
    const entry: Pending = { seq, id, done: settled === undefined };
    this.#pending.push(entry);
    if (settled === undefined) return this.#drain();
    const done = (): void => {
      entry.done = true;
      this.#drain();
    };
    settled.then(done, done);
  }

  /** The session is over (a new one must be identified): the stored one is cleared. */
  forget(): void {
    this.#sessionId = null;
    this.#pending.length = 0;
    this.#pendingHead = 0;
    this.#seq = 0;
    this.#deliveredSeq = 0;
    this.#ids = [];
    this.#dirty = true;
    this.#writeNow();
  }

  /** Writes what is acknowledged now (if anything is unwritten) and waits for it. Rejects if that write fails. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (!this.#dirty && this.#unwritten === 0) return;
    this.#clearTimer();
    await this.#write(true);
  }

  /**
   * Final flush (errors reported, not thrown); no timer survives it. `handOver`: this process still holds the
   * session and delivers nothing more; the last checkpoint says so (`handedOver`), so a successor flags only what
   * was really delivered.
   */
  async close(handOver = false): Promise<void> {
    if (this.#closed) return;
    if (handOver && this.#sessionId !== null) {
      this.#handedOver = true;
      this.#dirty = true;
    }
    await this.flush().catch(() => undefined);
    this.#closed = true;
    this.#clearTimer();
  }

  #drain(): void {
    const pending = this.#pending;
    while (this.#pendingHead < pending.length && (pending[this.#pendingHead] as Pending).done) {
      const entry = pending[this.#pendingHead] as Pending;
      this.#pendingHead += 1;
      this.#acknowledge(entry.seq, entry.id);
    }
    if (this.#pendingHead === pending.length) {
      pending.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead > 1024) {
      pending.splice(0, this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  #acknowledge(seq: number, id: string | undefined): void {
    if (this.#sessionId === null) return;
    if (seq > this.#seq) this.#seq = seq;
    if (id !== undefined) {
      this.#ids.push(id);
      if (this.#ids.length >= 2 * this.#maxIds) this.#ids = this.#ids.slice(-this.#maxIds);
    }
    this.#unwritten += 1;
    if (this.#unwritten >= this.#options.batchSize) this.#writeNow();
    else this.#timer ??= this.#arm(this.#options.intervalMs);
  }

  #halfBatch(): number {
    return Math.ceil(this.#options.batchSize / 2);
  }

  #arm(ms: number): NodeJS.Timeout | undefined {
    if (this.#closed) return undefined;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writeNow();
    }, ms);
    // A pending checkpoint never keeps the host process alive; close() flushes it.
    timer.unref();
    return timer;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Starts a write unless one is in flight (that one's end starts the next). */
  #writeNow(): void {
    if (this.#writing !== undefined || this.#closed) return;
    this.#clearTimer();
    void this.#write(false).catch(() => undefined);
  }

  #write(rethrow: boolean): Promise<void> {
    const checkpoint: SessionCheckpoint | null =
      this.#sessionId === null
        ? null
        : {
            sessionId: this.#sessionId,
            seq: this.#seq,
            gatewayUrl: this.#gatewayUrl,
            recentIds: this.#ids.slice(-this.#maxIds),
            deliveredSeq: Math.max(this.#deliveredSeq, this.#seq),
            ...(this.#handedOver ? { handedOver: true } : {}),
          };
    const written = this.#unwritten;
    const deliveredSince = this.#deliveredSinceWrite;
    this.#unwritten = 0;
    this.#deliveredSinceWrite = 0;
    this.#dirty = false;
    const op = checkpoint === null ? this.#store.clear(this.shard) : this.#store.save(this.shard, checkpoint);
    const writing = op.then(
      () => {
        this.#failures = 0;
        this.#writing = undefined;
        // What arrived meanwhile goes out by the same rules.
        if (this.#dirty || this.#unwritten >= this.#options.batchSize || this.#deliveredSinceWrite >= this.#halfBatch())
          this.#writeNow();
        else if (this.#unwritten > 0) this.#timer ??= this.#arm(this.#options.intervalMs);
      },
      (err: unknown) => {
        this.#failures += 1;
        this.#writing = undefined;
        this.#unwritten += written;
        this.#deliveredSinceWrite += deliveredSince;
        this.#dirty = true;
        this.#onError(failed(this.shard, err, this.#failures));
        this.#clearTimer();
        this.#timer = this.#arm(Math.min(this.#options.intervalMs * 2 ** (this.#failures - 1), MAX_RETRY_MS));
        if (rethrow) throw err;
      },
    );
    this.#writing = writing;
    return writing;
  }
}

function failed(shard: number, cause: unknown, failures: number): QQBotError {
  if (cause instanceof QQBotError && cause.code === ErrorCodes.STORE_UNAVAILABLE) {
    return new QQBotError(
      ErrorCodes.STORE_UNAVAILABLE,
      `shard ${shard}: a checkpoint could not be written; it is kept and written when the store answers`,
      {
        retryable: true,
        cause,
        details: { ...cause.details, shard, failures },
      },
    );
  }
  if (cause instanceof QQBotError) return cause;
  return new QQBotError(
    ErrorCodes.STORE_UNAVAILABLE,
    `shard ${shard}: a checkpoint could not be written; it is kept and written when the store answers`,
    {
      retryable: true,
      cause,
      details: { shard, failures },
    },
  );
}
