import { ErrorCodes, QQBotError } from '../errors.js';
import { fullJitterMs } from '../util/abort.js';

export interface RestartPolicyOptions {
  minDelayMs: number;
  maxDelayMs: number;
  maxRestarts: number;
  windowMs: number;
}

/** When the next attempt starts, and whether the budget was spent. */
export interface RestartStep {
  delayMs: number;
  /** More than `maxRestarts` failures within `windowMs`: start over from a clean slate after `maxDelayMs`. */
  escalate: boolean;
}

/**
 * Backoff and restart budget for one shard: pure state, no timers, clock and randomness injected. It never
 * gives up (docs/design-notes.md, "Restart policy"):
 *
 * - An attempt that made progress (a session that delivered a live event, got a heartbeat ACK or stayed up
 *   `stableAfterMs`) is followed by the next at once, and clears the failure count.
 * - The n-th attempt in a row without progress waits a random time in `[0, min(maxDelayMs, minDelayMs · 2^(n-1))]`
 *   (exponential backoff, full jitter).
 * - More than `maxRestarts` failures within `windowMs` escalate (an Erlang/OTP supervisor escalates to its
 *   parent; ours starts over): the caller takes a clean slate and waits `maxDelayMs`; the window starts afresh.
 */
export class RestartPolicy {
  readonly #options: RestartPolicyOptions;
  readonly #random: () => number;
  #consecutiveFailures = 0;
  #failures: number[] = [];

  constructor(options: RestartPolicyOptions, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Attempts in a row that made no progress. */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** The running attempt made progress: the failure count is cleared now, not only when it ends. */
  progress(): void {
    this.#consecutiveFailures = 0;
  }

  /** An attempt ended at `now`; `progressed` says whether it made progress. */
  next(now: number, progressed: boolean): RestartStep {
    if (progressed) {
      this.#consecutiveFailures = 0;
      return { delayMs: 0, escalate: false };
    }
    this.#consecutiveFailures += 1;
    this.#failures = this.#failures.filter((t) => now - t < this.#options.windowMs);
    this.#failures.push(now);
    if (this.#failures.length > this.#options.maxRestarts) {
      this.#failures = [];
      return { delayMs: this.#options.maxDelayMs, escalate: true };
    }
    return {
      delayMs: fullJitterMs(
        this.#consecutiveFailures,
        this.#options.minDelayMs,
        this.#options.maxDelayMs,
        this.#random,
      ),
      escalate: false,
    };
  }
}

/**
 * The escalation's report (retryable: the loop goes on), one wording for every loop the policy drives.
 * `subject` names the loop (`shard 0`), `what` what failed (`attempts without progress`).
 */
export function restartBudgetError(
  subject: string,
  what: string,
  options: RestartPolicyOptions,
  failures: number,
): QQBotError {
  const { maxRestarts, windowMs, maxDelayMs } = options;
  return new QQBotError(
    ErrorCodes.RESTART_BUDGET,
    `${subject}: more than ${maxRestarts} ${what} within ${windowMs} ms; starting over from a clean slate in ${maxDelayMs} ms`,
    {
      details: { maxRestarts, windowMs, failures },
    },
  );
}

/** The opt-in `restart.giveUpAfterMs` ran out: `lacking` says what never came (`shard 0: no session`). */
export function gaveUpError(lacking: string, giveUpAfterMs: number, cause: unknown): QQBotError {
  return new QQBotError(ErrorCodes.GAVE_UP, `${lacking} for ${giveUpAfterMs} ms (restart.giveUpAfterMs)`, {
    cause,
    details: { giveUpAfterMs },
  });
}
