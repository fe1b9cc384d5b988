/**
 * Watches one attempt's SharedArrayBuffer slot, where the worker stores `Date.now()` every tick. A slot older
 * than `limitMs` means the worker's event loop is stuck: `onHung` fires once.
 */
export class Watchdog {
  readonly buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  readonly #slot = new BigInt64Array(this.buffer);
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly limitMs: number) {
    // Thread start-up counts against the limit too.
    Atomics.store(this.#slot, 0, BigInt(Date.now()));
  }

  /** How often the worker should tick: well inside the limit. */
  get tickMs(): number {
    return Math.max(10, Math.min(100, Math.floor(this.limitMs / 5)));
  }

  lastTick(): number {
    return Number(Atomics.load(this.#slot, 0));
  }

  start(onHung: (staleMs: number) => void): void {
    const every = Math.max(10, Math.min(250, Math.floor(this.limitMs / 4)));
    this.#timer = setInterval(() => {
      const staleMs = Date.now() - this.lastTick();
      if (staleMs > this.limitMs) {
        this.stop();
        onHung(staleMs);
      }
    }, every);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
