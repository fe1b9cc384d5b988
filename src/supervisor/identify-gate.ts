import { IDENTIFY_WINDOW_MS } from '../protocol/payloads.js';
import type { FleetIdentifyGate, IdentifySlot } from '../store/session-store.js';
import { sleep } from '../util/abort.js';

/**
 * Spaces IDENTIFYs across the shards of one bot: at most `maxConcurrency` within any `windowMs`, counted from
 * when each Identify was sent (a cold start can delay the send well after the grant). RESUMEs do not pass
 * through it. `maxConcurrency` follows what `/gateway/bot` last reported.
 */
export class IdentifyGate implements FleetIdentifyGate {
  #maxConcurrency = 1;
  readonly #windowMs: number;
  readonly #starts: { at: number }[] = [];
  #queue: Promise<void> = Promise.resolve();

  constructor(windowMs = IDENTIFY_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  set maxConcurrency(value: number) {
    if (Number.isInteger(value) && value >= 1) this.#maxConcurrency = value;
  }

  /** Resolves with a slot when an IDENTIFY may start, `undefined` if `signal` aborted first. Callers are served in order. */
  acquire(signal: AbortSignal): Promise<IdentifySlot | undefined> {
    const turn = this.#queue.then(() => this.#waitForSlot(signal));
    this.#queue = turn.then(() => undefined);
    return turn;
  }

  async #waitForSlot(signal: AbortSignal): Promise<IdentifySlot | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const now = Date.now();
      // A slot's time can move later (sent()), so drop expired ones wherever they are.
      for (let i = this.#starts.length - 1; i >= 0; i--) if (now - (this.#starts[i] as { at: number }).at >= this.#windowMs) this.#starts.splice(i, 1);
      if (this.#starts.length < this.#maxConcurrency) {
        const start = { at: now };
        this.#starts.push(start);
        return {
          sent: () => {
            start.at = Math.max(start.at, Date.now());
          },
        };
      }
      const oldest = Math.min(...this.#starts.map((s) => s.at));
      if (!(await sleep(oldest + this.#windowMs - now, signal))) return undefined;
    }
  }
}
