import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError, type ErrorCode, type WireError } from '../../src/errors.js';
import {
  CLOSE_CODE_TABLE,
  MAX_RESUME_FAILURES,
  RATE_LIMIT_DELAY_MS,
  decide,
  findCloseCodeRow,
  type Decision,
  type DecisionHistory,
} from '../../src/protocol/close-codes.js';
import type { Outcome, Phase } from '../../src/protocol/outcome.js';

const FRESH: DecisionHistory = { resumeFailures: 0, authFailures: 0 };
const AFTER_TOKEN_REFRESH: DecisionHistory = { resumeFailures: 0, authFailures: 1 };
const PHASES: readonly Phase[] = ['gateway', 'handshake', 'hello', 'ready', 'session'];

const wire = (code: ErrorCode, message: string): WireError => ({
  code,
  message,
  retryable: true,
  details: {},
  name: 'Error',
});

const closed = (closeCode: number): Outcome => ({
  kind: 'closed',
  phase: 'session',
  closeCode,
  reason: `closed ${closeCode}`,
});
const reconnect: Outcome = { kind: 'reconnect', phase: 'session', reason: 'op 7' };
const zombie: Outcome = { kind: 'zombie', phase: 'session', reason: 'no heartbeat ACK' };
const connectFailed = (phase: Phase, authRejected: boolean): Outcome => ({
  kind: 'connect-failed',
  phase,
  error: wire(ErrorCodes.NETWORK, 'ECONNREFUSED'),
  authRejected,
  reason: 'connect failed',
});
const workerDied = (cause: 'crashed' | 'hung' | 'terminated' | 'bootstrap'): Outcome => ({
  kind: 'worker-died',
  phase: 'session',
  error: wire(cause === 'bootstrap' ? ErrorCodes.INTERNAL : ErrorCodes.WORKER_DIED, `worker ${cause}`),
  cause,
  reason: `worker ${cause}`,
});

function fatalError(decision: Decision): QQBotError {
  if (decision.kind !== 'fatal') throw new Error(`expected a fatal decision, got ${JSON.stringify(decision)}`);
  return decision.error;
}

describe('close codes (docs/protocol.md §5)', () => {
  const internalErrors = Array.from({ length: 4913 - 4900 + 1 }, (_, i) => 4900 + i);

  const row = (closeCode: number, decision: Decision): [number, string, Decision] => [
    closeCode,
    decision.kind,
    decision,
  ];

  it.each<[number, string, Decision]>([
    row(1009, { kind: 'identify' }),
    row(1002, { kind: 'resume' }),
    row(4001, { kind: 'identify', report: ErrorCodes.MALFORMED_FRAME }),
    row(4002, { kind: 'identify', report: ErrorCodes.MALFORMED_FRAME }),
    row(4004, { kind: 'resume', refreshToken: true }),
    row(4006, { kind: 'identify' }),
    row(4007, { kind: 'identify' }),
    row(4008, { kind: 'resume', delayMs: 60_000 }),
    row(4009, { kind: 'resume' }),
    ...internalErrors.map((code) => row(code, { kind: 'identify' })),
    row(1000, { kind: 'resume' }),
    row(1001, { kind: 'resume' }),
    row(1006, { kind: 'resume' }),
    row(4000, { kind: 'resume' }),
    row(3000, { kind: 'resume' }),
  ])('close %i → %s', (closeCode, _kind, expected) => {
    expect(decide(closed(closeCode), FRESH)).toStrictEqual(expected);
  });

  it.each<[number, ErrorCode]>([
    [4010, ErrorCodes.GATEWAY_CONFIG_REJECTED],
    [4011, ErrorCodes.GATEWAY_CONFIG_REJECTED],
    [4012, ErrorCodes.GATEWAY_CONFIG_REJECTED],
    [4013, ErrorCodes.GATEWAY_CONFIG_REJECTED],
    [4014, ErrorCodes.GATEWAY_CONFIG_REJECTED],
    [4914, ErrorCodes.BOT_DELISTED],
    [4915, ErrorCodes.BOT_BANNED],
  ])('close %i → fatal %s', (closeCode, code) => {
    const error = fatalError(decide(closed(closeCode), FRESH));
    expect(error).toBeInstanceOf(QQBotError);
    expect(error.code).toBe(code);
  });

  it('close 4004 after a token refresh → fatal QQBOT_GATEWAY_AUTH_FAILED', () => {
    expect(fatalError(decide(closed(4004), AFTER_TOKEN_REFRESH)).code).toBe(ErrorCodes.GATEWAY_AUTH_FAILED);
  });

  it('waits the protocol rate-limit delay of 60 s after close 4008', () => {
    expect(RATE_LIMIT_DELAY_MS).toBe(60_000);
  });

  it('has no overlapping ranges in the close-code table', () => {
    const rows = [...CLOSE_CODE_TABLE].sort((a, b) => a.from - b.from);
    for (const row of rows) expect(row.from).toBeLessThanOrEqual(row.to);
    for (let i = 1; i < rows.length; i++) {
      expect(
        rows[i]!.from,
        `${rows[i - 1]!.from}–${rows[i - 1]!.to} overlaps ${rows[i]!.from}–${rows[i]!.to}`,
      ).toBeGreaterThan(rows[i - 1]!.to);
    }
  });

  it.each([1000, 1001, 1006, 3000, 4000, 4003, 4005, 4015, 4899, 4916])(
    'finds no table row for unlisted close %i',
    (closeCode) => {
      expect(findCloseCodeRow(closeCode)).toBeUndefined();
    },
  );
});

