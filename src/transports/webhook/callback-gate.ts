import { ErrorCodes, QQBotError } from '../../errors.js';
import { MemoryDeliveryClaims, type DeliveryClaims } from '../../store/delivery-claims.js';
import type { WebhookDispatch } from './request-handler.js';

/** Store failures are reported at most this often: a Redis outage must not become an `'error'` per callback. */
const STORE_REPORT_MS = 10_000;
/** First and longest pause between two looks at a claim another process holds. */
const POLL_MS = { first: 10, max: 200 } as const;

export interface CallbackGateOptions {
  /** The fleet's record (`SessionStore.claims`); `undefined`: this process's memory alone. */
  shared: DeliveryClaims | undefined;
  /** Hands a dispatch to the delivery pipeline, synchronously. */
  deliver(dispatch: WebhookDispatch): void;
  /** A copy was acknowledged and not delivered (the pipeline counts it with its own duplicates). */
  duplicate(): void;
  report(error: QQBotError): void;
  /**
   * The request's own deadline (`transport.deliverTimeoutMs`): a claim lasts half of it, and a copy waits for
   * another process's claim a little less than all of it, so a claim that a dead process held lapses while
   * the copy still waits, and the copy is delivered in time.
   */
  deliverTimeoutMs: number;
  now?: () => number;
}

/**
 * Decides, for each verified callback, whether this process delivers it: every copy claims the callback's key
 * (`WebhookDispatch.key`: the event id, or for an event without one the hash of its timestamp and signature)
 * first here, then in the fleet's store when there is one.
 *
 * - claimed: delivered now, then marked delivered (until the callback's timestamp window closes, so a replay is
 *   caught as long as the timestamp check would let it through), and answered 200;
 * - delivered already, here or by another process: answered 200, not delivered;
 * - claimed by another process that has not finished: this copy waits for the answer, polling; if the other
 *   process dies, its claim lapses and this copy takes it. Past the wait it is answered 503: not acknowledged
 *   before someone has it, so the platform redelivers.
 *
 * When the store does not answer, the callback is delivered under this process's dedupe alone (reported as
 * `QQBOT_STORE_UNAVAILABLE`): a duplicate across replicas is better than an event lost.
 */
export class CallbackGate {
  readonly #local: MemoryDeliveryClaims;
  readonly #options: CallbackGateOptions;
  readonly #now: () => number;
  readonly #claimMs: number;
  readonly #waitMs: number;
  /** Copies this process is claiming in the store, by key: a second local copy shares the first one's fate. */
  readonly #claiming = new Map<string, Promise<void>>();
  #reportedAt = Number.NEGATIVE_INFINITY;

  constructor(options: CallbackGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#local = new MemoryDeliveryClaims(this.#now);
    this.#claimMs = Math.max(1, Math.ceil(options.deliverTimeoutMs / 2));
    this.#waitMs = Math.max(1, Math.floor(options.deliverTimeoutMs * 0.8));
  }

  /** Keys remembered by this process (delivered, or being claimed). */
  get remembered(): number {
    return this.#local.size;
  }

  /** Settles once `dispatch` is delivered (here or elsewhere): answer 200. Rejects when it is not: answer 503. */
  deliver(dispatch: WebhookDispatch): void | Promise<void> {
    // The local claim outlasts the fleet wait: a local copy never slips in while the first one waits.
    const local = this.#local.claimNow(dispatch.key, this.#waitMs + this.#claimMs);
    if (local === 'delivered') return this.#options.duplicate();
    if (local === 'pending')
      return (
        this.#claiming.get(dispatch.key) ?? Promise.reject(new Error('a copy of this callback is being delivered'))
      );
    const shared = this.#options.shared;
    if (shared === undefined) return this.#deliverNow(dispatch);
    const claiming = this.#claim(shared, dispatch).finally(() => this.#claiming.delete(dispatch.key));
    this.#claiming.set(dispatch.key, claiming);
    return claiming;
  }

  async #claim(shared: DeliveryClaims, dispatch: WebhookDispatch): Promise<void> {
    const deadline = this.#now() + this.#waitMs;
    let pause: number = POLL_MS.first;
    for (;;) {
      let state: Awaited<ReturnType<DeliveryClaims['claim']>>;
      try {
        state = await shared.claim(dispatch.key, this.#claimMs);
      } catch (err) {
        this.#storeFailed(err);
        return this.#deliverNow(dispatch);
      }
      if (state === 'claimed') {
        this.#deliverNow(dispatch);
        // Copies waiting on other processes see it at once; a failure only leaves them waiting for the claim to lapse.
        await shared.delivered(dispatch.key, dispatch.expiresAt).catch((err: unknown) => this.#storeFailed(err));
        return;
      }
      if (state === 'delivered') {
        this.#local.deliveredNow(dispatch.key, dispatch.expiresAt);
        return this.#options.duplicate();
      }
      if (this.#now() + pause > deadline) {
        await this.#local.release(dispatch.key);
        throw new Error('another process holds this callback and has not delivered it yet');
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, POLL_MS.max);
    }
  }

  #deliverNow(dispatch: WebhookDispatch): void {
    this.#local.deliveredNow(dispatch.key, dispatch.expiresAt);
    this.#options.deliver(dispatch);
  }

  #storeFailed(err: unknown): void {
    // After close() the store refuses everything: nothing to report.
    if (err instanceof QQBotError && err.code === ErrorCodes.CLOSED) return;
    const now = this.#now();
    if (now - this.#reportedAt < STORE_REPORT_MS) return;
    this.#reportedAt = now;
    const message =
      'the session store did not answer a webhook claim: callbacks are deduplicated by this process alone until it does';
    this.#options.report(new QQBotError(ErrorCodes.STORE_UNAVAILABLE, message, { retryable: true, cause: err }));
  }
}
