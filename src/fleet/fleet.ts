import type { FleetIdentifyGate } from './identify-gate.js';
import type { ShardLeases } from './leases.js';
import type { ShardCountAgreement } from './shard-count.js';

/**
 * What the processes sharing one store agree on, apart from the sessions the store keeps: who runs which shard,
 * when IDENTIFYs may go out, and how many shards there are. A durable store brings its own (`SessionStore.fleet`):
 * Redis spans hosts (leases, gate and count in Redis), the file store one host (its lock; the process's own gate
 * and count suffice, since one process holds every shard). Without a fleet, one process: an in-memory gate.
 */
export interface Fleet {
  /** Ownership: a process runs a shard only while it holds the shard's lease. */
  readonly leases: ShardLeases;
  /**
   * Spaces IDENTIFYs across every process (`max_concurrency` per 5 s), like `IdentifyGate` within one. Absent when
   * one process holds every shard at once (the file store): the process's own gate is enough.
   */
  readonly identifyGate?: FleetIdentifyGate | undefined;
  /** `shards: 'auto'`: the count every process runs. Absent: this process's recommendation. */
  readonly shardCount?: ShardCountAgreement | undefined;
}
