import { ErrorCodes, QQBotError, fromWire, type ErrorCode } from '../errors.js';
import type { Outcome } from './outcome.js';

/**
 * The close code for leaving a connection whose session must stay resumable (op 7, op 9, a `close()` that hands
 * over): not 1000, which gateways may treat as "end the session" (docs/design-notes.md).
 */
export const CLOSE_FOR_RESUME = 4000;
/** The close code that ends the session for good: `close({ endSession: true })`. */
export const CLOSE_ENDING_SESSION = 1000;

/**
 * What the supervisor does after an attempt ends. One table decides it (docs/protocol.md §5); nothing here
 * reads an error's message text. How long to wait is the restart policy's business (it knows whether the
 * attempt made progress); a decision only names a delay the protocol itself imposes.
 */
export type Decision =
  | {
      kind: 'resume' | 'identify';
      /** A minimum delay the platform asks for (4008, `remaining` = 0, a token rate limit). */
      delayMs?: number;
      /** Fetch a fresh access token first (4004, 401). */
      refreshToken?: boolean;
      /** Forget the cached gateway URL: connecting to it failed. */
      refetchGateway?: boolean;
      /** Our own bug (4001/4002): report it as an `'error'`, loudly. */
      report?: ErrorCode;
    }
  | { kind: 'fatal'; error: QQBotError }
  | { kind: 'stop' };

export type DecisionKind = Decision['kind'];

/** What the supervisor remembers between attempts of one shard that changes a decision. */
export interface DecisionHistory {
  /** RESUMEs in a row that were sent and then refused, or closed before the session made progress. */
  resumeFailures: number;
  /** 4004s (or 401s) since the last session; the first one triggers a token refresh. */
  authFailures: number;
}

/** After this many failed RESUMEs in a row, fall back to IDENTIFY (endless 4902 and stale-session loops otherwise). */
export const MAX_RESUME_FAILURES = 3;

/** 4008 "sending too fast": wait this long before resuming. */
export const RATE_LIMIT_DELAY_MS = 60_000;

type Rule =
  | { decision: 'resume'; delayMs?: number }
  | { decision: 'identify'; report?: ErrorCode }
  | { decision: 'fatal'; code: ErrorCode; what: string }
  | { decision: 'auth' };

interface CloseCodeRow {
  /** Inclusive range of close codes. */
  from: number;
  to: number;
  meaning: string;
  rule: Rule;
}

/** docs/protocol.md §5, as data. The first matching row wins; codes not listed resume. */
export const CLOSE_CODE_TABLE: readonly CloseCodeRow[] = [
  // Raised locally for a frame over maxPayloadBytes: a RESUME would replay the same frame, so start afresh.
  { from: 1009, to: 1009, meaning: 'frame too large', rule: { decision: 'identify' } },
  {
    from: 4001,
    to: 4002,
    meaning: 'invalid opcode or payload',
    rule: { decision: 'identify', report: ErrorCodes.MALFORMED_FRAME },
  },
  { from: 4004, to: 4004, meaning: 'authentication failed', rule: { decision: 'auth' } },
  { from: 4006, to: 4007, meaning: 'invalid session id or seq', rule: { decision: 'identify' } },
  { from: 4008, to: 4008, meaning: 'sending too fast', rule: { decision: 'resume', delayMs: RATE_LIMIT_DELAY_MS } },
  { from: 4009, to: 4009, meaning: 'session timed out', rule: { decision: 'resume' } },
  {
    from: 4010,
    to: 4011,
    meaning: 'invalid shard or sharding required',
    rule: {
      decision: 'fatal',
      code: ErrorCodes.GATEWAY_CONFIG_REJECTED,
      what: 'the gateway rejected the shard configuration',
    },
  },
  {
    from: 4012,
    to: 4012,
    meaning: 'invalid version',
    rule: {
      decision: 'fatal',
      code: ErrorCodes.GATEWAY_CONFIG_REJECTED,
      what: 'the gateway rejected the protocol version',
    },
  },
  {
    from: 4013,
    to: 4014,
    meaning: 'invalid or unpermitted intent',
    rule: {
      decision: 'fatal',
      code: ErrorCodes.GATEWAY_CONFIG_REJECTED,
      what: 'the gateway rejected the intents: check the intents your bot is allowed',
    },
  },
  { from: 4900, to: 4913, meaning: 'internal error', rule: { decision: 'identify' } },
  {
    from: 4914,
    to: 4914,
    meaning: 'bot delisted (sandbox only)',
    rule: {
      decision: 'fatal',
      code: ErrorCodes.BOT_DELISTED,
      what: 'the bot is delisted and may only connect to the sandbox',
    },
  },
  {
    from: 4915,
    to: 4915,
    meaning: 'bot banned',
    rule: { decision: 'fatal', code: ErrorCodes.BOT_BANNED, what: 'the bot is banned' },
  },
];

