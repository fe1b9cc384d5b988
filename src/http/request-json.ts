import { request, type Dispatcher } from 'undici';
import { ErrorCodes, QQBotError, errnoOf } from '../errors.js';

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

interface JsonRequest {
  method: HttpMethod;
  headers?: Record<string, string>;
  /** Serialized with `JSON.stringify` when present. */
  body?: unknown;
  /** Deadline for the whole call: connect, headers and body. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  dispatcher?: Dispatcher | undefined;
  /** Names the call in error messages, e.g. `'GET /gateway/bot'`. Never contains a token. */
  what: string;
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body; `undefined` for an empty body. */
  body: unknown;
}

/** Network failures undici reports with these codes may pass: retry. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** A function, so that TypeScript does not carry a narrowing of `signal.aborted` across an await. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * What a failed HTTP exchange (not an HTTP error status) becomes: `HTTP_TIMEOUT` when our deadline fired or
 * undici's headers/body timeout did, otherwise `NETWORK` with `details.errno`. Shared by every HTTP path.
 */
export function transportError(err: unknown, what: string, host: string, ms: number, timedOut: boolean): QQBotError {
  const errno = errnoOf(err);
  // The host is named: "ENOTFOUND" alone does not say which of the platform's hosts could not be reached.
  if (timedOut || errno === 'UND_ERR_HEADERS_TIMEOUT' || errno === 'UND_ERR_BODY_TIMEOUT') {
    return new QQBotError(ErrorCodes.HTTP_TIMEOUT, `${what} to ${host} timed out after ${ms} ms`, {
      retryable: true,
      cause: err,
      details: { ms, host },
    });
  }
  return new QQBotError(ErrorCodes.NETWORK, `${what} to ${host} failed: ${errno ?? 'network error'}`, {
    retryable: errno === undefined || NETWORK_CODES.has(errno) || errno.startsWith('UND_ERR'),
    cause: err,
    details: { errno: errno ?? null, host },
  });
}

/**
 * The body of an answer: `undefined` when empty, else parsed JSON. A 2xx body that is not JSON is `BAD_RESPONSE`
 * (never a silent value). For any other status such a body (a proxy's HTML 502) is `undefined`: the status says
 * what happened, and the caller classifies by it, as it does for an empty error body.
 */
function parseJsonBody(text: string, status: number, what: string, repeatable: boolean): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (status < 200 || status >= 300) return undefined;
    throw new QQBotError(ErrorCodes.BAD_RESPONSE, `${what} answered HTTP ${status} with a body that is not JSON`, {
      retryable: repeatable,
      details: { status },
    });
  }
}

const JSON_TYPE = 'application/json';

/** One HTTP exchange, as {@link exchange} takes it. */
interface Exchange {
  method: HttpMethod;
  /** Sent with `accept: application/json`, and `content-type: application/json` when there is a payload. */
  headers: Record<string, string>;
  /** The body, already serialised (once per call, so every attempt sends the same bytes); `null` for none. */
  payload: string | null;
  /** Deadline for the whole exchange: waiting for a pooled socket, connect, headers and body. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Names the call in error messages, e.g. `'GET /gateway/bot'`. Never contains an id or a token. */
  what: string;
  /**
   * `true`: the socket goes back to its pool for the next call. `false` (`reset: true`): it is closed after the
   * answer, for rare calls (token, `/gateway/bot`) whose idle socket would only linger (in a worker it would
   * outlive the task).
   */
  keepAlive: boolean;
  /**
   * A 2xx answer that is not JSON is a retryable `BAD_RESPONSE` when true (token and `/gateway/bot`: asking again
   * is harmless, and a non-retryable token error would end the connector), not retryable when false (the REST
   * client never retries a 2xx it could not read: the call may have taken effect).
   */
  repeatable: boolean;
}

/**
 * Where an exchange goes: a full URL, through `dispatcher` or undici's global one (the phase timeouts are set
 * per request, to `timeoutMs`); or a path on a pool's origin (the pool's own `headersTimeout` and
 * `bodyTimeout` apply: build it with them).
 */
type ExchangeTarget =
  { url: string; dispatcher?: Dispatcher | undefined } | { pool: Dispatcher; path: string; host: string };

/**
 * One HTTP exchange with one deadline, shared by every HTTP path. A plain timer + AbortController is the
 * deadline: `AbortSignal.timeout` costs ~20 µs a call (see docs/rest.md). Every failure is a
 * {@link QQBotError}: `HTTP_TIMEOUT`, `NETWORK` (with `details.errno`), `ABORTED` (the caller's signal), or
 * `BAD_RESPONSE` for a 2xx answer whose body is not JSON. Any other status is returned, not thrown, with `body`
 * parsed, or `undefined` when it is empty or not JSON (see {@link parseJsonBody}).
 */
export async function exchange(target: ExchangeTarget, req: Exchange): Promise<JsonResponse> {
  const { signal, what, timeoutMs, payload } = req;
  if (signal?.aborted === true)
    throw new QQBotError(ErrorCodes.ABORTED, `${what} was aborted`, { retryable: false, cause: signal.reason });
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onCallerAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  const headers =
    payload === null
      ? { accept: JSON_TYPE, ...req.headers }
      : { accept: JSON_TYPE, 'content-type': JSON_TYPE, ...req.headers };
  let status: number;
  let resHeaders: JsonResponse['headers'];
  let text: string;
  try {
    const res =
      'pool' in target
        ? await target.pool.request({
            path: target.path,
            method: req.method,
            headers,
            body: payload,
            signal: controller.signal,
            reset: !req.keepAlive,
          })
        : await request(target.url, {
            method: req.method,
            headers,
            body: payload,
            signal: controller.signal,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
            reset: !req.keepAlive,
            ...(target.dispatcher === undefined ? {} : { dispatcher: target.dispatcher }),
          });
    status = res.statusCode;
    resHeaders = res.headers;
    text = await res.body.text();
  } catch (err) {
    if (isAborted(signal))
      throw new QQBotError(ErrorCodes.ABORTED, `${what} was aborted`, { retryable: false, cause: err });
    throw transportError(err, what, 'pool' in target ? target.host : hostOf(target.url), timeoutMs, timedOut);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
  return { status, headers: resHeaders, body: parseJsonBody(text, status, what, req.repeatable) };
}

/**
 * One JSON call to a URL, for the rare calls (token, `/gateway/bot`): the body is serialised here, and the
 * socket is not kept alive. Failures and statuses as {@link exchange}: `HTTP_TIMEOUT`, `NETWORK`, `ABORTED`,
 * or `BAD_RESPONSE` for a 2xx answer whose body is not JSON; any other status is returned with `body` parsed,
 * or `undefined` when it is empty or not JSON, and the caller classifies the answer by the body's `code` when
 * there is one, else by the status.
 */
export function requestJson(url: string, req: JsonRequest): Promise<JsonResponse> {
  return exchange(
    { url, dispatcher: req.dispatcher },
    {
      method: req.method,
      headers: req.headers ?? {},
      payload: req.body === undefined ? null : JSON.stringify(req.body),
      timeoutMs: req.timeoutMs,
      signal: req.signal,
      what: req.what,
      keepAlive: false,
      // Token and /gateway/bot calls: asking again is harmless.
      repeatable: true,
    },
  );
}
