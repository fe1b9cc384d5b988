/**
 * Who delivers a webhook callback, when several copies of it may arrive: the platform redelivers a callback
 * that was slow or not answered 200 (same event id), a load balancer may send each copy to another process,
 * and anyone who captured a request can send it again while its timestamp is fresh. Each copy claims the
 * callback's key before it is delivered; one claim wins, the others learn that it was (or is being) delivered.
 */

/**
 * - `'claimed'`: this caller delivers it, then calls {@link DeliveryClaims.delivered} (or
 *   {@link DeliveryClaims.release} when it could not);
 * - `'delivered'`: it was delivered already: acknowledge the copy, deliver nothing;
 * - `'pending'`: another caller holds the claim and has not said yet; its claim lapses after `claimMs`.
 */
export type ClaimState = 'claimed' | 'delivered' | 'pending';

/** The fleet-wide record of delivered callbacks (`RedisSessionStore.claims`), or this process's own. */
export interface DeliveryClaims {
  /** Claims `key` for `claimMs` (a caller that dies holding it loses it then) unless it is delivered or claimed. */
  claim(key: string, claimMs: number): Promise<ClaimState>;
  /** `key` was delivered: copies are acknowledged, never delivered, until `expiresAt` (epoch ms). */
  delivered(key: string, expiresAt: number): Promise<void>;
  /** The claimer could not deliver `key`: the next copy may claim it at once. */
  release(key: string): Promise<void>;
}

interface Record {
  delivered: boolean;
  /** Epoch ms when it lapses: the claim's end, or the end of the timestamp window for a delivered key. */
  until: number;
}

/**
 * The claims of one process, kept as long as each says (a delivered key until the callback's timestamp window
 * closes: what a replay could use), never by count; expired records are swept at most once a second.
 */
export class MemoryDeliveryClaims implements DeliveryClaims {
  readonly #records = new Map<string, Record>();
  readonly #now: () => number;
  #nextSweep = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records held, expired or not yet swept. */
  get size(): number {
    return this.#records.size;
  }

  /** {@link DeliveryClaims.claim}, synchronously. */
  claimNow(key: string, claimMs: number): ClaimState {
    const now = this.#now();
    this.#sweep(now);
    const record = this.#records.get(key);
    if (record !== undefined && record.until > now) return record.delivered ? 'delivered' : 'pending';
    this.#records.set(key, { delivered: false, until: now + claimMs });
    return 'claimed';
  }

  /** {@link DeliveryClaims.delivered}, synchronously. */
  deliveredNow(key: string, expiresAt: number): void {
    this.#records.set(key, { delivered: true, until: expiresAt });
  }

  claim(key: string, claimMs: number): Promise<ClaimState> {
    return Promise.resolve(this.claimNow(key, claimMs));
  }

  delivered(key: string, expiresAt: number): Promise<void> {
    this.deliveredNow(key, expiresAt);
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    const record = this.#records.get(key);
    if (record !== undefined && !record.delivered) this.#records.delete(key);
    return Promise.resolve();
  }

  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + 1_000;
    for (const [key, record] of this.#records) if (record.until <= now) this.#records.delete(key);
  }
}
