/**
 * The budget of requests still sending their body (not yet verified): small, apart from the budget of verified
 * requests, so slow or unsigned traffic can never take the slots the platform's callbacks need.
 *
 * When it is full, a new request is let in and an old one dropped: the oldest of the address holding the most.
 * The platform sends a callback whole, so the request that has waited longest for its body is the least likely
 * to be genuine, and one address flooding the budget loses its own requests first. Behind a proxy, where every
 * request has the proxy's address, that is simply the oldest one.
 */
export class BodyAdmission {
  readonly #capacity: number;
  /** Per address, its pending requests oldest first, each with the function that drops it. */
  readonly #byPeer = new Map<string, Map<symbol, () => void>>();
  #pending = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Admits a request from `peer`; `evict` is called if it is dropped to make room. Returns its release. */
  admit(peer: string, evict: () => void): () => void {
    if (this.#pending >= this.#capacity) this.#evictOne();
    const ticket = Symbol();
    const own = this.#byPeer.get(peer) ?? new Map<symbol, () => void>();
    own.set(ticket, evict);
    this.#byPeer.set(peer, own);
    this.#pending += 1;
    return () => this.#release(peer, ticket);
  }

  #evictOne(): void {
    let fullest: [string, Map<symbol, () => void>] | undefined;
    for (const entry of this.#byPeer) if (fullest === undefined || entry[1].size > fullest[1].size) fullest = entry;
    if (fullest === undefined) return;
    const [peer, own] = fullest;
    const [ticket, evict] = own.entries().next().value!;
    this.#release(peer, ticket);
    evict();
  }

  #release(peer: string, ticket: symbol): void {
    const own = this.#byPeer.get(peer);
    if (own?.delete(ticket) !== true) return;
    this.#pending -= 1;
    if (own.size === 0) this.#byPeer.delete(peer);
  }
}
