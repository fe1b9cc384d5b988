import { invalidOption } from '../errors.js';
import {
  DEFAULT_ENDPOINTS,
  resolveCredentials,
  resolveEndpoints,
  resolveLogger,
  resolveTimeouts,
  type EndpointOptions,
  type Logger,
  type TimeoutOptions,
} from '../options/shared.js';
import { httpUrl, integerOption, isObject, optionKeys, rejectUnknownKeys, section } from '../options/checks.js';
import { REPLY_TRACKER_KEYS, type ReplyTrackerOptions } from '../replies/passive-reply.js';
import { DEFAULT_PACING, type PacingOptions } from './pacing.js';
import { DEFAULT_UPLOAD, MAX_INLINE_BYTES, type UploadOptions } from './chunked-upload.js';

/**
 * The options of `QQOpenAPI`, checked once here; the client and its parts take the resolved values and
 * never check them again (the connector builds them from its own resolved options).
 * @module
 */

export interface RetryOptions {
  /**
   * Retries after the first attempt for 429, 5xx, timeouts and connection resets. Guild sends (channel, DM) have
   * no `msg_seq` to dedupe them, so they are retried only after a 429 or a connection that never opened. A token
   * refusal (401 / 11244) gets its own single retry on top.
   * @defaultValue `2`
   */
  retries?: number;
  /**
   * Backoff base: retry n waits a random time in `[0, min(maxDelayMs, minDelayMs · 2^(n-1))]` (full jitter).
   * @defaultValue `200`
   */
  minDelayMs?: number;
  /**
   * Backoff cap; also caps a `Retry-After` header.
   * @defaultValue `2_000`
   */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY = {
  retries: 2,
  minDelayMs: 200,
  maxDelayMs: 2_000,
} as const satisfies Required<RetryOptions>;

/**
 * What the client needs from a token manager; `TokenManager` is one. `get()` returns a usable token
 * (sharing any fetch in flight); `refresh(rejected)` replaces a token the platform refused, once for all callers.
 */
export interface TokenSource {
  readonly appId: string;
  get(): Promise<string>;
  refresh(rejected?: string): Promise<string>;
}

/** Options shared by both ways to build a `QQOpenAPI`. */
interface CommonOpenAPIOptions {
  /** `timeouts.httpMs` bounds each attempt (connect, headers and body). Other fields are ignored here. */
  timeouts?: TimeoutOptions;
  retry?: RetryOptions;
  logger?: Logger;
  /** Passed to the `ReplyTracker` behind `reply()`. */
  replies?: ReplyTrackerOptions;
  /** Per-target send queues and rate-limit waits. */
  pacing?: PacingOptions;
  /** Media uploads: when the chunked protocol takes over from an inline body. */
  upload?: UploadOptions;
}

/** Standalone use: the client makes its own `TokenManager` from the credentials. */
export interface QQOpenAPIOptions extends CommonOpenAPIOptions {
  appId: string;
  /** Kept inside the token manager; never logged, never in an error. */
  secret: string;
  endpoints?: EndpointOptions;
}

/** For the connector: share its `TokenManager`, so REST and the gateway use one token and one refresh. */
export interface SharedTokenOpenAPIOptions extends CommonOpenAPIOptions {
  /** The OpenAPI origin. @defaultValue `'https://api.sgroup.qq.com'` */
  apiBase?: string;
}

/** The client's options, resolved: what its internal constructor takes. */
export interface ResolvedOpenAPIOptions {
  apiBase: string;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  logger: Logger | undefined;
  replies: ReplyTrackerOptions;
  pacing: Required<PacingOptions>;
  upload: Required<UploadOptions>;
}

/** The keys each way of building a client accepts; the compiler checks each table against its interface. */
const COMMON = { timeouts: true, retry: true, logger: true, replies: true, pacing: true, upload: true } as const;
const STANDALONE_KEYS = optionKeys<QQOpenAPIOptions>({ appId: true, secret: true, endpoints: true, ...COMMON });
const SHARED_TOKEN_KEYS = optionKeys<SharedTokenOpenAPIOptions>({ apiBase: true, ...COMMON });
const RETRY_KEYS = Object.keys(DEFAULT_RETRY);

/** Checks a `retry` object (p-retry style: once, at construction). */
export function resolveRetry(value: unknown): Required<RetryOptions> {
  const r = section('retry', value, RETRY_KEYS);
  const retry = {
    retries: integerOption('retry.retries', r.retries, DEFAULT_RETRY.retries, 0, 10),
    minDelayMs: integerOption('retry.minDelayMs', r.minDelayMs, DEFAULT_RETRY.minDelayMs, 0, 60_000),
    maxDelayMs: integerOption('retry.maxDelayMs', r.maxDelayMs, DEFAULT_RETRY.maxDelayMs, 0, 300_000),
  };
  if (retry.maxDelayMs < retry.minDelayMs)
    throw invalidOption('Expected `retry.maxDelayMs` to be ≥ `retry.minDelayMs`');
  return retry;
}

function resolveCommon(options: Record<string, unknown>, apiBase: string): ResolvedOpenAPIOptions {
  return {
    apiBase,
    timeoutMs: resolveTimeouts(options.timeouts).httpMs,
    retry: resolveRetry(options.retry),
    logger: resolveLogger(options.logger),
    replies: section('replies', options.replies, REPLY_TRACKER_KEYS) as ReplyTrackerOptions,
    pacing: resolvePacing(options.pacing),
    upload: resolveUpload(options.upload),
  };
}

/** Checks a `pacing` object. */
export function resolvePacing(value: unknown): Required<PacingOptions> {
  const p = section('pacing', value, Object.keys(DEFAULT_PACING));
  return {
    maxQueued: integerOption('pacing.maxQueued', p.maxQueued, DEFAULT_PACING.maxQueued, 0),
    rateLimitRetries: integerOption(
      'pacing.rateLimitRetries',
      p.rateLimitRetries,
      DEFAULT_PACING.rateLimitRetries,
      0,
      100,
    ),
    maxWaitMs: integerOption('pacing.maxWaitMs', p.maxWaitMs, DEFAULT_PACING.maxWaitMs, 0, 3_600_000),
    concurrencyPerTarget: integerOption(
      'pacing.concurrencyPerTarget',
      p.concurrencyPerTarget,
      DEFAULT_PACING.concurrencyPerTarget,
      1,
      1_000,
    ),
  };
}

/** Checks an `upload` object. */
export function resolveUpload(value: unknown): Required<UploadOptions> {
  const u = section('upload', value, Object.keys(DEFAULT_UPLOAD));
  return {
    chunkedAboveBytes: integerOption(
      'upload.chunkedAboveBytes',
      u.chunkedAboveBytes,
      DEFAULT_UPLOAD.chunkedAboveBytes,
      0,
      MAX_INLINE_BYTES,
    ),
  };
}

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
  rejectUnknownKeys('', options, STANDALONE_KEYS);
  const { appId, secret } = resolveCredentials(options);
  const endpoints = resolveEndpoints(options.endpoints);
  return { ...resolveCommon(options, endpoints.api), appId, secret, tokenUrl: endpoints.token };
}

/** Options of `QQOpenAPI.fromTokenManager`, with the token source checked. */
export function resolveSharedTokenOptions(tokens: unknown, options: unknown): ResolvedOpenAPIOptions {
  if (!isTokenSource(tokens)) throw invalidOption('Expected a TokenManager (appId, get and refresh)');
  if (!isObject(options)) throw invalidOption('Expected options to be an object');
  rejectUnknownKeys('', options, SHARED_TOKEN_KEYS);
  const apiBase = options.apiBase === undefined ? DEFAULT_ENDPOINTS.api : httpUrl('apiBase', options.apiBase);
  return resolveCommon(options, apiBase);
}
