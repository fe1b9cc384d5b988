import type { Fleet } from '../fleet/fleet.js';
import type { ReplyStore } from '../replies/passive-reply.js';
import type { DeliveryClaims } from './delivery-claims.js';

/**
 * What a store keeps of one shard's session: enough for another attempt — or another process — to RESUME it
 * and to drop what was already delivered.
 */
export interface SessionCheckpoint {
  sessionId: string;
  /** The last seq the host acknowledged (its `'dispatch'` listeners returned, and promises they returned settled). */
  seq: number;
  /** The gateway URL the session was opened on, or `null` to fetch `/gateway/bot` again. */
  gatewayUrl: string | null;
  /** Recent event ids, oldest first: the dedupe window, so a restarted process does not deliver them again. */
  recentIds: readonly string[];
  /**
   * The highest seq handed to the host's listeners when this checkpoint was written (≥ `seq`). A successor flags
   * `redelivered` only the replayed events up to it, and at most one checkpoint batch beyond (what was delivered
   * after the last write). Absent (a checkpoint written before it existed): every replayed event is flagged.
   */
  deliveredSeq?: number | undefined;
  /**
   * Written by `close()`: nothing was delivered after this checkpoint, so `deliveredSeq` is exact and a successor
   * flags nothing beyond it.
   */
  handedOver?: boolean | undefined;
}

/**
 * Where sessions live between attempts and processes (docs/design-notes.md, "Delivery guarantees"). The supervisor keeps
 * the live session on the main thread and writes checkpoints here; it never waits on the store in the event
 * path. Implementations: {@link MemorySessionStore} (the default), the file store, and `qqbot-connector/redis`.
 */
export interface SessionStore {
  /** The stored checkpoint of `shard`, or `null` when there is none. */
  load(shard: number): Promise<SessionCheckpoint | null>;
  /** Replaces the checkpoint of `shard`. */
  save(shard: number, checkpoint: SessionCheckpoint): Promise<void>;
  /** The session of `shard` is over (a new one must be identified). */
  clear(shard: number): Promise<void>;
  /** Releases connections and files; the connector calls it from `close()`. */
  close(): Promise<void>;
  /**
   * The coordination of the processes that share this store (the file and Redis stores bring theirs by default):
   * ownership (a process runs a shard only while it holds the shard's lease, and the store refuses checkpoint
   * writes from a process that does not), and, where the store spans hosts, the IDENTIFY gate and the shard count.
   * Absent: one process, and nothing keeps two processes from running one session.
   */
  readonly fleet?: Fleet;
  /**
   * Present when several processes share the store and may receive copies of one webhook callback: the
   * connector claims each callback here before delivering it, so one process of the fleet delivers it and the
   * others acknowledge their copies. Without it, each process remembers its own (docs/webhook.md).
   */
  readonly claims?: DeliveryClaims;
  /** Present when processes share passive-reply state: the connector's `replies.store` unless one is given. */
  readonly replies?: ReplyStore;
}

/** The default store: the session lives as long as the process. */
export class MemorySessionStore implements SessionStore {
  readonly #checkpoints = new Map<number, SessionCheckpoint>();

  load(shard: number): Promise<SessionCheckpoint | null> {
    const stored = this.#checkpoints.get(shard);
    return Promise.resolve(stored === undefined ? null : { ...stored, recentIds: [...stored.recentIds] });
  }

  save(shard: number, checkpoint: SessionCheckpoint): Promise<void> {
    this.#checkpoints.set(shard, { ...checkpoint, recentIds: [...checkpoint.recentIds] });
    return Promise.resolve();
  }

  clear(shard: number): Promise<void> {
    this.#checkpoints.delete(shard);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
