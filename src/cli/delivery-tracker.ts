/**
 * Counts what the demo's host received: events are numbered by the fake (`data.n`, from 0), so a bitmap of
 * the numbers seen tells duplicates, late arrivals and, at the end, losses. One bit per event.
 */
export class DeliveryTracker {
  #seen = new Uint8Array(1024);
  #received = 0;
  #distinct = 0;
  #duplicated = 0;
  #outOfOrder = 0;
  #highest = -1;
  #unnumbered = 0;

  /** Records one dispatch's `data`. */
  record(data: unknown): void {
    this.#received += 1;
    const n = (data as { n?: unknown } | null)?.n;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      this.#unnumbered += 1;
      return;
    }
    this.#grow(n);
    const byte = n >> 3;
    const bit = 1 << (n & 7);
    if (((this.#seen[byte] ?? 0) & bit) !== 0) {
      this.#duplicated += 1;
      return;
    }
    this.#seen[byte] = (this.#seen[byte] ?? 0) | bit;
    this.#distinct += 1;
    if (n < this.#highest) this.#outOfOrder += 1;
    else this.#highest = n;
  }

  get received(): number {
    return this.#received;
  }

  /** Different numbered events received. */
  get distinct(): number {
    return this.#distinct;
  }

  get duplicated(): number {
    return this.#duplicated;
  }

  /** Events that arrived after a higher-numbered one. */
  get outOfOrder(): number {
    return this.#outOfOrder;
  }

  /** Dispatches without a `data.n` (not from the fake's `emitEvents`). */
  get unnumbered(): number {
    return this.#unnumbered;
  }

  #grow(n: number): void {
    const needed = (n >> 3) + 1;
    if (needed <= this.#seen.length) return;
    let size = this.#seen.length;
    while (size < needed) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#seen);
    this.#seen = bigger;
  }
}

/** Time from each worker kill to the shard's next session (RESUMED, or READY if it had to identify). */
export class RecoveryClock {
  readonly #pending = new Map<number, number>();
  readonly #samples: number[] = [];
  #kills = 0;
  #newSessions = 0;

  killed(shard: number, now: number): void {
    this.#kills += 1;
    this.#pending.set(shard, now);
  }

  sessionUp(shard: number, now: number, resumed: boolean): void {
    const since = this.#pending.get(shard);
    if (since === undefined) return;
    this.#pending.delete(shard);
    this.#samples.push(now - since);
    if (!resumed) this.#newSessions += 1;
  }

  get kills(): number {
    return this.#kills;
  }

  /** Kills after which the shard had to identify (a new session) instead of resuming. */
  get newSessions(): number {
    return this.#newSessions;
  }

  get samples(): readonly number[] {
    return this.#samples;
  }
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
