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
  /** The caller's IP is not on the bot's IP allow-list. Field reports; may come with HTTP 401. */
  IP_NOT_ALLOWED: 11298,
  /** Fixed-token auth (`Bot appid.token`) is disabled. */
  FIXED_TOKEN_DISABLED: 11245,
  /** Invalid or expired reply target. Field reports. */
  REPLY_TARGET_INVALID: 40034024,
  REPLY_TARGET_INVALID_ALT: 304027,
  /** Message rate limit exceeded. Field reports. */
  MESSAGE_RATE_LIMIT: 22009,
  /** Channel write limit. Field reports. */
  CHANNEL_WRITE_LIMIT: 20028,
  /** API call rate exceeded. Field reports. */
  API_RATE_LIMIT: 100017,
  /** Markdown / keyboard / template not permitted for this bot. Field reports. */
  MARKDOWN_NOT_PERMITTED: 304041,
  KEYBOARD_NOT_PERMITTED: 304057,
  TEMPLATE_NOT_PERMITTED: 340072,
  RICH_MESSAGE_NOT_PERMITTED: 40034012,
  /** A chunked-upload part failed: retry that part. */
  UPLOAD_PART_FAILED: 40093001,
  /** The daily upload quota is spent. */
  UPLOAD_QUOTA: 40093002,
  /** A replace-mode stream chunk changed the prefix already sent. */
  STREAM_PREFIX_CHANGED: 40113003,
} as const;

/**
 * What the client does with a failed answer (and what the caller should change):
 * - `retry`: transient (5xx); back off and send the same body again.
 * - `rate-limit`: HTTP 429 or a rate-limit code; paced and retried after the platform's hint or a backoff.
 * - `refresh-token`: the token was refused; refresh it once (single-flight) and send again.
 * - `duplicate`: the platform already has this `msg_id` + `msg_seq`; after a retry this means the first attempt landed.
 * - `reply-expired` / `reply-limit` / `proactive-forbidden`: the platform's reply rules; never retried.
 * - `ip-not-allowed`, `auth-misconfigured`, `not-permitted`: the bot's settings in the console; never retried.
 * - `upload-part-failed` (retried), `upload-quota` (resets daily), `stream-prefix`: uploads and streams.
 * - `fatal`: anything else (bad request, forbidden, not found); never retried.
 */
export type ApiErrorKind =
  | 'retry'
  | 'rate-limit'
  | 'refresh-token'
  | 'duplicate'
  | 'reply-expired'
  | 'reply-limit'
  | 'proactive-forbidden'
  | 'ip-not-allowed'
  | 'auth-misconfigured'
  | 'not-permitted'
  | 'upload-part-failed'
  | 'upload-quota'
  | 'stream-prefix'
  | 'fatal';

interface ClassificationRule {
  /** Matches when the body's `code` or `err_code` is one of these. */
  codes?: readonly number[];
  /** Matches when the HTTP status is in `[min, max]`. */
  status?: readonly [min: number, max: number];
  kind: ApiErrorKind;
  /** Whether the error a caller finally gets says "try again later" (the client itself retries `retry`, `rate-limit`, `upload-part-failed`). */
  retryable: boolean;
  /** One line naming the fix; on the error as `advice`. */
  advice: string;
}

const RATE_LIMIT_ADVICE =
  'rate limited: sends are paced and retried; send less often to this target, or spread replies over time';
const PERMISSION_ADVICE =
  'markdown or keyboard is not permitted for this bot or template: apply for the permission (q.qq.com → the bot → features), or use an approved template id';
const REPLY_EXPIRED_ADVICE =
  'the passive-reply window closed (5 min group, 60 min C2C) or the target is gone: reply sooner; proactive sends no longer exist';

/**
 * The one table that classifies a failed answer. First matching row wins; body codes come first because the
 * platform's status for a given code is not stable (docs/protocol.md §1) — 11298 with HTTP 401 is an allow-list
 * refusal, not an expired token. Add a row, never an `if`. docs/errors.md lists every row (a test checks).
 */
