import { request, type Dispatcher } from 'undici';
import { ErrorCodes, QQBotError } from '../errors.js';

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
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * One JSON call over undici with one deadline. Every failure becomes a {@link QQBotError}: `HTTP_TIMEOUT`,
 * `NETWORK`, `ABORTED` or `BAD_RESPONSE` (non-JSON). HTTP error statuses are returned, not thrown: the
 * caller classifies them by the body's `code`.
 */
export async function requestJson(url: string, req: JsonRequest): Promise<JsonResponse> {
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal === undefined ? deadline : AbortSignal.any([deadline, req.signal]);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let payload: string | undefined;
  if (req.body !== undefined) {
    payload = JSON.stringify(req.body);
    headers['content-type'] = 'application/json';
  }
  let text: string;
  let status: number;
  let resHeaders: JsonResponse['headers'];
  try {
    const res = await request(url, {
      method: req.method,
      headers,
      body: payload ?? null,
      signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      // Token and /gateway/bot calls are rare: keep no idle socket behind (in a worker it would outlive the task).
      reset: true,
      ...(req.dispatcher === undefined ? {} : { dispatcher: req.dispatcher }),
    });
    status = res.statusCode;
    resHeaders = res.headers;
    text = await res.body.text();
  } catch (err) {
    if (req.signal?.aborted === true) {
      throw new QQBotError(ErrorCodes.ABORTED, `${req.what} was aborted`, { retryable: false, cause: err });
    }
    const code = codeOf(err);
    if (deadline.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      throw new QQBotError(ErrorCodes.HTTP_TIMEOUT, `${req.what} timed out after ${req.timeoutMs} ms`, {
        retryable: true,
        cause: err,
        details: { ms: req.timeoutMs },
      });
    }
    throw new QQBotError(ErrorCodes.NETWORK, `${req.what} failed: ${code ?? 'network error'}`, {
      retryable: code === undefined || NETWORK_CODES.has(code) || code.startsWith('UND_ERR'),
      cause: err,
      details: { errno: code ?? null },
    });
  }
  if (text.trim() === '') return { status, headers: resHeaders, body: undefined };
  try {
    return { status, headers: resHeaders, body: JSON.parse(text) as unknown };
  } catch {
    throw new QQBotError(ErrorCodes.BAD_RESPONSE, `${req.what} answered HTTP ${status} with a body that is not JSON`, {
      retryable: status >= 500 || status === 429,
      details: { status },
    });
  }
}
