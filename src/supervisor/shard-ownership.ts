import type { QQBotError } from '../errors.js';
import type { LeaseWait, ShardLease, ShardLeases } from '../fleet/leases.js';
import type { ShardContext } from './shard-context.js';

/**
 * Whether this process may run a shard: always without a fleet; with leases (several processes sharing a
 * store), while it holds the shard's lease. A transport without a session has nothing to own: every replica listens.
 */
export class ShardOwnership {
  readonly #shard: number;
  readonly #leases: ShardLeases | undefined;
  readonly #report: (error: QQBotError) => void;
  /** This process's hold on the shard, once taken. */
  #lease: ShardLease | undefined;

  constructor(shard: number, ctx: ShardContext) {
    this.#shard = shard;
    this.#leases = ctx.transport.hasSession ? ctx.store.fleet?.leases : undefined;
    this.#report = (error) => ctx.sink.error(error);
  }

  /** The shard runs under leases: it stops when the lease is lost, and waits for it again. */
  get leased(): boolean {
    return this.#leases !== undefined;
  }

  /**
   * Waits for the shard's lease (`waiting` hears what Redis says meanwhile); false when `signal` ended the wait.
   * `lost` is called once if the lease is lost later. True at once without leases.
   */
  async take(
    signal: AbortSignal,
    waiting: (kind: LeaseWait) => void,
    lost: (error: QQBotError) => void,
  ): Promise<boolean> {
    if (this.#leases === undefined) return true;
    const lease = await this.#leases.acquire(this.#shard, signal, waiting, this.#report);
    if (lease === undefined) return false;
    this.#lease = lease;
    lease.lost.addEventListener('abort', () => lost(lease.lost.reason as QQBotError), { once: true });
    return true;
  }

  /** Aborts when the lease is lost; `undefined` without one. */
  get lost(): AbortSignal | undefined {
    return this.#lease?.lost;
  }

  /** The lease was taken and then lost: never connect without it. */
  get gone(): boolean {
    return this.#lease?.lost.aborted === true;
  }

  /** Events may be delivered: no lease, or one still held (a process that woke from a pause past it must not). */
  get delivering(): boolean {
    return this.#lease === undefined || this.#lease.held();
  }

  /** Only a holder writes the last checkpoint or clears the session (a standby's writes would be fenced off). */
  get holder(): boolean {
    return this.#leases === undefined || this.#lease?.held() === true;
  }

  async release(): Promise<void> {
    await this.#lease?.release();
  }
}
