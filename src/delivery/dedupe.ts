/** The last `size` event ids, in a ring: O(1) add and lookup, bounded memory. */
export class DedupeWindow {
  readonly #ring: (string | undefined)[];
  readonly #ids = new Set<string>();
  #next = 0;

  constructor(size: number) {
    this.#ring = new Array<string | undefined>(size);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[this.#next] = id;
    this.#ids.add(id);
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** The ids held, oldest first (what a durable store keeps). */
  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#ring.length; i++) {
      const id = this.#ring[(this.#next + i) % this.#ring.length];
      if (id !== undefined) out.push(id);
    }
    return out;
  }
}
