import { ErrorCodes, QQBotError } from '../errors.js';
import { authorization } from './authorization.js';
import { requestJson } from './request-json.js';

/** A `GET /gateway/bot` answer, field by field; a number is `undefined` when missing or not a finite number. */
interface GatewayBotReading {
  url: string;
  shards: number | undefined;
  /** `session_start_limit.total`. */
  total: number | undefined;
  /** `session_start_limit.remaining`. */
  remaining: number | undefined;
  /** `session_start_limit.reset_after`, in ms. */
  resetAfterMs: number | undefined;
  /** `session_start_limit.max_concurrency`: sessions that may start per 5 s. */
  maxConcurrency: number | undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The one reader of a `GET /gateway/bot` body. `undefined` without a non-empty `url`, or when
 * `session_start_limit` is there but not an object. How much else is required is the caller's choice: the
 * worker takes the limits it finds ({@link fetchGatewayBot}), `QQOpenAPI.getGatewayBot` requires them all.
 */
export function readGatewayBot(body: unknown): GatewayBotReading | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.url !== 'string' || b.url === '') return undefined;
  const limit = b.session_start_limit;
  if (limit !== undefined && (typeof limit !== 'object' || limit === null)) return undefined;
  const l = (limit ?? {}) as Record<string, unknown>;
  return {
    url: b.url,
    shards: finite(b.shards),
    total: finite(l.total),
    remaining: finite(l.remaining),
    resetAfterMs: finite(l.reset_after),
    maxConcurrency: finite(l.max_concurrency),
  };
}

interface GatewayFetchResult {
  url: string;
  /** The recommended shard count; `undefined` when not reported. */
  shards: number | undefined;
  /** `undefined` when the answer has no `session_start_limit`. */
  remaining: number | undefined;
  resetAfterMs: number | undefined;
  /** Sessions that may start per 5 s; `undefined` when not reported. */
  maxConcurrency: number | undefined;
}

/**
 * `GET /gateway/bot`. Never returns nothing: a timeout, a refusal or a malformed answer is a
 * {@link QQBotError} (the seed bug was an SDK returning `None` here).
 */
export async function fetchGatewayBot(
  apiBase: string,
  accessToken: string,
  appId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<GatewayFetchResult> {
  const res = await requestJson(`${apiBase}/gateway/bot`, {
    method: 'GET',
    headers: { authorization: authorization(accessToken), 'x-union-appid': appId },
    timeoutMs,
    signal,
    what: 'GET /gateway/bot',
  });
  if (res.status < 200 || res.status >= 300) {
    throw new QQBotError(ErrorCodes.GATEWAY_UNAVAILABLE, `GET /gateway/bot answered HTTP ${res.status}`, {
      retryable: true,
      details: { status: res.status },
    });
  }
  const info = readGatewayBot(res.body);
  if (info === undefined) {
    throw new QQBotError(ErrorCodes.BAD_RESPONSE, 'GET /gateway/bot answered without a gateway url', {
      retryable: true,
      details: { status: res.status },
    });
  }
  return {
    url: info.url,
    shards: info.shards,
    remaining: info.remaining,
    resetAfterMs: info.resetAfterMs,
    maxConcurrency: info.maxConcurrency,
  };
}