export const API_ERROR_RULES: readonly ClassificationRule[] = [
  {
    codes: [QQApiCodes.IP_NOT_ALLOWED],
    kind: 'ip-not-allowed',
    retryable: false,
    advice: "add this host's public IP to the bot's IP allow-list (q.qq.com → development settings → IP allow-list)",
  },
  {
    codes: [QQApiCodes.TOKEN_INVALID],
    kind: 'refresh-token',
    retryable: false,
    advice: 'the token was refused after a refresh: check appId, secret and endpoints (sandbox vs production)',
  },
  {
    codes: [QQApiCodes.FIXED_TOKEN_DISABLED],
    kind: 'auth-misconfigured',
    retryable: false,
    advice: 'fixed-token auth (Bot appid.token) is disabled: authenticate with appId + secret (AccessToken)',
  },
  {
    codes: [QQApiCodes.DUPLICATE_MSG_SEQ],
    kind: 'duplicate',
    retryable: false,
    advice: 'this msg_id + msg_seq was already sent: use a new msg_seq (reply() does)',
  },
  {
    codes: [
      QQApiCodes.REPLY_EXPIRED,
      QQApiCodes.REPLY_EXPIRED_ALT,
      QQApiCodes.REPLY_EXPIRED_LEGACY,
      QQApiCodes.REPLY_TARGET_INVALID,
      QQApiCodes.REPLY_TARGET_INVALID_ALT,
    ],
    kind: 'reply-expired',
    retryable: false,
    advice: REPLY_EXPIRED_ADVICE,
  },
  {
    codes: [QQApiCodes.REPLY_LIMIT],
    kind: 'reply-limit',
    retryable: false,
    advice: 'at most 5 replies per message: put more into fewer replies',
  },
  {
    codes: [QQApiCodes.PROACTIVE_FORBIDDEN],
    kind: 'proactive-forbidden',
    retryable: false,
    advice: 'proactive messages are not allowed: reply to an event (msg_id or event_id), e.g. with reply()',
  },
  {
    codes: [QQApiCodes.MESSAGE_RATE_LIMIT, QQApiCodes.CHANNEL_WRITE_LIMIT, QQApiCodes.API_RATE_LIMIT],
    kind: 'rate-limit',
    retryable: true,
    advice: RATE_LIMIT_ADVICE,
  },
  {
    codes: [
      QQApiCodes.MARKDOWN_NOT_PERMITTED,
      QQApiCodes.KEYBOARD_NOT_PERMITTED,
      QQApiCodes.TEMPLATE_NOT_PERMITTED,
      QQApiCodes.RICH_MESSAGE_NOT_PERMITTED,
    ],
    kind: 'not-permitted',
    retryable: false,
    advice: PERMISSION_ADVICE,
  },
  {
    codes: [QQApiCodes.UPLOAD_PART_FAILED],
    kind: 'upload-part-failed',
    retryable: true,
    advice: 'an upload part failed: the part is retried; if it keeps failing, try the upload later',
  },
  {
    codes: [QQApiCodes.UPLOAD_QUOTA],
    kind: 'upload-quota',
    retryable: false,
    advice:
      "the bot's daily upload quota is spent; it resets daily: upload again tomorrow, or send a URL the platform fetches",
  },
  {
    codes: [QQApiCodes.STREAM_PREFIX_CHANGED],
    kind: 'stream-prefix',
    retryable: false,
    advice: 'a streamed (replace-mode) chunk must extend the text already sent, never change it',
  },
  {
    status: [401, 401],
    kind: 'refresh-token',
    retryable: false,
    advice: 'the token was refused after a refresh: check appId, secret and endpoints (sandbox vs production)',
  },
  { status: [429, 429], kind: 'rate-limit', retryable: true, advice: RATE_LIMIT_ADVICE },
  {
    status: [500, 599],
    kind: 'retry',
    retryable: true,
    advice: 'the platform failed; it was retried with backoff: try again later, and quote traceId if it persists',
  },
];

const FATAL: ClassificationRule = {
  kind: 'fatal',
  retryable: false,
  advice: 'read qqCode and platformMessage; quote traceId when asking the platform',
};

function matches(rule: ClassificationRule, status: number, codes: readonly number[]): boolean {
  if (rule.codes !== undefined && !rule.codes.some((c) => codes.includes(c))) return false;
  if (rule.status !== undefined && (status < rule.status[0] || status > rule.status[1])) return false;
  return rule.codes !== undefined || rule.status !== undefined;
}

/** The row of {@link API_ERROR_RULES} an answer matches (the `fatal` row when none does). Pure. */
export function describeApiError(
  status: number,
  qqCode: number | undefined,
  errCode?: number,
): Readonly<ClassificationRule> {
  const codes: number[] = [];
  if (qqCode !== undefined) codes.push(qqCode);
  if (errCode !== undefined) codes.push(errCode);
  return API_ERROR_RULES.find((rule) => matches(rule, status, codes)) ?? FATAL;
}

/** Classifies an answer by its status and body codes with {@link API_ERROR_RULES}. Pure. */
export function classifyApiError(status: number, qqCode: number | undefined, errCode?: number): ApiErrorKind {
  return describeApiError(status, qqCode, errCode).kind;
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
  /** One line naming what to change (which allow-list, which permission, that a quota resets daily, …). */
  readonly advice: string;

  constructor(init: QQApiErrorInit) {
    const body = init.errorBody ?? readErrorBody(init.body);
    const traceId = body.trace_id ?? (init.headers === undefined ? undefined : header(init.headers, 'x-tps-trace-id'));
    const { kind, retryable, advice } = describeApiError(init.status, body.code, body.err_code);
    const code = body.code ?? body.err_code;
    const text = `${init.what} answered HTTP ${init.status}${code === undefined ? '' : ` code ${code}`}${body.message === undefined ? '' : `: ${untrustedText(body.message)}`} (${advice})`;
    super(ErrorCodes.API_ERROR, text, {
      retryable,
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
    this.advice = advice;
  }

  /** Brand check: the inherited one would accept every {@link QQBotError}. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[apiBrand] === true;
  }

  get [apiBrand](): true {
    return true;
  }
}
