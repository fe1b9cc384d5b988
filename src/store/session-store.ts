import type { QQBotError } from '../errors.js';
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
   * Ownership, when several processes may share the store (the file and Redis stores have it by default): a
   * process runs a shard only while it holds the shard's lease, and the store refuses checkpoint writes from a
   * process that does not. Absent: nothing keeps two processes from running one session.
   */
  readonly leases?: ShardLeases;
  /**
   * Present when several processes share the store and may receive copies of one webhook callback: the
   * connector claims each callback here before delivering it, so one process of the fleet delivers it and the
   * others acknowledge their copies. Without it, each process remembers its own (docs/webhook.md).
   */
  readonly claims?: DeliveryClaims;
  /** Present when processes share passive-reply state: the connector's `replies.store` unless one is given. */
  readonly replies?: ReplyStore;
}

/** What a process waiting for a lease is for the shard: `'standby'` (another process runs it) or `'idle'` (nobody is known to). */
export type LeaseWait = 'standby' | 'idle';

/** Who runs which shard, when several processes share one store (`RedisSessionStore`, `FileSessionStore`). */
export interface ShardLeases {
  /**
   * Resolves once this process holds `shard`'s lease; `undefined` if `signal` aborts first. While it waits, each
   * try that changes the answer calls `onWaiting` (the wait starts `'idle'`): `'standby'` when another process
   * holds the lease, `'idle'` when nobody is known to (the lease is free but this process is at `maxShards`, or
   * the store does not answer). `onError`: a failure to try at all (the file store cannot create its lock), once per
   * new cause, for the host's `'error'` listeners.
   */
  acquire(shard: number, signal: AbortSignal, onWaiting?: (kind: LeaseWait) => void, onError?: (error: QQBotError) => void): Promise<ShardLease | undefined>;
  /** The most shards this process holds at once (`lease.maxShards`; `Number.MAX_SAFE_INTEGER` without a limit). */
  readonly maxShards: number;
  /**
   * Spaces IDENTIFYs across every process sharing the store (`max_concurrency` per 5 s), like `IdentifyGate` within
   * one. Absent when one process holds every shard at once (the file store): the process's own gate is enough.
   */
  readonly identifyGate?: FleetIdentifyGate;
  /**
   * `shards: 'auto'`: the fleet's count. The first process's `recommended` is stored for good; every later
   * process gets the stored count back, whatever it was recommended, so all IDENTIFY with the same `[i, N]`.
   */
  shardCount(recommended: number): Promise<FleetShardCount>;
}

/** The count every process of a fleet runs, and where it is kept (a process changing it must be told how). */
export interface FleetShardCount {
  readonly shards: number;
  /** The store's key that holds it. */
  readonly key: string;
}

/** A granted IDENTIFY. Its window runs from the grant until {@link IdentifySlot.sent} moves it to the send. */
export interface IdentifySlot {
  /**
   * No session-start budget was known: this grant is the probe, the only IDENTIFY until an answer of
   * `/gateway/bot` sets the budget, so its attempt must read `/gateway/bot` (never a cached URL) before it identifies.
   */
  readonly probe: boolean;
  /** The Identify frame went out now: the platform counts from here, so the window does too. */
  sent(): void;
}

/**
 * What spaces IDENTIFYs: `IdentifyGate` within one process, `RedisIdentifyGate` across a fleet. Two limits, both
 * from `/gateway/bot`: `max_concurrency` per 5 s, and the session-start budget (`remaining` until `reset_after`),
 * which every grant spends and RESUMEs never touch.
 */
export interface FleetIdentifyGate {
  /**
   * Resolves with a slot when an IDENTIFY may start, `undefined` if `signal` aborted first. `probeMs`: how long a
   * probe granted here holds the others back (`budgetProbeMs` of this process's `timeouts.httpMs`).
   */
  acquire(signal: AbortSignal, probeMs: number): Promise<IdentifySlot | undefined>;
  set maxConcurrency(value: number);
  /**
   * A `/gateway/bot` answer (anyone's): the budget becomes `remaining` less the grants of the last 5 s the platform
   * may not have counted yet, until `resetAfterMs` from now. `remaining` undefined (no `session_start_limit`) ends
   * a probe without setting a budget.
   */
  budget(remaining: number | undefined, resetAfterMs: number | undefined): Promise<void>;
}

/** This process's hold on one shard. */
export interface ShardLease {
  readonly shard: number;
  /** The fencing token: unique and growing per shard; every checkpoint write is checked against it. */
  readonly token: string;
  /** Aborts (reason: a `QQBOT_LEASE_LOST` error) when the lease is lost or could not be renewed in time: stop the shard at once. */
  readonly lost: AbortSignal;
  /** True while the lease is surely still ours: cheap, for the event path (a process resumed after a pause delivers nothing). */
  held(): boolean;
  /** Gives the lease up (a standby may take it at once) and stops renewing it. */
  release(): Promise<void>;
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
