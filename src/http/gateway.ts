import { ErrorCodes, QQBotError } from '../errors.js';
import type { GatewayBotInfo } from '../protocol/payloads.js';
import { requestJson } from './request-json.js';

/** The `Authorization` header value for an access token. */
export function authorization(accessToken: string): string {
  return `QQBot ${accessToken}`;
}

function isGatewayBotInfo(body: unknown): body is GatewayBotInfo {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  if (typeof b.url !== 'string' || b.url === '') return false;
  const limit = b.session_start_limit;
  if (limit === undefined) return true;
  return typeof limit === 'object' && limit !== null;
}

export interface GatewayFetchResult {
  url: string;
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
export async function fetchGatewayBot(apiBase: string, accessToken: string, appId: string, timeoutMs: number, signal?: AbortSignal): Promise<GatewayFetchResult> {
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
  if (!isGatewayBotInfo(res.body)) {
    throw new QQBotError(ErrorCodes.BAD_RESPONSE, 'GET /gateway/bot answered without a gateway url', { retryable: true, details: { status: res.status } });
  }
  const limit = res.body.session_start_limit as Partial<GatewayBotInfo['session_start_limit']> | undefined;
  return {
    url: res.body.url,
    remaining: typeof limit?.remaining === 'number' ? limit.remaining : undefined,
    resetAfterMs: typeof limit?.reset_after === 'number' ? limit.reset_after : undefined,
    maxConcurrency: typeof limit?.max_concurrency === 'number' ? limit.max_concurrency : undefined,
  };
}
