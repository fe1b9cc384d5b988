/**
 * Every error this library raises or reports is a {@link QQBotError} with a stable `code` and a `retryable`
 * flag. Match on `err.code`, never on the message: messages may be reworded, codes never change.
 *
 * Errors cross threads only as plain {@link WireError} records (`toWire` / `fromWire`), because structured
 * clone turns a subclass into a bare `Error` and drops `code` and every extra field.
 */

/** Stable error codes. Each has a line in `docs/errors.md`. */
export const ErrorCodes = {
  /** An option passed to a constructor is missing, unknown (the message names the nearest known key) or of the wrong type or range. */
  INVALID_OPTION: 'QQBOT_INVALID_OPTION',
  /** The platform refused the appId/secret pair (token codes 100016, 100007, …). Fatal. */
  CREDENTIALS_REFUSED: 'QQBOT_CREDENTIALS_REFUSED',
  /** The token endpoint failed in a way that may pass (5xx, rate limit, internal error). */
  TOKEN_UNAVAILABLE: 'QQBOT_TOKEN_UNAVAILABLE',
  /** An HTTP call took longer than `timeouts.httpMs`. */
  HTTP_TIMEOUT: 'QQBOT_HTTP_TIMEOUT',
  /** An HTTP answer was not the JSON that was expected (empty, HTML, wrong shape). */
  BAD_RESPONSE: 'QQBOT_BAD_RESPONSE',
  /** A network-level failure: refused, reset, DNS. */
  NETWORK: 'QQBOT_NETWORK',
  /** `GET /gateway/bot` failed (non-2xx answer). */
  GATEWAY_UNAVAILABLE: 'QQBOT_GATEWAY_UNAVAILABLE',
  /** A gateway URL (stored in a checkpoint, or answered by `/gateway/bot`) is not on a host allowed the token; it was not used. */
  GATEWAY_URL_REFUSED: 'QQBOT_GATEWAY_URL_REFUSED',
  /** A connection phase (gateway, handshake, hello, ready) did not finish in time. */
  PHASE_TIMEOUT: 'QQBOT_PHASE_TIMEOUT',
  /** A gateway frame could not be parsed or had the wrong shape. It was skipped and reported. */
  MALFORMED_FRAME: 'QQBOT_MALFORMED_FRAME',
  /** A dispatch of a known type lacked a field its handlers rely on (a message without an `id`). Not delivered. */
  INVALID_EVENT: 'QQBOT_INVALID_EVENT',
  /** A gateway frame exceeded `maxPayloadBytes`; it was refused and a new session was identified. */
  FRAME_TOO_LARGE: 'QQBOT_FRAME_TOO_LARGE',
  /** The gateway closed the connection with a code that ends the connector (4010–4014). */
  GATEWAY_CONFIG_REJECTED: 'QQBOT_GATEWAY_CONFIG_REJECTED',
  /** Authentication failed on the gateway (4004) again after a token refresh. */
  GATEWAY_AUTH_FAILED: 'QQBOT_GATEWAY_AUTH_FAILED',
  /** The bot was delisted (4914, sandbox only). Never reconnects. */
  BOT_DELISTED: 'QQBOT_BOT_DELISTED',
  /** The bot was banned (4915). Never reconnects. */
  BOT_BANNED: 'QQBOT_BOT_BANNED',
  /** The worker thread hosting a shard died (throw, `process.exit`, out of memory, terminated). */
  WORKER_DIED: 'QQBOT_WORKER_DIED',
  /** The worker's event loop stopped ticking for longer than `timeouts.watchdogMs`; it was terminated. */
  WORKER_HUNG: 'QQBOT_WORKER_HUNG',
  /** The worker file could not be loaded (missing file, import error). Fatal. */
  WORKER_BOOTSTRAP: 'QQBOT_WORKER_BOOTSTRAP',
  /**
   * More than `restart.maxRestarts` attempts without progress within `restart.windowMs`: the shard starts over
   * from a clean slate after `restart.maxDelayMs`. Reported as an `'error'`; retryable, never fatal.
   */
  RESTART_BUDGET: 'QQBOT_RESTART_BUDGET',
  /** No session for longer than the opt-in `restart.giveUpAfterMs`. Fatal. */
  GAVE_UP: 'QQBOT_GAVE_UP',
  /** `shards: 'auto'`: `GET /gateway/bot` recommends more shards than one connector runs (`MAX_SHARDS`). Fatal. */
  TOO_MANY_SHARDS: 'QQBOT_TOO_MANY_SHARDS',
  /** `shards: 'auto'` in a fleet: `GET /gateway/bot` recommends another count than the fleet's stored one, which this process runs. */
  SHARD_COUNT_DIFFERS: 'QQBOT_SHARD_COUNT_DIFFERS',
  /** A call needed the shard's running attempt (`workerStatus()`), and none is running right now. */
  NO_WORKER: 'QQBOT_NO_WORKER',
  /** A control call (status, shutdown) to a worker missed its deadline or the worker died meanwhile. */
  CONTROL_TIMEOUT: 'QQBOT_CONTROL_TIMEOUT',
  /** A listener of the host threw; delivery went on. */
  LISTENER_THREW: 'QQBOT_LISTENER_THREW',
  /** The operation was aborted by the caller's signal or by `close()`. */
  ABORTED: 'QQBOT_ABORTED',
  /** The connector is closed, or a method was called in a state that does not allow it. */
  CLOSED: 'QQBOT_CLOSED',
  /** A REST call was answered with an error. See {@link QQApiError}. */
  API_ERROR: 'QQBOT_API_ERROR',
  /** A passive reply would be sent after the platform's reply window closed. */
  PASSIVE_REPLY_EXPIRED: 'QQBOT_PASSIVE_REPLY_EXPIRED',
  /** A passive reply would exceed the platform's limit of replies per message. */
  PASSIVE_REPLY_LIMIT: 'QQBOT_PASSIVE_REPLY_LIMIT',
  /** `reply()` was given an event that names nothing to reply to (no group, user, channel or event id). */
  REPLY_UNSUPPORTED: 'QQBOT_REPLY_UNSUPPORTED',
  /** The session store could not be read or written (I/O error, Redis unreachable). Checkpoints wait and catch up. */
  STORE_UNAVAILABLE: 'QQBOT_STORE_UNAVAILABLE',
  /** A stored checkpoint could not be parsed (a damaged file or key); the shard starts a new session. */
  STORE_CORRUPT: 'QQBOT_STORE_CORRUPT',
  /** This process lost a shard's lease (another holder took it, or it could not renew in time); the shard stopped. */
  LEASE_LOST: 'QQBOT_LEASE_LOST',
  /**
   * Without ownership (`lease: false`), another process keeps taking this shard's session ("session resumed
   * elsewhere" closes, again and again): two processes run one bot. `health().ok` is false while it lasts.
   */
  SESSION_CONTESTED: 'QQBOT_SESSION_CONTESTED',
  /** Webhook callback requests were refused (forged, replayed, malformed, oversized…); `details` counts them by reason. */
  WEBHOOK_REFUSED: 'QQBOT_WEBHOOK_REFUSED',
  /**
   * A run of callbacks that name this bot, with fresh timestamps, failed signature verification: the `secret`
   * is most likely not this bot's AppSecret. Reported once per run (at most every 10 min).
   */
  WEBHOOK_SECRET_MISMATCH: 'QQBOT_WEBHOOK_SECRET_MISMATCH',
  /** The webhook listener could not bind its port (`details.errno`); fatal unless `retryable`. */
  WEBHOOK_LISTEN_FAILED: 'QQBOT_WEBHOOK_LISTEN_FAILED',
  /** `webhookHandler()` got requests whose body something read first (a body parser mounted before it); answered 500. */
  WEBHOOK_BODY_CONSUMED: 'QQBOT_WEBHOOK_BODY_CONSUMED',
  /** A send was refused because the per-target send queue is full (`pacing.maxQueued` sends waiting). Try later. */
  SEND_QUEUE_FULL: 'QQBOT_SEND_QUEUE_FULL',
  /** A part of a chunked upload kept failing for the platform's `retry_timeout`; `cause` is its last error. */
  UPLOAD_FAILED: 'QQBOT_UPLOAD_FAILED',
  /** The source of a streamed reply threw; the stream was closed with the text so far. `cause` is what it threw. */
  STREAM_SOURCE_FAILED: 'QQBOT_STREAM_SOURCE_FAILED',
  /** Anything we did not foresee; reported rather than thrown into the host. */
  INTERNAL: 'QQBOT_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * Whether an error with each code is retryable: the one source of truth, documented in `docs/errors.md` (a test
 * checks the two agree). `'varies'` codes take `retryable` from where they are raised (the errno, the HTTP status,
 * the platform's answer); every other code's flag is fixed here. Adding a code is one line here and one in the doc.
 */
export const RETRYABLE: Readonly<Record<ErrorCode, boolean | 'varies'>> = Object.freeze({
  QQBOT_INVALID_OPTION: false,
  QQBOT_CREDENTIALS_REFUSED: false,
  QQBOT_TOKEN_UNAVAILABLE: true,
  QQBOT_HTTP_TIMEOUT: true,
  QQBOT_BAD_RESPONSE: 'varies',
  QQBOT_NETWORK: 'varies',
  QQBOT_GATEWAY_UNAVAILABLE: true,
  QQBOT_GATEWAY_URL_REFUSED: true,
  QQBOT_PHASE_TIMEOUT: true,
  QQBOT_MALFORMED_FRAME: true,
  QQBOT_INVALID_EVENT: false,
  QQBOT_FRAME_TOO_LARGE: true,
  QQBOT_GATEWAY_CONFIG_REJECTED: false,
  QQBOT_GATEWAY_AUTH_FAILED: false,
  QQBOT_BOT_DELISTED: false,
  QQBOT_BOT_BANNED: false,
  QQBOT_WORKER_DIED: true,
  QQBOT_WORKER_HUNG: true,
  QQBOT_WORKER_BOOTSTRAP: false,
  QQBOT_RESTART_BUDGET: true,
  QQBOT_GAVE_UP: false,
  QQBOT_TOO_MANY_SHARDS: false,
  QQBOT_SHARD_COUNT_DIFFERS: false,
  QQBOT_NO_WORKER: true,
  QQBOT_CONTROL_TIMEOUT: true,
  QQBOT_LISTENER_THREW: true,
  QQBOT_ABORTED: false,
  QQBOT_CLOSED: false,
  QQBOT_API_ERROR: 'varies',
  QQBOT_PASSIVE_REPLY_EXPIRED: false,
  QQBOT_PASSIVE_REPLY_LIMIT: false,
  QQBOT_REPLY_UNSUPPORTED: false,
  QQBOT_STREAM_SOURCE_FAILED: false,
  QQBOT_SEND_QUEUE_FULL: true,
  QQBOT_UPLOAD_FAILED: 'varies',
  QQBOT_STORE_UNAVAILABLE: true,
  QQBOT_STORE_CORRUPT: false,
  QQBOT_LEASE_LOST: true,
  QQBOT_SESSION_CONTESTED: false,
  QQBOT_WEBHOOK_REFUSED: true,
  QQBOT_WEBHOOK_SECRET_MISMATCH: false,
  QQBOT_WEBHOOK_LISTEN_FAILED: 'varies',
  QQBOT_WEBHOOK_BODY_CONSUMED: false,
  // An unforeseen failure: retried where the supervisor can start over, not where a caller's request failed.
  QQBOT_INTERNAL: 'varies',
});

const brand = Symbol.for('qqbot-connector.error');

export interface QQBotErrorOptions {
  /**
   * For a `'varies'` code in {@link RETRYABLE} (default `false`); every other code's flag comes from that table,
   * and a value given here is ignored.
   */
  retryable?: boolean;
  cause?: unknown;
  /** Extra facts for diagnostics (phase, ms, close code, …). Never the secret or a token. */
  details?: Readonly<Record<string, string | number | boolean | null>>;
}

export class QQBotError extends Error {
  override readonly name: string = 'QQBotError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;

  constructor(code: ErrorCode, message: string, options: QQBotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    const fixed = RETRYABLE[code];
    this.retryable = typeof fixed === 'boolean' ? fixed : (options.retryable ?? false);
    this.details = Object.freeze({ ...options.details });
  }

  /** `instanceof` that also works across two copies of the library (brand check). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  get [brand](): true {
    return true;
  }
}

/** The plain, cloneable form of an error, for crossing a thread boundary. */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details: Record<string, string | number | boolean | null>;
  /** The name of the original error class, for diagnostics only. */
  name: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof QQBotError) {
    return {
      code: err.code,
      message: err.message,
      retryable: err.retryable,
      details: { ...err.details },
      name: err.name,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : typeof err;
  return { code: ErrorCodes.INTERNAL, message, retryable: true, details: {}, name };
}

export function fromWire(rec: WireError): QQBotError {
  return new QQBotError(rec.code, rec.message, { retryable: rec.retryable, details: rec.details });
}

/** The string `code` of a thrown value (`ECONNREFUSED`, `UND_ERR_SOCKET`, `WS_ERR_*`, `ERR_WORKER_OUT_OF_MEMORY`), if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function invalidOption(message: string): QQBotError {
  return new QQBotError(ErrorCodes.INVALID_OPTION, message, { retryable: false });
}

/**
 * A store operation that failed for a reason that may pass (I/O, network): checkpoints wait and catch up. Here, below
 * every folder, because the stores, the fleet's lock and the Redis client all raise it.
 */
export function storeUnavailable(
  what: string,
  cause: unknown,
  details: Readonly<Record<string, string | number | boolean | null>> = {},
): QQBotError {
  const errno = errnoOf(cause) ?? null;
  return new QQBotError(
    ErrorCodes.STORE_UNAVAILABLE,
    `the session store could not ${what}${errno === null ? '' : ` (${errno})`}`,
    {
      retryable: true,
      cause,
      details: { ...details, errno },
    },
  );
}
