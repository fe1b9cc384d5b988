import { request, type Dispatcher } from 'undici';
import { ErrorCodes, QQBotError, errnoOf } from '../errors.js';

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
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
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** A function, so that TypeScript does not carry a narrowing of `signal.aborted` across an await. */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * What a failed HTTP exchange (not an HTTP error status) becomes: `HTTP_TIMEOUT` when our deadline fired or
 * undici's headers/body timeout did, otherwise `NETWORK` with `details.errno`. Shared by every HTTP path.
 */
export function transportError(err: unknown, what: string, ms: number, timedOut: boolean): QQBotError {
  const errno = errnoOf(err);
  if (timedOut || errno === 'UND_ERR_HEADERS_TIMEOUT' || errno === 'UND_ERR_BODY_TIMEOUT') {
    return new QQBotError(ErrorCodes.HTTP_TIMEOUT, `${what} timed out after ${ms} ms`, { retryable: true, cause: err, details: { ms } });
  }
  return new QQBotError(ErrorCodes.NETWORK, `${what} failed: ${errno ?? 'network error'}`, {
    retryable: errno === undefined || NETWORK_CODES.has(errno) || errno.startsWith('UND_ERR'),
    cause: err,
    details: { errno: errno ?? null },
  });
}

/**
 * The body of an answer: `undefined` when empty, else parsed JSON. A 2xx body that is not JSON is `BAD_RESPONSE`
 * (never a silent value). For any other status such a body (a proxy's HTML 502) is `undefined`: the status says
 * what happened, and the caller classifies by it, as it does for an empty error body.
 */
export function parseJsonBody(text: string, status: number, what: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (status < 200 || status >= 300) return undefined;
    throw new QQBotError(ErrorCodes.BAD_RESPONSE, `${what} answered HTTP ${status} with a body that is not JSON`, {
      retryable: false,
      details: { status },
    });
  }
}

/**
 * One JSON call over undici with one deadline. Every failure becomes a {@link QQBotError}: `HTTP_TIMEOUT`,
 * `NETWORK`, `ABORTED`, or `BAD_RESPONSE` for a 2xx answer whose body is not JSON. Any other status is returned,
 * not thrown, with `body` parsed, or `undefined` when it is empty or not JSON: the caller classifies the answer
 * by the body's `code` when there is one, else by the status.
 */
export async function requestJson(url: string, req: JsonRequest): Promise<JsonResponse> {
  if (req.signal?.aborted === true) throw new QQBotError(ErrorCodes.ABORTED, `${req.what} was aborted`, { retryable: false, cause: req.signal.reason });
  // A plain timer, not AbortSignal.timeout (measured at ~20 µs a call, see docs/rest.md).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const onCallerAbort = (): void => controller.abort();
  req.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let payload: string | undefined;
  if (req.body !== undefined) {
    payload = JSON.stringify(req.body);
    headers['content-type'] = 'application/json';
  }
  try {
    const res = await request(url, {
      method: req.method,
      headers,
      body: payload ?? null,
      signal: controller.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      // Token and /gateway/bot calls are rare: keep no idle socket behind (in a worker it would outlive the task).
      reset: true,
      ...(req.dispatcher === undefined ? {} : { dispatcher: req.dispatcher }),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: parseJsonBody(text, res.statusCode, req.what) };
  } catch (err) {
    if (err instanceof QQBotError) throw err;
    if (isAborted(req.signal)) throw new QQBotError(ErrorCodes.ABORTED, `${req.what} was aborted`, { retryable: false, cause: err });
    throw transportError(err, req.what, req.timeoutMs, timedOut);
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onCallerAbort);
  }
}
