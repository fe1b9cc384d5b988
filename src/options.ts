import type { ResourceLimits } from 'node:worker_threads';
import { invalidOption } from './errors.js';
import { ALL_INTENTS } from './protocol/intents.js';

/** A pino-compatible logger: any object with these four methods. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** pino's: when present, debug text is only built while the debug level is on. */
  isLevelEnabled?(level: string): boolean;
}

export interface EndpointOptions {
  /**
   * The access-token endpoint.
   * @defaultValue `'https://bots.qq.com/app/getAppAccessToken'`
   */
  token?: string;
  /**
   * The OpenAPI origin; `GET /gateway/bot` is fetched from it too.
   * @defaultValue `'https://api.sgroup.qq.com'`
   */
  api?: string;
}

export interface TimeoutOptions {
  /**
   * Each HTTP call (token, `/gateway/bot`, OpenAPI): time until the whole answer is read.
   * @defaultValue `10_000`
   */
  httpMs?: number;
  /**
   * Opening the gateway WebSocket (TCP + TLS + upgrade).
   * @defaultValue `10_000`
   */
  handshakeMs?: number;
  /**
   * From the socket opening to the server's Hello (op 10).
   * @defaultValue `10_000`
   */
  helloMs?: number;
  /**
   * From Identify/Resume to READY/RESUMED. During a RESUME every replayed event restarts this clock.
   * @defaultValue `15_000`
   */
  readyMs?: number;
  /**
   * A worker whose event loop has not ticked for this long is hung: it is terminated and the session resumed.
   * @defaultValue `5_000`
   */
  watchdogMs?: number;
  /**
   * Deadline for a control call to a worker (`status`, `shutdown`); on a dead worker it rejects at once.
   * @defaultValue `2_000`
   */
  controlMs?: number;
}

export interface RestartOptions {
  /**
   * The backoff's base: the second failure in a row waits up to this long (full jitter); the first retries at once.
   * @defaultValue `250`
   */
  minDelayMs?: number;
  /**
   * The backoff's cap.
   * @defaultValue `30_000`
   */
  maxDelayMs?: number;
  /**
   * More than this many restarts within `windowMs` is fatal (`QQBOT_RESTART_BUDGET`).
   * @defaultValue `10`
   */
  maxRestarts?: number;
  /**
   * The restart budget's sliding window.
   * @defaultValue `60_000`
   */
  windowMs?: number;
  /**
   * A session that stays up this long resets the backoff.
   * @defaultValue `30_000`
   */
  stableAfterMs?: number;
}

export interface QQBotConnectorOptions {
  /** The bot's AppID from the QQ developer console. */
  appId: string;
  /** The bot's AppSecret. Stays on the main thread; never logged, never sent to a worker. */
  secret: string;
  /**
   * OR of {@link Intents} bits.
   * @example `Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES`
   */
  intents: number;
  /**
   * How many shards to open; each runs in its own worker thread.
   * @defaultValue `1`
   */
  shards?: number;
  endpoints?: EndpointOptions;
  timeouts?: TimeoutOptions;
  restart?: RestartOptions;
  /** Limits for each worker thread (e.g. `maxOldGenerationSizeMb`); a worker that exceeds them is restarted. */
  resourceLimits?: ResourceLimits;
  /**
   * How many recent event ids are remembered to drop duplicate deliveries.
   * @defaultValue `2_048`
   */
  dedupeWindow?: number;
  /**
   * Largest gateway frame accepted, in bytes; a larger one closes the socket (1009) and the session resumes.
   * @defaultValue `16_777_216` (16 MiB)
   */
  maxPayloadBytes?: number;
  /** Receives the connector's log lines; silent when absent. The `'debug'` event carries the same text. */
  logger?: Logger;
}

export const DEFAULT_ENDPOINTS = {
  token: 'https://bots.qq.com/app/getAppAccessToken',
  api: 'https://api.sgroup.qq.com',
} as const satisfies Required<EndpointOptions>;

export const DEFAULT_TIMEOUTS = {
  httpMs: 10_000,
  handshakeMs: 10_000,
  helloMs: 10_000,
  readyMs: 15_000,
  watchdogMs: 5_000,
  controlMs: 2_000,
} as const satisfies Required<TimeoutOptions>;

export const DEFAULT_RESTART = {
  minDelayMs: 250,
  maxDelayMs: 30_000,
  maxRestarts: 10,
  windowMs: 60_000,
  stableAfterMs: 30_000,
} as const satisfies Required<RestartOptions>;

export const DEFAULT_OPTIONS = {
  shards: 1,
  dedupeWindow: 2_048,
  maxPayloadBytes: 16 * 1024 * 1024,
} as const satisfies Partial<QQBotConnectorOptions>;

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  appId: string;
  secret: string;
  intents: number;
  shards: number;
  endpoints: Required<EndpointOptions>;
  timeouts: Required<TimeoutOptions>;
  restart: Required<RestartOptions>;
  resourceLimits: ResourceLimits | undefined;
  dedupeWindow: number;
  maxPayloadBytes: number;
  logger: Logger | undefined;
}

/** A plain object (not null, not an array): what every options object must be. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidOption(`Expected \`${name}\` to be a non-empty string`);
  return value;
}

function httpUrl(name: string, value: unknown): string {
  const text = nonEmptyString(name, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidOption(`Expected \`${name}\` to be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidOption(`Expected \`${name}\` to be an http(s) URL`);
  return text.replace(/\/+$/, '');
}

/** p-retry style: one helper for every numeric option; `name` is the option's full path (`retry.retries`). */
export function integerOption(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidOption(`Expected \`${name}\` to be an integer`);
  if (value < min) throw invalidOption(`Expected \`${name}\` to be ≥ ${min}`);
  if (value > max) throw invalidOption(`Expected \`${name}\` to be ≤ ${max}`);
  return value;
}

