import { ErrorCodes, QQBotError, type ErrorCode } from '../errors.js';
import type { Outcome } from './outcome.js';

/**
 * What the supervisor does after an attempt ends. One table decides it (qq-protocol.md §5); nothing here
 * reads an error's message text.
 */
export type Decision =
  | { kind: 'resume-now' }
  | {
      kind: 'resume-after-delay';
      /** A fixed delay the protocol asks for (4008); otherwise the restart policy's backoff applies. */
      delayMs?: number;
      /** Fetch a fresh access token first (4004, 401). */
      refreshToken?: boolean;
      /** Forget the cached gateway URL: connecting to it failed. */
      refetchGateway?: boolean;
      /** Our own bug (4001/4002): report it as an `'error'`, loudly. */
      report?: ErrorCode;
    }
  | { kind: 'identify-after-delay'; delayMs?: number; refreshToken?: boolean; refetchGateway?: boolean; report?: ErrorCode }
  | { kind: 'fatal'; error: QQBotError }
  | { kind: 'stop' };

export type DecisionKind = Decision['kind'];

/** What the supervisor remembers between attempts of one shard that changes a decision. */
export interface DecisionHistory {
  /** RESUMEs in a row that closed before RESUMED. */
  resumeFailures: number;
  /** 4004s since the last READY/RESUMED; the first one triggers a token refresh. */
  authFailures: number;
}

/** After this many failed RESUMEs in a row, fall back to IDENTIFY (endless 4902 loops otherwise). */
export const MAX_RESUME_FAILURES = 3;

/** 4008 "sending too fast": wait this long before resuming. */
export const RATE_LIMIT_DELAY_MS = 60_000;

type Rule =
  | { decision: 'resume-now' }
  | { decision: 'resume-after-delay'; delayMs?: number }
  | { decision: 'identify-after-delay'; report?: ErrorCode }
  | { decision: 'fatal'; code: ErrorCode; what: string }
  | { decision: 'auth' };

interface CloseCodeRow {
  /** Inclusive range of close codes. */
  from: number;
  to: number;
  meaning: string;
  rule: Rule;
}

/** qq-protocol.md §5, as data. The first matching row wins; codes not listed resume after a delay. */
export const CLOSE_CODE_TABLE: readonly CloseCodeRow[] = [
  // Raised locally for a frame over maxPayloadBytes: a RESUME would replay the same frame, so start afresh.
  { from: 1009, to: 1009, meaning: 'frame too large', rule: { decision: 'identify-after-delay' } },
  { from: 4001, to: 4002, meaning: 'invalid opcode or payload', rule: { decision: 'identify-after-delay', report: ErrorCodes.MALFORMED_FRAME } },
  { from: 4004, to: 4004, meaning: 'authentication failed', rule: { decision: 'auth' } },
  { from: 4006, to: 4007, meaning: 'invalid session id or seq', rule: { decision: 'identify-after-delay' } },
  { from: 4008, to: 4008, meaning: 'sending too fast', rule: { decision: 'resume-after-delay', delayMs: RATE_LIMIT_DELAY_MS } },
  { from: 4009, to: 4009, meaning: 'session timed out', rule: { decision: 'resume-now' } },
  { from: 4010, to: 4011, meaning: 'invalid shard or sharding required', rule: { decision: 'fatal', code: ErrorCodes.GATEWAY_CONFIG_REJECTED, what: 'the gateway rejected the shard configuration' } },
  { from: 4012, to: 4012, meaning: 'invalid version', rule: { decision: 'fatal', code: ErrorCodes.GATEWAY_CONFIG_REJECTED, what: 'the gateway rejected the protocol version' } },
  { from: 4013, to: 4014, meaning: 'invalid or unpermitted intent', rule: { decision: 'fatal', code: ErrorCodes.GATEWAY_CONFIG_REJECTED, what: 'the gateway rejected the intents: check the intents your bot is allowed' } },
  { from: 4900, to: 4913, meaning: 'internal error', rule: { decision: 'identify-after-delay' } },
  { from: 4914, to: 4914, meaning: 'bot delisted (sandbox only)', rule: { decision: 'fatal', code: ErrorCodes.BOT_DELISTED, what: 'the bot is delisted and may only connect to the sandbox' } },
  { from: 4915, to: 4915, meaning: 'bot banned', rule: { decision: 'fatal', code: ErrorCodes.BOT_BANNED, what: 'the bot is banned' } },
];

