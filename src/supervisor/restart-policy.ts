import { ErrorCodes, QQBotError } from '../errors.js';

export interface RestartPolicyOptions {
  minDelayMs: number;
  maxDelayMs: number;
  maxRestarts: number;
  windowMs: number;
  stableAfterMs: number;
}

/**
 * Backoff and restart budget for one shard: pure state, no timers, clock and randomness injected.
 *
 * - The first failure after a stable session retries at once; the n-th failure in a row waits a random time in
 *   `[0, min(maxDelayMs, minDelayMs · 2^(n-2))]` (exponential backoff, full jitter).
 * - A session that stayed up `stableAfterMs` resets the failure count.
 * - More than `maxRestarts` restarts within `windowMs` is fatal (Erlang/OTP supervisor intensity).
 */
export class RestartPolicy {
  readonly #options: RestartPolicyOptions;
  readonly #random: () => number;
  #consecutiveFailures = 0;
  #restarts: number[] = [];
  #sessionSince: number | undefined;

  constructor(options: RestartPolicyOptions, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Failures in a row since the last stable session. */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** A READY/RESUMED was reached at `now`. */
  sessionUp(now: number): void {
    this.#sessionSince = now;
  }

  /** Upper bound of the jittered delay for the current failure count. */
  ceilingMs(): number {
    const n = this.#consecutiveFailures;
    if (n <= 1 || this.#options.minDelayMs === 0) return 0;
    // Cap the exponent: 2 ** 1024 is Infinity, and the cap is reached long before.
    return Math.min(this.#options.maxDelayMs, this.#options.minDelayMs * 2 ** Math.min(n - 2, 52));
  }

  /**
   * Records a restart at `now` and returns the delay before the next attempt, or a fatal error when the budget
   * is spent. `immediate` restarts (server-requested: op 7, 4009) skip the backoff and do not count as failures.
   */
  next(now: number, immediate: boolean): { delayMs: number } | { error: QQBotError } {
    if (this.#sessionSince !== undefined && now - this.#sessionSince >= this.#options.stableAfterMs) this.#consecutiveFailures = 0;
    this.#sessionSince = undefined;

    this.#restarts = this.#restarts.filter((t) => now - t < this.#options.windowMs);
    this.#restarts.push(now);
    if (this.#restarts.length > this.#options.maxRestarts) {
      return {
        error: new QQBotError(
          ErrorCodes.RESTART_BUDGET,
          `more than ${this.#options.maxRestarts} restarts within ${this.#options.windowMs} ms: giving up`,
          { retryable: false, details: { maxRestarts: this.#options.maxRestarts, windowMs: this.#options.windowMs } },
        ),
      };
    }
    if (immediate) return { delayMs: 0 };
    this.#consecutiveFailures += 1;
    return { delayMs: Math.round(this.#random() * this.ceilingMs()) };
  }
}
