/**
 * Collects items and hands them over once per turn of the event loop: ws parses every frame of a socket read in
 * one go, and one postMessage per turn costs far less than one per item. Order is kept.
 */
export class TurnBatch<T> {
  #items: T[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  readonly #send: (items: T[]) => void;
  readonly #beforeFlush: (() => void) | undefined;

  /** `beforeFlush` may push the last items of the turn (what its owner held back to pack). */
  constructor(send: (items: T[]) => void, beforeFlush?: () => void) {
    this.#send = send;
    this.#beforeFlush = beforeFlush;
  }

  push(item: T): void {
    this.#items.push(item);
    this.schedule();
  }

  /** Makes sure a flush comes this turn (for an owner that holds items back until `beforeFlush`). */
  schedule(): void {
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Hands over what was collected now (nothing when empty). */
  flush(): void {
    this.#beforeFlush?.();
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.#send(items);
  }

  /** Drops what was collected and anything scheduled. */
  clear(): void {
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#items = [];
  }
}
