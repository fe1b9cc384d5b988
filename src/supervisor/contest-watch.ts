import { ErrorCodes, QQBotError } from '../errors.js';
import type { Outcome } from '../protocol/outcome.js';

/** "Session resumed elsewhere" closes within {@link CONTEST_WINDOW_MS} that mean another process runs the session. */
export const CONTEST_CLOSES = 3;
export const CONTEST_WINDOW_MS = 60_000;
/** The platform's close when another connection RESUMEs the session (also its heartbeat timeout). */
const RESUMED_ELSEWHERE = 4009;

/**
 * Without ownership (a store opted out with `lease: false`), two processes sharing a store RESUME each other's
 * session: each kicks the other off with 4009, again and again. One such close is ordinary (a heartbeat timeout, a
 * platform restart); {@link CONTEST_CLOSES} of them on live sessions within {@link CONTEST_WINDOW_MS} are a fight.
 * The shard reports it once per fight (`QQBOT_SESSION_CONTESTED`) and is unhealthy until a window passes without one.
 */
export class ContestWatch {
  readonly #shard: number;
  /** Times of recent 4009 closes of live sessions, oldest first. */
  readonly #closes: number[] = [];
  #reported = false;

  constructor(shard: number) {
    this.#shard = shard;
  }

  /**
   * An attempt ended; `hadSession`: it reached READY/RESUMED. Returns the error to report when this close makes
   * the session contested (once per fight).
   */
  ended(outcome: Outcome, hadSession: boolean, now: number): QQBotError | undefined {
    this.#forgetBefore(now);
    if (!hadSession || outcome.kind !== 'closed' || outcome.closeCode !== RESUMED_ELSEWHERE) return undefined;
    this.#closes.push(now);
    if (this.#closes.length < CONTEST_CLOSES || this.#reported) return undefined;
    this.#reported = true;
    return new QQBotError(
      ErrorCodes.SESSION_CONTESTED,
      `shard ${this.#shard}: another process keeps taking this session ` +
        `(${this.#closes.length} "session resumed elsewhere" closes within ${CONTEST_WINDOW_MS} ms); ` +
        'two processes run one bot without ownership (lease: false): run one, or remove lease: false',
      { retryable: false, details: { shard: this.#shard, closes: this.#closes.length, windowMs: CONTEST_WINDOW_MS } },
    );
  }

  /** True while {@link CONTEST_CLOSES} closes lie within the last window. */
  contested(now: number): boolean {
    this.#forgetBefore(now);
    return this.#closes.length >= CONTEST_CLOSES;
  }

  #forgetBefore(now: number): void {
    while (this.#closes.length > 0 && (this.#closes[0] as number) <= now - CONTEST_WINDOW_MS) this.#closes.shift();
    if (this.#closes.length === 0) this.#reported = false;
  }
}
