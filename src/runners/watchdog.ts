/** How long a thread may take to load before its first tick. */
const BOOTSTRAP_LIMIT_MS = 10_000;

/**
 * Watches one attempt's SharedArrayBuffer slot, where the worker stores `Date.now()` every tick. A slot older
 * than `limitMs` means the worker's event loop is stuck: `onHung` fires once.
 */
export class Watchdog {
  readonly buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  readonly #slot = new BigInt64Array(this.buffer);
  #timer: NodeJS.Timeout | undefined;

  readonly #bornAt = Date.now();

  constructor(readonly limitMs: number) {
    Atomics.store(this.#slot, 0, BigInt(this.#bornAt));
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
      const last = this.lastTick();
      const staleMs = Date.now() - last;
      // Until its first tick the thread is still loading (ws, undici: seconds on a busy host); a load that
      // never ends is still caught, at the longer bootstrap limit.
      const limit = last === this.#bornAt ? Math.max(this.limitMs, BOOTSTRAP_LIMIT_MS) : this.limitMs;
      if (staleMs > limit) {
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
