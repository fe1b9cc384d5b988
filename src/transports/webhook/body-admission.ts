/**
 * The budget of requests still sending their body (not yet verified): small, apart from the budget of verified
 * requests, so slow or unsigned traffic can never take the slots the platform's callbacks need.
 *
 * When it is full, a new request is let in and the oldest pending one is dropped: the platform sends a callback
 * whole, so the request that has waited longest for its body is the least likely to be genuine. A peer that
 * already has `perPeer` pending requests drops its own oldest instead, so one address cannot fill the budget.
 */
export class BodyAdmission {
  readonly #capacity: number;
  readonly #perPeer: number;
  /** Insertion order is age: the first entry is the oldest pending request. */
  readonly #pending = new Map<symbol, { peer: string; evict: () => void }>();
  readonly #byPeer = new Map<string, Set<symbol>>();

  constructor(capacity: number, perPeer: number) {
    this.#capacity = capacity;
    this.#perPeer = Math.min(perPeer, capacity);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Admits a request from `peer`; `evict` is called if it is dropped to make room. Returns its release. */
  admit(peer: string, evict: () => void): () => void {
    const own = this.#byPeer.get(peer);
    if (own !== undefined && own.size >= this.#perPeer) this.#evict(own.values().next().value!);
    else if (this.#pending.size >= this.#capacity) this.#evict(this.#pending.keys().next().value!);
    const ticket = Symbol();
    this.#pending.set(ticket, { peer, evict });
    const set = own ?? new Set<symbol>();
    set.add(ticket);
    this.#byPeer.set(peer, set);
    return () => this.#release(ticket);
  }

  #evict(ticket: symbol): void {
    const entry = this.#pending.get(ticket);
    this.#release(ticket);
    entry?.evict();
  }

  #release(ticket: symbol): void {
    const entry = this.#pending.get(ticket);
    if (entry === undefined) return;
    this.#pending.delete(ticket);
    const set = this.#byPeer.get(entry.peer)!;
    set.delete(ticket);
    if (set.size === 0) this.#byPeer.delete(entry.peer);
  }
}
