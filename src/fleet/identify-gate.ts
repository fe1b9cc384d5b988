/**
 * A granted IDENTIFY. It keeps its place until {@link IdentifySlot.sent} (at most `IDENTIFY_SEND_HOLD_MS`), and its
 * window runs from the send: a grant whose send came later than the window never lets another IDENTIFY go beside it.
 */
export interface IdentifySlot {
  /**
   * No session-start budget was known: this grant is the probe, the only IDENTIFY until an answer of
   * `/gateway/bot` sets the budget, so its attempt must read `/gateway/bot` (never a cached URL) before it identifies.
   */
  readonly probe: boolean;
  /** The Identify frame went out now (or its attempt ended without one): the window counts from here. Once. */
  sent(): void;
}

/**
 * What spaces IDENTIFYs: `IdentifyGate` within one process, `RedisIdentifyGate` across a fleet. Two limits, both
 * from `/gateway/bot`: `max_concurrency` per 5 s, and the session-start budget (`remaining` until `reset_after`),
 * which every grant spends and RESUMEs never touch.
 */
export interface FleetIdentifyGate {
  /**
   * Resolves with a slot when an IDENTIFY may start, `undefined` if `signal` aborted first. `probeMs`: how long a
   * probe granted here holds the others back (`budgetProbeMs` of this process's `timeouts.httpMs`).
   */
  acquire(signal: AbortSignal, probeMs: number): Promise<IdentifySlot | undefined>;
  set maxConcurrency(value: number);
  /**
   * A `/gateway/bot` answer (anyone's): the budget becomes `remaining` less the grants of the last 5 s the platform
   * may not have counted yet, until `resetAfterMs` from now. `remaining` undefined (no `session_start_limit`) ends
   * a probe without setting a budget.
   */
  budget(remaining: number | undefined, resetAfterMs: number | undefined): Promise<void>;
}
