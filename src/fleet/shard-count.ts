/** The count every process of a fleet runs, and where it is kept (a process changing it must be told how). */
export interface FleetShardCount {
  readonly shards: number;
  /** The store's key that holds it. */
  readonly key: string;
}

/**
 * `shards: 'auto'` across a fleet: leases and checkpoints are keyed by shard index, so every process must IDENTIFY
 * with the same count. Absent when one process runs every shard (the file store): its own recommendation is the count.
 */
export interface ShardCountAgreement {
  /** The first process's `recommended` is stored for good; every later process gets the stored count back, whatever it was recommended. */
  agree(recommended: number): Promise<FleetShardCount>;
}