describe('attempt outcomes', () => {
  it('reconnect (op 7) → resume', () => {
    expect(decide(reconnect, FRESH)).toStrictEqual({ kind: 'resume' });
  });

  it.each<[boolean, string, Decision]>([
    [true, 'resume', { kind: 'resume' }],
    [false, 'identify', { kind: 'identify' }],
  ])('invalid session with resumable %s → %s', (resumable, _label, expected) => {
    expect(decide({ kind: 'invalid-session', phase: 'session', resumable, reason: 'op 9' }, FRESH)).toStrictEqual(
      expected,
    );
  });

  it('zombie (missed heartbeat ACK) → resume', () => {
    expect(decide(zombie, FRESH)).toStrictEqual({ kind: 'resume' });
  });

  it.each<[Phase, string, Decision]>(
    PHASES.map((phase) =>
      phase === 'handshake'
        ? [phase, 'resume and refetch the gateway URL', { kind: 'resume', refetchGateway: true }]
        : [phase, 'resume', { kind: 'resume' }],
    ),
  )('timeout in phase %s → %s', (phase, _label, expected) => {
    expect(decide({ kind: 'timeout', phase, ms: 10_000, reason: 'too slow' }, FRESH)).toStrictEqual(expected);
  });

  it.each<[Phase, string, Decision]>(
    PHASES.map((phase) =>
      phase === 'handshake'
        ? [phase, 'resume and refetch the gateway URL', { kind: 'resume', refetchGateway: true }]
        : [phase, 'resume', { kind: 'resume' }],
    ),
  )('connect failure (not auth) in phase %s → %s', (phase, _label, expected) => {
    expect(decide(connectFailed(phase, false), FRESH)).toStrictEqual(expected);
  });

  it('refreshes the token after the first rejected connect', () => {
    expect(decide(connectFailed('gateway', true), FRESH)).toStrictEqual({ kind: 'resume', refreshToken: true });
  });

  it('is fatal with QQBOT_GATEWAY_AUTH_FAILED when the connect is rejected again after a refresh', () => {
    expect(fatalError(decide(connectFailed('gateway', true), AFTER_TOKEN_REFRESH)).code).toBe(
      ErrorCodes.GATEWAY_AUTH_FAILED,
    );
  });

  it('waits retryAfterMs, then identifies, when the session-start limit is spent', () => {
    const outcome: Outcome = { kind: 'session-limit', phase: 'gateway', retryAfterMs: 12_345, reason: 'remaining 0' };
    expect(decide(outcome, FRESH)).toStrictEqual({ kind: 'identify', delayMs: 12_345 });
  });

  it('is fatal with QQBOT_WORKER_BOOTSTRAP when the worker cannot start', () => {
    expect(fatalError(decide(workerDied('bootstrap'), FRESH)).code).toBe(ErrorCodes.WORKER_BOOTSTRAP);
  });

  it.each(['crashed', 'hung', 'terminated'] as const)('resumes after a delay when the worker %s', (cause) => {
    expect(decide(workerDied(cause), FRESH)).toStrictEqual({ kind: 'resume' });
  });

  it('shutdown → stop', () => {
    expect(decide({ kind: 'shutdown', phase: 'session', reason: 'close()' }, FRESH)).toStrictEqual({ kind: 'stop' });
  });
});

