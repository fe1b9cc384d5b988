/**
 * Token buckets, one global and one per peer: what keeps unsigned op 13 requests (answered with a signature made
 * on the main thread) from turning a flood into main-thread CPU.
 */

export interface BucketRule {
  /** Tokens added per second. */
  perSecond: number;
  /** Most tokens a bucket holds: the burst allowed after a quiet spell. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Peers remembered at once; past this the stalest are forgotten (a forgotten peer starts with a full bucket). */
const MAX_PEERS = 4_096;

export class RateLimit {
  readonly #global: BucketRule;
  readonly #perPeer: BucketRule;
  readonly #now: () => number;
  #all: Bucket;
  /** Insertion order is last use: a peer is moved to the end each time it takes a token. */
  readonly #peers = new Map<string, Bucket>();

  constructor(global: BucketRule, perPeer: BucketRule, now: () => number) {
    this.#global = global;
    this.#perPeer = perPeer;
    this.#now = now;
    this.#all = { tokens: global.burst, at: now() };
  }

  /** Takes a token for `peer` and from the global bucket; false (and nothing taken) when either is empty. */
  take(peer: string): boolean {
    const now = this.#now();
    const own = this.#peers.get(peer) ?? { tokens: this.#perPeer.burst, at: now };
    refill(own, this.#perPeer, now);
    refill(this.#all, this.#global, now);
    this.#peers.delete(peer);
    this.#peers.set(peer, own);
    if (this.#peers.size > MAX_PEERS) this.#peers.delete(this.#peers.keys().next().value!);
    if (own.tokens < 1 || this.#all.tokens < 1) return false;
    own.tokens -= 1;
    this.#all.tokens -= 1;
    return true;
  }
}

function refill(bucket: Bucket, rule: BucketRule, now: number): void {
  bucket.tokens = Math.min(rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * rule.perSecond);
  bucket.at = now;
}
