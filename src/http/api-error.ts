import { ErrorCodes, QQBotError } from '../errors.js';
import { untrustedText } from '../util/untrusted-text.js';

/**
 * Business codes the platform puts in an error body's `code` / `err_code` (docs/protocol.md §1, §8).
 * Sources: the official docs for 11244; field reports (several SDKs and bots, HTTP 400 with the same value in
 * `code` and `err_code`) for the 4003…/4005… codes. None of the 4003…/4005… values is in an official table we could read.
 */
export const QQApiCodes = {
  /** Token unknown or expired: refresh once and retry. */
  TOKEN_INVALID: 11244,
  /** "消息被去重，请检查请求msgseq": the same `msg_id` + `msg_seq` was already sent. Field reports, not official docs. */
  DUPLICATE_MSG_SEQ: 40054005,
  /** "回复消息msg_id已过期": the passive-reply window closed. Field reports. */
  REPLY_EXPIRED: 40034005,
  /** "msgid已经过期,不能回复": the same thing, worded differently. Field reports. */
  REPLY_EXPIRED_ALT: 40034031,
  /** "消息ID已过期，不能回复" (older code). Field reports. */
  REPLY_EXPIRED_LEGACY: 304103,
  /** "被动回复时间或次数超限": too many replies (or too late) for one `msg_id`. Field reports. */
  REPLY_LIMIT: 40034128,
  /** "主动消息失败, 无权限": a send without `msg_id`/`event_id`; proactive sends ended 2025-04-21. */
  PROACTIVE_FORBIDDEN: 40034102,
  /** Channel messages held for audit (HTTP 202): `data.message_audit.audit_id`. */
  MESSAGE_AUDIT: 304023,
  MESSAGE_AUDIT_ALT: 304024,
} as const;

/**
 * What the client does with a failed answer:
 * - `retry`: transient (429, 5xx); back off and send the same body again.
 * - `refresh-token`: the token was refused; refresh it once (single-flight) and send again.
 * - `duplicate`: the platform already has this `msg_id` + `msg_seq`; after a retry this means the first attempt landed.
 * - `reply-expired` / `reply-limit` / `proactive-forbidden`: the platform's reply rules; never retried.
 * - `fatal`: anything else (bad request, forbidden, not found); never retried.
 */
export type ApiErrorKind = 'retry' | 'refresh-token' | 'duplicate' | 'reply-expired' | 'reply-limit' | 'proactive-forbidden' | 'fatal';

interface ClassificationRule {
  /** Matches when the body's `code` or `err_code` is one of these. */
  codes?: readonly number[];
  /** Matches when the HTTP status is in `[min, max]`. */
  status?: readonly [min: number, max: number];
  kind: ApiErrorKind;
}

/**
 * The one table that classifies a failed answer. First matching row wins; body codes come first because the
 * platform's status for a given code is not stable (docs/protocol.md §1). Add a row, never an `if`.
 */
export const API_ERROR_RULES: readonly ClassificationRule[] = [
  { codes: [QQApiCodes.TOKEN_INVALID], kind: 'refresh-token' },
  { codes: [QQApiCodes.DUPLICATE_MSG_SEQ], kind: 'duplicate' },
  { codes: [QQApiCodes.REPLY_EXPIRED, QQApiCodes.REPLY_EXPIRED_ALT, QQApiCodes.REPLY_EXPIRED_LEGACY], kind: 'reply-expired' },
  { codes: [QQApiCodes.REPLY_LIMIT], kind: 'reply-limit' },
  { codes: [QQApiCodes.PROACTIVE_FORBIDDEN], kind: 'proactive-forbidden' },
  { status: [401, 401], kind: 'refresh-token' },
  { status: [429, 429], kind: 'retry' },
  { status: [500, 599], kind: 'retry' },
];

function matches(rule: ClassificationRule, status: number, codes: readonly number[]): boolean {
  if (rule.codes !== undefined && !rule.codes.some((c) => codes.includes(c))) return false;
  if (rule.status !== undefined && (status < rule.status[0] || status > rule.status[1])) return false;
  return rule.codes !== undefined || rule.status !== undefined;
}