export function findCloseCodeRow(code: number): CloseCodeRow | undefined {
  return CLOSE_CODE_TABLE.find((row) => code >= row.from && code <= row.to);
}

/** The 4004/401 rule, written once: refresh the token and try again; the same refusal after a refresh is fatal. */
function authRejected(history: DecisionHistory, what: string, details: Record<string, string | number>): Decision {
  if (history.authFailures >= 1) {
    return {
      kind: 'fatal',
      error: new QQBotError(ErrorCodes.GATEWAY_AUTH_FAILED, `${what} again after a token refresh`, { details }),
    };
  }
  return { kind: 'resume', refreshToken: true };
}

function decideClose(closeCode: number, history: DecisionHistory): Decision {
  const rule = findCloseCodeRow(closeCode)?.rule ?? { decision: 'resume' };
  switch (rule.decision) {
    case 'resume':
      return rule.delayMs === undefined ? { kind: 'resume' } : { kind: 'resume', delayMs: rule.delayMs };
    case 'identify':
      return rule.report === undefined ? { kind: 'identify' } : { kind: 'identify', report: rule.report };
    case 'fatal':
      return {
        kind: 'fatal',
        error: new QQBotError(rule.code, `${rule.what} (close code ${closeCode})`, { details: { closeCode } }),
      };
    case 'auth':
      return authRejected(history, 'gateway authentication failed (close code 4004)', { closeCode });
  }
}

function decideOutcome(outcome: Outcome, history: DecisionHistory): Decision {
  switch (outcome.kind) {
    case 'shutdown':
      return { kind: 'stop' };
    case 'token-failed': {
      const error = fromWire(outcome.error);
      if (!error.retryable) return { kind: 'fatal', error };
      const wait = error.details.retryAfterMs;
      return typeof wait === 'number' ? { kind: 'resume', delayMs: wait } : { kind: 'resume' };
    }
    case 'closed':
      return decideClose(outcome.closeCode, history);
    case 'reconnect':
    case 'zombie':
      return { kind: 'resume' };
    case 'invalid-session':
      return outcome.resumable ? { kind: 'resume' } : { kind: 'identify' };
    case 'timeout':
    case 'connect-failed':
      if (outcome.kind === 'connect-failed' && outcome.authRejected) {
        return authRejected(history, 'the gateway refused the access token', { phase: outcome.phase });
      }
      // A handshake that fails or never completes means the cached URL may be stale.
      return outcome.phase === 'handshake' ? { kind: 'resume', refetchGateway: true } : { kind: 'resume' };
    case 'listen-failed':
      if (outcome.retryable) return { kind: 'resume' };
      return {
        kind: 'fatal',
        error: new QQBotError(ErrorCodes.WEBHOOK_LISTEN_FAILED, outcome.reason, {
          details: { errno: outcome.error.details.errno ?? outcome.error.code },
        }),
      };
    case 'session-limit':
      return { kind: 'identify', delayMs: outcome.retryAfterMs };
    case 'worker-died':
      if (outcome.cause === 'bootstrap') {
        return {
          kind: 'fatal',
          error: new QQBotError(ErrorCodes.WORKER_BOOTSTRAP, `the worker could not start: ${outcome.error.message}`, {
            details: { cause: outcome.error.code },
          }),
        };
      }
      return { kind: 'resume' };
  }
}

/**
 * The one place that turns an attempt's end into what happens next. Pure: no timers, no I/O.
 * Resume decisions become IDENTIFY after {@link MAX_RESUME_FAILURES} failed RESUMEs in a row, keeping what the
 * resume decision asked for (token refresh, rate-limit delay, gateway refetch).
 */
export function decide(outcome: Outcome, history: DecisionHistory): Decision {
  const decision = decideOutcome(outcome, history);
  if (decision.kind === 'resume' && history.resumeFailures >= MAX_RESUME_FAILURES)
    return { ...decision, kind: 'identify' };
  return decision;
}
