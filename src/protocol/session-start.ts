/**
 * The identify gates' policy for the platform's session-start budget (`session_start_limit` of `/gateway/bot`):
 * one rule for `IdentifyGate` (one process) and `RedisIdentifyGate` (a fleet).
 */

/** Beyond the probing attempt's own `/gateway/bot` fetch: its worker thread's start, the answer's way to the gate. */
export const BUDGET_PROBE_MARGIN_MS = 5_000;

/**
 * How long a probe grant holds every other IDENTIFY back while its `/gateway/bot` answer is awaited: as long as
 * the probing attempt may take to read it, its fetch bounded by `timeouts.httpMs` (a fixed 10 s let a second
 * probe go while a slow first fetch was still allowed to answer). An attempt that never reads it (the fetch
 * failed) lets the next probe go after this.
 */
export function budgetProbeMs(httpMs: number): number {
  return httpMs + BUDGET_PROBE_MARGIN_MS;
}
/**
 * The longest a granted IDENTIFY keeps its place in the window before it is sent: its attempt stamps the send
 * (`IdentifySlot.sent()`), or its end when it never sent; only a process that died in between leaves it to this.
 */
export const IDENTIFY_SEND_HOLD_MS = 30_000;
/** How often a waiter looks again while a probe's answer is awaited. */
export const BUDGET_PROBE_POLL_MS = 250;
/** The longest a waiter sleeps on a spent budget before it reads it again (a newer answer may have set another). */
export const BUDGET_RECHECK_MS = 60_000;