/** Classifies an answer by its status and body codes with {@link API_ERROR_RULES}. Pure. */
export function classifyApiError(status: number, qqCode: number | undefined, errCode?: number): ApiErrorKind {
  const codes: number[] = [];
  if (qqCode !== undefined) codes.push(qqCode);
  if (errCode !== undefined) codes.push(errCode);
  for (const rule of API_ERROR_RULES) if (matches(rule, status, codes)) return rule.kind;
  return 'fatal';
}

/** The body of an error answer, as far as it could be read. */
export interface ApiErrorBody {
  code?: number;
  err_code?: number;
  message?: string;
  trace_id?: string;
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** Reads `code`, `err_code`, `message`, `trace_id` out of any body, dropping what has the wrong type. */
export function readErrorBody(body: unknown): ApiErrorBody {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const out: ApiErrorBody = {};
  const code = numeric(b.code);
  const errCode = numeric(b.err_code);
  if (code !== undefined) out.code = code;
  if (errCode !== undefined) out.err_code = errCode;
  if (typeof b.message === 'string') out.message = b.message;
  if (typeof b.trace_id === 'string' && b.trace_id !== '') out.trace_id = b.trace_id;
  return out;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const apiBrand = Symbol.for('qqbot-connector.api-error');

export interface QQApiErrorInit {
  /** Names the call without ids or tokens, e.g. `'POST /v2/groups/{group_openid}/messages'`. */
  what: string;
  status: number;
  body: unknown;
  /** `body` as {@link readErrorBody} read it, when the caller already has it: it is not read again. */
  errorBody?: ApiErrorBody;
  headers?: Record<string, string | string[] | undefined>;
  /** How many attempts were made, retries and the token retry included. */
  attempts?: number;
  cause?: unknown;
}

/**
 * A REST call answered with an error. `code` is always `QQBOT_API_ERROR`; match on `kind` or `qqCode` for more.
 * The message holds the route template, the status, the platform's code and message; never a token.
 */
export class QQApiError extends QQBotError {
  override readonly name: string = 'QQApiError';
  /** The HTTP status. */
  readonly status: number;
  /** The body's `code`, if it had one. */
  readonly qqCode: number | undefined;
  /** The body's `err_code`, if it had one. */
  readonly errCode: number | undefined;
  /** The body's `trace_id` or the `X-Tps-trace-ID` header: quote it when asking the platform for help. */
  readonly traceId: string | undefined;
  /** The platform's message text, if any. */
  readonly platformMessage: string | undefined;
  /** What {@link API_ERROR_RULES} made of it. */
  readonly kind: ApiErrorKind;

  constructor(init: QQApiErrorInit) {
    const body = init.errorBody ?? readErrorBody(init.body);
    const traceId = body.trace_id ?? (init.headers === undefined ? undefined : header(init.headers, 'x-tps-trace-id'));
    const kind = classifyApiError(init.status, body.code, body.err_code);
    const code = body.code ?? body.err_code;
    const text = `${init.what} answered HTTP ${init.status}${code === undefined ? '' : ` code ${code}`}${body.message === undefined ? '' : `: ${untrustedText(body.message)}`}`;
    super(ErrorCodes.API_ERROR, text, {
      retryable: kind === 'retry',
      cause: init.cause,
      details: {
        status: init.status,
        qqCode: body.code ?? null,
        errCode: body.err_code ?? null,
        traceId: traceId ?? null,
        kind,
        attempts: init.attempts ?? 1,
      },
    });
    this.status = init.status;
    this.qqCode = body.code;
    this.errCode = body.err_code;
    this.traceId = traceId;
    this.platformMessage = body.message;
    this.kind = kind;
  }

  /** Brand check: the inherited one would accept every {@link QQBotError}. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[apiBrand] === true;
  }

  get [apiBrand](): true {
    return true;
  }
}
