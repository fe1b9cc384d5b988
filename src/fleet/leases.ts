import type { QQBotError } from '../errors.js';

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
  acquire(
    shard: number,
    signal: AbortSignal,
    onWaiting?: (kind: LeaseWait) => void,
    onError?: (error: QQBotError) => void,
  ): Promise<ShardLease | undefined>;
  /** The most shards this process holds at once (`lease.maxShards`; `Number.MAX_SAFE_INTEGER` without a limit). */
  readonly maxShards: number;
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