describe('fallback to IDENTIFY after failed RESUMEs', () => {
  const resumeOutcomes: [string, Outcome][] = [
    ['close 4009', closed(4009)],
    ['reconnect', reconnect],
    ['zombie', zombie],
    ['close 1006', closed(1006)],
  ];

  it('falls back after 3 failed RESUMEs in a row', () => {
    expect(MAX_RESUME_FAILURES).toBe(3);
  });

  it.each(resumeOutcomes)('%s identifies after 3 failed RESUMEs in a row', (_name, outcome) => {
    expect(decide(outcome, { resumeFailures: 3, authFailures: 0 })).toStrictEqual({ kind: 'identify' });
  });

  it.each(resumeOutcomes)('%s still resumes after 2 failed RESUMEs in a row', (_name, outcome) => {
    expect(decide(outcome, { resumeFailures: 2, authFailures: 0 }).kind).toBe('resume');
  });

  it.each<[string, Outcome, DecisionHistory, ErrorCode]>([
    ['close 4010', closed(4010), { resumeFailures: 3, authFailures: 0 }, ErrorCodes.GATEWAY_CONFIG_REJECTED],
    ['close 4014', closed(4014), { resumeFailures: 3, authFailures: 0 }, ErrorCodes.GATEWAY_CONFIG_REJECTED],
    ['close 4914', closed(4914), { resumeFailures: 3, authFailures: 0 }, ErrorCodes.BOT_DELISTED],
    ['close 4915', closed(4915), { resumeFailures: 3, authFailures: 0 }, ErrorCodes.BOT_BANNED],
    ['repeated close 4004', closed(4004), { resumeFailures: 3, authFailures: 1 }, ErrorCodes.GATEWAY_AUTH_FAILED],
    [
      'repeated auth rejection',
      connectFailed('handshake', true),
      { resumeFailures: 3, authFailures: 1 },
      ErrorCodes.GATEWAY_AUTH_FAILED,
    ],
    [
      'worker bootstrap failure',
      workerDied('bootstrap'),
      { resumeFailures: 3, authFailures: 0 },
      ErrorCodes.WORKER_BOOTSTRAP,
    ],
  ])('%s stays fatal after 3 failed RESUMEs', (_name, outcome, history, code) => {
    expect(fatalError(decide(outcome, history)).code).toBe(code);
  });
});

describe('fatal errors', () => {
  const fatalCloses: [number, DecisionHistory][] = [
    [4004, AFTER_TOKEN_REFRESH],
    [4010, FRESH],
    [4011, FRESH],
    [4012, FRESH],
    [4013, FRESH],
    [4014, FRESH],
    [4914, FRESH],
    [4915, FRESH],
  ];

  it.each(fatalCloses)('fatal error for close %i is not retryable and names the close code', (closeCode, history) => {
    const error = fatalError(decide(closed(closeCode), history));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(String(closeCode));
    expect(error.details.closeCode).toBe(closeCode);
  });

  it.each<[string, Outcome, DecisionHistory]>([
    ['repeated auth rejection', connectFailed('gateway', true), AFTER_TOKEN_REFRESH],
    ['worker bootstrap failure', workerDied('bootstrap'), FRESH],
  ])('fatal error for %s is not retryable', (_name, outcome, history) => {
    expect(fatalError(decide(outcome, history)).retryable).toBe(false);
  });
});

describe('falling back to IDENTIFY keeps what the resume decision asked for', () => {
  const exhausted: DecisionHistory = { resumeFailures: 3, authFailures: 0 };
  it('4004 after 3 failed resumes still refreshes the token', () => {
    expect(decide(closed(4004), exhausted)).toStrictEqual({ kind: 'identify', refreshToken: true });
  });
  it('4008 after 3 failed resumes still waits the rate-limit delay', () => {
    expect(decide(closed(4008), exhausted)).toStrictEqual({ kind: 'identify', delayMs: 60_000 });
  });
  it('a handshake timeout after 3 failed resumes still refetches the gateway URL', () => {
    expect(decide({ kind: 'timeout', phase: 'handshake', ms: 1, reason: 'r' }, exhausted)).toStrictEqual({
      kind: 'identify',
      refetchGateway: true,
    });
  });
});
