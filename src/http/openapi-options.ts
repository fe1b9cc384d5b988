import { invalidOption } from '../errors.js';
import { CREDENTIALS, DEFAULT_ENDPOINTS, ENDPOINTS, LOGGER, TIMEOUTS } from '../options/shared.js';
import { isObject } from '../options/checks.js';
import { defaultsOf, integer, resolve, section, url, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import { REPLY_TRACKER } from '../replies/passive-reply.js';
import { PACING } from './pacing.js';
import { UPLOAD } from './chunked-upload.js';
import type { TokenSource } from './token-manager.js';

/**
 * The options of `QQOpenAPI`, declared once as shapes (`options/schema.ts`) and checked once here; the client and
 * its parts take the resolved values and never check them again (the connector builds them from its own resolved
 * options).
 * @module
 */

const RETRY = {
  /**
   * Retries after the first attempt for 429, 5xx, timeouts and connection resets. Guild sends (channel, DM) have
   * no `msg_seq` to dedupe them, so they are retried only after a 429 or a connection that never opened. A token
   * refusal (401 / 11244) gets its own single retry on top.
   * @defaultValue `2`
   */
  retries: integer({ default: 2, min: 0, max: 10 }),
  /**
   * Backoff base: retry n waits a random time in `[0, min(maxDelayMs, minDelayMs · 2^(n-1))]` (full jitter).
   * @defaultValue `200`
   */
  minDelayMs: integer({ default: 200, min: 0, max: 60_000 }),
  /**
   * Backoff cap; also caps a `Retry-After` header.
   * @defaultValue `2_000`
   */
  maxDelayMs: integer({ default: 2_000, min: 0, max: 300_000 }),
};

export type RetryOptions = OptionsOf<typeof RETRY>;
export type ResolvedRetry = ResolvedOf<typeof RETRY>;
export const DEFAULT_RETRY: Readonly<ResolvedRetry> = Object.freeze(defaultsOf(RETRY));

const RETRY_SECTION = section(RETRY, (retry, path) => {
  if (retry.maxDelayMs < retry.minDelayMs)
    throw invalidOption(`Expected \`${path}.maxDelayMs\` to be ≥ \`${path}.minDelayMs\``);
});

/** Checks a `retry` object (p-retry style: once, at construction). */
export function resolveRetry(value: unknown): ResolvedRetry {
  return RETRY_SECTION.resolve(value, 'retry');
}

/** The options both ways to build a `QQOpenAPI` take. */
const COMMON = {
  /**
   * `timeouts.httpMs` bounds each attempt (connect, headers and body) and the token request. The other fields
   * are checked but not used here.
   * @defaultValue `{ httpMs: 10_000 }`
   */
  timeouts: section(TIMEOUTS),
  /**
   * Retries of a failed call, with full-jitter backoff.
   * @defaultValue `{ retries: 2, minDelayMs: 200, maxDelayMs: 2_000 }`
   */
  retry: RETRY_SECTION,
  /** Receives the client's log lines. @defaultValue none: silent */
  logger: LOGGER,
  /**
   * The passive-reply rules behind `reply()`.
   * @defaultValue `{ maxReplies: 5, maxTracked: 10_000 }`, counts in memory
   */
  replies: section(REPLY_TRACKER),
  /**
   * Per-target send queues and rate-limit waits.
   * @defaultValue `{ maxQueued: 10_000, rateLimitRetries: 6, maxWaitMs: 60_000, concurrencyPerTarget: 4 }`
   */
  pacing: section(PACING),
  /**
   * Media uploads: when the chunked protocol takes over from an inline body.
   * @defaultValue `{ chunkedAboveBytes: 5 * 1024 * 1024 }`
   */
  upload: section(UPLOAD),
};

/** Standalone use: the client makes its own `TokenManager` from the credentials. */
const OPENAPI = {
  ...CREDENTIALS,
  /**
   * The token endpoint and the OpenAPI origin.
   * @defaultValue the production endpoints
   */
  endpoints: section(ENDPOINTS),
  ...COMMON,
};

/** For the connector: share its `TokenManager`, so REST and the gateway use one token and one refresh. */
const SHARED_TOKEN_OPENAPI = {
  /** The OpenAPI origin. @defaultValue `'https://api.sgroup.qq.com'` */
  apiBase: url({ default: DEFAULT_ENDPOINTS.api }),
  ...COMMON,
};

export type QQOpenAPIOptions = OptionsOf<typeof OPENAPI>;
export type SharedTokenOpenAPIOptions = OptionsOf<typeof SHARED_TOKEN_OPENAPI>;
/** The client's options, resolved: what its internal constructor takes. */
export type ResolvedOpenAPIOptions = ResolvedOf<typeof SHARED_TOKEN_OPENAPI>;

function isTokenSource(value: unknown): value is TokenSource {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return typeof t.appId === 'string' && typeof t.get === 'function' && typeof t.refresh === 'function';
}

/** Standalone options: the resolved client options plus what its own token manager needs. */
export function resolveStandaloneOptions(
  options: unknown,
): ResolvedOpenAPIOptions & { appId: string; secret: string; tokenUrl: string } {
  if (!isObject(options)) throw invalidOption('Expected options to be an object with appId and secret');
  const { endpoints, ...resolved } = resolve(OPENAPI, options, '');
  return { ...resolved, apiBase: endpoints.api, tokenUrl: endpoints.token };
}

/** Options of `QQOpenAPI.fromTokenManager`, with the token source checked. */
export function resolveSharedTokenOptions(tokens: unknown, options: unknown): ResolvedOpenAPIOptions {
  if (!isTokenSource(tokens)) throw invalidOption('Expected a TokenManager (appId, get and refresh)');
  if (!isObject(options)) throw invalidOption('Expected options to be an object');
  return resolve(SHARED_TOKEN_OPENAPI, options, '');
}
