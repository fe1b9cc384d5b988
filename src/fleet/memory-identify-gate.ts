import { IDENTIFY_WINDOW_MS, SESSION_LIMIT_FALLBACK_MS } from '../protocol/payloads.js';
import { BUDGET_PROBE_POLL_MS, BUDGET_RECHECK_MS, IDENTIFY_SEND_HOLD_MS } from '../protocol/session-start.js';
import type { FleetIdentifyGate, IdentifySlot } from './identify-gate.js';
import { sleep } from '../util/abort.js';

/** The session-start budget until `until`: a count, or the probe's answer still awaited. */
type Budget = { probe: true; until: number } | { probe: false; left: number; until: number };

/**
 * Spaces IDENTIFYs across the shards of one bot: at most `maxConcurrency` within any `windowMs`, counted from
 * when each Identify was sent (a cold start can delay the send well after the grant: until then the grant keeps
 * its place, at most `IDENTIFY_SEND_HOLD_MS`), and no more than the
 * session-start budget `/gateway/bot` last reported. RESUMEs do not pass through it. The same rule as
 * `RedisIdentifyGate`, in memory.
 */
export class IdentifyGate implements FleetIdentifyGate {
  #maxConcurrency = 1;
  readonly #windowMs: number;
  readonly #starts: { at: number }[] = [];
  #budget: Budget | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(windowMs = IDENTIFY_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  set maxConcurrency(value: number) {
    if (Number.isInteger(value) && value >= 1) this.#maxConcurrency = value;
  }

  budget(remaining: number | undefined, resetAfterMs: number | undefined): Promise<void> {
    const now = Date.now();
    if (remaining === undefined) {
      if (this.#budget?.probe === true) this.#budget = undefined;
      return Promise.resolve();
    }
    // The platform's count is the truth, less the grants of the last window it may not have counted yet; a live
    // probe's IDENTIFY goes out after this answer, however long ago it was granted.
    const inWindow = this.#starts.filter((s) => now - s.at < this.#windowMs).length;
    const recent = this.#budget?.probe === true && this.#budget.until > now ? Math.max(inWindow, 1) : inWindow;
    this.#budget = {
      probe: false,
      left: Math.max(0, Math.floor(remaining) - recent),
      until: now + Math.max(1, resetAfterMs ?? SESSION_LIMIT_FALLBACK_MS),
    };
    return Promise.resolve();
  }

  /** Resolves with a slot when an IDENTIFY may start, `undefined` if `signal` aborted first. Callers are served in order. */
  acquire(signal: AbortSignal, probeMs: number): Promise<IdentifySlot | undefined> {
    const turn = this.#queue.then(() => this.#waitForSlot(signal, probeMs));
    this.#queue = turn.then(() => undefined);
    return turn;
  }

  async #waitForSlot(signal: AbortSignal, probeMs: number): Promise<IdentifySlot | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const now = Date.now();
      // A slot's time can move later (sent()), so drop expired ones wherever they are.
      for (let i = this.#starts.length - 1; i >= 0; i--)
        if (now - (this.#starts[i] as { at: number }).at >= this.#windowMs) this.#starts.splice(i, 1);
      const wait = this.#starts.length >= this.#maxConcurrency ? this.#windowWait(now) : this.#budgetWait(now, probeMs);
      if (wait > 0) {
        if (!(await sleep(wait, signal))) return undefined;
        continue;
      }
      const probe = wait < 0;
      // Not sent yet: counted as if sent at the latest, until sent() says when.
      const start = { at: now + IDENTIFY_SEND_HOLD_MS };
      this.#starts.push(start);
      let stamped = false;
      return {
        probe,
        sent: () => {
          if (stamped) return;
          stamped = true;
          start.at = Date.now();
          if (!this.#starts.includes(start)) this.#starts.push(start);
        },
      };
    }
  }

  /** The window is full: until its oldest start leaves it, or a poll while that one is a grant not sent yet. */
  #windowWait(now: number): number {
    const oldest = Math.min(...this.#starts.map((s) => s.at));
    const wait = oldest + this.#windowMs - now;
    return oldest > now ? Math.min(wait, BUDGET_PROBE_POLL_MS) : wait;
  }

  /** 0: spend one of the budget; -1: none known, this grant probes; else the ms to wait. */
  #budgetWait(now: number, probeMs: number): number {
    const budget = this.#budget !== undefined && this.#budget.until > now ? this.#budget : undefined;
    if (budget === undefined) {
      this.#budget = { probe: true, until: now + probeMs };
      return -1;
    }
    if (budget.probe) return Math.min(budget.until - now, BUDGET_PROBE_POLL_MS);
    if (budget.left <= 0) return Math.min(budget.until - now, BUDGET_RECHECK_MS);
    budget.left -= 1;
    return 0;
  }
}