export function findCloseCodeRow(code: number): CloseCodeRow | undefined {
  return CLOSE_CODE_TABLE.find((row) => code >= row.from && code <= row.to);
}

function decideClose(closeCode: number, history: DecisionHistory): Decision {
  const rule = findCloseCodeRow(closeCode)?.rule ?? { decision: 'resume-after-delay' };
  switch (rule.decision) {
    case 'resume-now':
      return { kind: 'resume-now' };
    case 'resume-after-delay':
      return rule.delayMs === undefined ? { kind: 'resume-after-delay' } : { kind: 'resume-after-delay', delayMs: rule.delayMs };
    case 'identify-after-delay':
      return rule.report === undefined ? { kind: 'identify-after-delay' } : { kind: 'identify-after-delay', report: rule.report };
    case 'fatal':
      return {
        kind: 'fatal',
        error: new QQBotError(rule.code, `${rule.what} (close code ${closeCode})`, { details: { closeCode } }),
      };
    case 'auth':
      if (history.authFailures >= 1) {
        return {
          kind: 'fatal',
          error: new QQBotError(ErrorCodes.GATEWAY_AUTH_FAILED, 'gateway authentication failed again after a token refresh (close code 4004)', {
            details: { closeCode },
          }),
        };
      }
      return { kind: 'resume-after-delay', refreshToken: true };
  }
}

function decideOutcome(outcome: Outcome, history: DecisionHistory): Decision {
  switch (outcome.kind) {
    case 'shutdown':
      return { kind: 'stop' };
    case 'closed':
      return decideClose(outcome.closeCode, history);
    case 'reconnect':
      return { kind: 'resume-now' };
    case 'invalid-session':
      return outcome.resumable ? { kind: 'resume-after-delay' } : { kind: 'identify-after-delay' };
    case 'zombie':
      return { kind: 'resume-after-delay' };
    case 'timeout':
      // A handshake that never completes means the cached URL may be stale.
      return outcome.phase === 'handshake' ? { kind: 'resume-after-delay', refetchGateway: true } : { kind: 'resume-after-delay' };
    case 'connect-failed':
      if (outcome.authRejected) {
        if (history.authFailures >= 1) {
          return {
            kind: 'fatal',
            error: new QQBotError(ErrorCodes.GATEWAY_AUTH_FAILED, 'the gateway refused the access token again after a refresh', {
              details: { phase: outcome.phase },
            }),
          };
        }
        return { kind: 'resume-after-delay', refreshToken: true };
      }
      return outcome.phase === 'handshake' ? { kind: 'resume-after-delay', refetchGateway: true } : { kind: 'resume-after-delay' };
    case 'listen-failed':
      if (outcome.retryable) return { kind: 'resume-after-delay' };
      return {
        kind: 'fatal',
        error: new QQBotError(ErrorCodes.WEBHOOK_LISTEN_FAILED, outcome.reason, { details: { errno: outcome.error.details.errno ?? outcome.error.code } }),
      };
    case 'session-limit':
      return { kind: 'identify-after-delay', delayMs: outcome.retryAfterMs };
    case 'worker-died':
      if (outcome.cause === 'bootstrap') {
        return {
          kind: 'fatal',
          error: new QQBotError(ErrorCodes.WORKER_BOOTSTRAP, `the worker could not start: ${outcome.error.message}`, {
            details: { cause: outcome.error.code },
          }),
        };
      }
      return { kind: 'resume-after-delay' };
  }
}

/**
 * The one place that turns an attempt's end into what happens next. Pure: no timers, no I/O.
 * Resume decisions become IDENTIFY after {@link MAX_RESUME_FAILURES} failed RESUMEs in a row.
 */
export function decide(outcome: Outcome, history: DecisionHistory): Decision {
  const decision = decideOutcome(outcome, history);
  if (history.resumeFailures < MAX_RESUME_FAILURES) return decision;
  // Keep what the resume decision asked for (token refresh, rate-limit delay, gateway refetch).
  if (decision.kind === 'resume-now') return { kind: 'identify-after-delay' };
  if (decision.kind === 'resume-after-delay') return { ...decision, kind: 'identify-after-delay' };
  return decision;
}
