import { ErrorCodes, QQBotError } from '../../errors.js';
import type { WebhookRefusal } from './request-handler.js';

/** Refusals are summed and reported at most this often: a flood of junk must not become a flood of events. */
export const REFUSAL_REPORT_MS = 1_000;

/** Sums refused requests by reason and reports them as one `QQBOT_WEBHOOK_REFUSED` at most once a second. */
export class RefusalReport {
  readonly #report: (error: QQBotError) => void;
  #counts = new Map<WebhookRefusal, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(report: (error: QQBotError) => void) {
    this.#report = report;
  }

  readonly count = (reason: WebhookRefusal): void => {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), REFUSAL_REPORT_MS);
      // A pending report never keeps the process alive.
      this.#timer.unref();
    }
  };

  /** Reports what was counted since the last report, if anything. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#counts.size === 0) return;
    const counts = Object.fromEntries(this.#counts);
    const total = [...this.#counts.values()].reduce((a, b) => a + b, 0);
    this.#counts = new Map();
    const summary = Object.entries(counts)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    this.#report(
      new QQBotError(ErrorCodes.WEBHOOK_REFUSED, `${total} webhook request(s) refused: ${summary}`, {
        details: { total, ...counts },
      }),
    );
    // A misplaced handler is the host's bug, not noise from the internet: it gets its own code and advice.
    if (counts.consumed !== undefined) {
      const message = `${counts.consumed} webhook request(s) arrived with their body already read: mount webhookHandler() before any body parser`;
      this.#report(new QQBotError(ErrorCodes.WEBHOOK_BODY_CONSUMED, message, { details: { total: counts.consumed } }));
    }
  }
}
