/**
 * The timers {@link FakeQQServer} arms (pacing, delayed answers, the gateway's clocks), kept so that `close()`
 * clears every one of them. Internal to the testing kit.
 * @internal
 * @module
 */
export class TimerSet {
  readonly #timers = new Set<NodeJS.Timeout>();

  set(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  clear(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  clearAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