/** An optional options object: `{}` when absent, else it must be an object. */
export function section(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) throw invalidOption(`Expected \`${name}\` to be an object`);
  return value;
}

/** Checks a `logger`: absent, or an object with pino's four methods. */
export function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !['debug', 'info', 'warn', 'error'].every((m) => typeof value[m] === 'function')) {
    throw invalidOption('Expected `logger` to have debug, info, warn and error methods (pino-compatible)');
  }
  return value as unknown as Logger;
}

const RESOURCE_LIMIT_KEYS = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

/** `worker_threads` resource limits: known keys only (a typo would silently limit nothing), positive numbers. */
function resolveResourceLimits(value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalidOption('Expected `resourceLimits` to be an object');
  const limits: ResourceLimits = {};
  for (const [key, limit] of Object.entries(value)) {
    if (!(RESOURCE_LIMIT_KEYS as readonly string[]).includes(key)) {
      throw invalidOption(`Unknown \`resourceLimits.${key}\`; expected one of ${RESOURCE_LIMIT_KEYS.join(', ')}`);
    }
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) throw invalidOption(`Expected \`resourceLimits.${key}\` to be a positive number`);
    limits[key as (typeof RESOURCE_LIMIT_KEYS)[number]] = limit;
  }
  return limits;
}

/** Checks a `timeouts` object; shared by the connector and the standalone OpenAPI client. */
export function resolveTimeouts(value: unknown): Required<TimeoutOptions> {
  const t = section('timeouts', value);
  return {
    httpMs: integerOption('timeouts.httpMs', t.httpMs, DEFAULT_TIMEOUTS.httpMs, 1),
    handshakeMs: integerOption('timeouts.handshakeMs', t.handshakeMs, DEFAULT_TIMEOUTS.handshakeMs, 1),
    helloMs: integerOption('timeouts.helloMs', t.helloMs, DEFAULT_TIMEOUTS.helloMs, 1),
    readyMs: integerOption('timeouts.readyMs', t.readyMs, DEFAULT_TIMEOUTS.readyMs, 1),
    watchdogMs: integerOption('timeouts.watchdogMs', t.watchdogMs, DEFAULT_TIMEOUTS.watchdogMs, 100),
    controlMs: integerOption('timeouts.controlMs', t.controlMs, DEFAULT_TIMEOUTS.controlMs, 1),
  };
}

/** Checks an `endpoints` object; shared by the connector and the standalone OpenAPI client. */
export function resolveEndpoints(value: unknown): Required<EndpointOptions> {
  const e = section('endpoints', value);
  return {
    token: e.token === undefined ? DEFAULT_ENDPOINTS.token : httpUrl('endpoints.token', e.token),
    api: e.api === undefined ? DEFAULT_ENDPOINTS.api : httpUrl('endpoints.api', e.api),
  };
}

/** Checks the credentials pair; the secret's value never appears in a message. */
export function resolveCredentials(options: Record<string, unknown>): { appId: string; secret: string } {
  return { appId: nonEmptyString('appId', options.appId), secret: nonEmptyString('secret', options.secret) };
}

/** Validates once, at construction (undici/pino style). Messages name the option, never its secret value. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (!isObject(input)) throw invalidOption('Expected options to be an object with appId, secret and intents');
  const { appId, secret } = resolveCredentials(input);
  const intents = input.intents;
  // Bitwise checks below truncate to 32 bits: reject anything larger first.
  if (typeof intents !== 'number' || !Number.isInteger(intents) || intents <= 0 || intents > 0x7fff_ffff) {
    throw invalidOption('Expected `intents` to be a positive integer: OR the bits of `Intents`');
  }
  if ((intents & ~ALL_INTENTS) !== 0) throw invalidOption(`Expected \`intents\` to use only known bits; unknown: ${intents & ~ALL_INTENTS}`);

  const r = section('restart', input.restart);
  const restart = {
    minDelayMs: integerOption('restart.minDelayMs', r.minDelayMs, DEFAULT_RESTART.minDelayMs, 0),
    maxDelayMs: integerOption('restart.maxDelayMs', r.maxDelayMs, DEFAULT_RESTART.maxDelayMs, 0),
    maxRestarts: integerOption('restart.maxRestarts', r.maxRestarts, DEFAULT_RESTART.maxRestarts, 0),
    windowMs: integerOption('restart.windowMs', r.windowMs, DEFAULT_RESTART.windowMs, 1),
    stableAfterMs: integerOption('restart.stableAfterMs', r.stableAfterMs, DEFAULT_RESTART.stableAfterMs, 0),
  };
  if (restart.maxDelayMs < restart.minDelayMs) throw invalidOption('Expected `restart.maxDelayMs` to be ≥ `restart.minDelayMs`');

  const resourceLimits = resolveResourceLimits(input.resourceLimits);

  return {
    appId,
    secret,
    intents,
    shards: integerOption('shards', input.shards, DEFAULT_OPTIONS.shards, 1, 1024),
    endpoints: resolveEndpoints(input.endpoints),
    timeouts: resolveTimeouts(input.timeouts),
    restart,
    resourceLimits,
    dedupeWindow: integerOption('dedupeWindow', input.dedupeWindow, DEFAULT_OPTIONS.dedupeWindow, 1, 1_000_000),
    maxPayloadBytes: integerOption('maxPayloadBytes', input.maxPayloadBytes, DEFAULT_OPTIONS.maxPayloadBytes, 1024),
    logger: resolveLogger(input.logger),
  };
}
