import { LOAD_LIMIT_MS } from '../protocol/worker-link.js';

/** How often a thread ticks before its first attempt, and at most: one timer per thread, whatever it hosts. */
export const WATCHDOG_TICK_MS = 100;

/** How often a thread hosting an attempt watched at `limitMs` must tick: well inside the limit. */
export function tickFor(limitMs: number): number {
  return Math.max(10, Math.min(WATCHDOG_TICK_MS, Math.floor(limitMs / 5)));
}

/**
 * Watches one thread's SharedArrayBuffer slot, where the worker stores `Date.now()` every tick (a time ahead of now
 * while it loads a transport's module: see workers/attempt.ts). A slot older than
 * the limit means the thread's event loop is stuck: `onHung` fires once. The limit is read at every check (the
 * smallest `watchdogMs` of the attempts the thread hosts now; `undefined` while it hosts none: nothing to watch).
 */
export class Watchdog {
  readonly buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  readonly #slot = new BigInt64Array(this.buffer);
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  readonly #bornAt = Date.now();

  constructor(readonly limitMs: () => number | undefined) {
    Atomics.store(this.#slot, 0, BigInt(this.#bornAt));
  }

  lastTick(): number {
    return Number(Atomics.load(this.#slot, 0));
  }

  start(onHung: (staleMs: number) => void): void {
    const limit = this.limitMs();
    if (this.#stopped) return;
    const every = limit === undefined ? 250 : Math.max(10, Math.min(250, Math.floor(limit / 4)));
    this.#timer = setTimeout(() => {
      const limitMs = this.limitMs();
      const last = this.lastTick();
      const staleMs = Date.now() - last;
      // Until its first tick the thread is still loading (seconds on a busy host); a load that never ends is still
      // caught, at the longer load limit. (A thread loading a transport's module later ticks ahead instead.)
      const bound =
        limitMs === undefined ? undefined : last === this.#bornAt ? Math.max(limitMs, LOAD_LIMIT_MS) : limitMs;
      if (bound !== undefined && staleMs > bound) {
        this.stop();
        onHung(staleMs);
      } else {
        this.start(onHung);
      }
    }, every);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
