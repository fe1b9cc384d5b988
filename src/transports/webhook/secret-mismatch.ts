import { ErrorCodes, QQBotError } from '../../errors.js';

/** Failures in a row (no valid signature between them) that make a wrong secret the likely cause. */
export const MISMATCH_RUN = 3;
/** A run that goes on is reported again at most this often. */
export const MISMATCH_REPORT_MS = 10 * 60_000;

/**
 * Tells a wrong secret from noise. A forged request from the internet rarely names this bot's app id with a
 * fresh timestamp; the platform's own callbacks always do. So when such requests fail verification several
 * times in a row, and none verifies in between, the key derived from `secret` is not the one the platform
 * signs with: every event is being refused. Reported once as `QQBOT_WEBHOOK_SECRET_MISMATCH`, with the fix.
 */
export class SecretMismatchReport {
  readonly #report: (error: QQBotError) => void;
  readonly #now: () => number;
  #run = 0;
  #reportedAt = Number.NEGATIVE_INFINITY;

  constructor(report: (error: QQBotError) => void, now: () => number = Date.now) {
    this.#report = report;
    this.#now = now;
  }

  /** One signed request naming this bot, with a fresh timestamp: did it verify? */
  readonly verified = (ok: boolean): void => {
    if (ok) {
      this.#run = 0;
      return;
    }
    this.#run += 1;
    if (this.#run < MISMATCH_RUN) return;
    const now = this.#now();
    if (now - this.#reportedAt < MISMATCH_REPORT_MS) return;
    this.#reportedAt = now;
    const message =
      `${this.#run} callbacks in a row named this bot's app id with a fresh timestamp and failed signature verification: ` +
      "the `secret` option is most likely not this bot's AppSecret. Copy the AppSecret of this AppID from the QQ console " +
      '(reset it there if unsure) and restart; every callback is refused until then.';
    this.#report(
      new QQBotError(ErrorCodes.WEBHOOK_SECRET_MISMATCH, message, {
        retryable: false,
        details: { failures: this.#run },
      }),
    );
  };
}
