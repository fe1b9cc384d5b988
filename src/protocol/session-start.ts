/**
 * The identify gates' policy for the platform's session-start budget (`session_start_limit` of `/gateway/bot`):
 * one rule for `IdentifyGate` (one process) and `RedisIdentifyGate` (a fleet).
 */

/**
 * How long a probe grant holds every other IDENTIFY back while its `/gateway/bot` answer is awaited; an attempt
 * that never reads it (the fetch failed) lets the next probe go after this.
 */
export const BUDGET_PROBE_MS = 10_000;
/** How often a waiter looks again while a probe's answer is awaited. */
export const BUDGET_PROBE_POLL_MS = 250;
/** The longest a waiter sleeps on a spent budget before it reads it again (a newer answer may have set another). */
export const BUDGET_RECHECK_MS = 60_000;
