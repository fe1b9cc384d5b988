import { invalidOption } from './errors.js';
import { httpUrl, integerOption, isObject, nonEmptyString, section } from './validation.js';

/**
 * The option sections the connector and the standalone REST client (`QQOpenAPI`) both accept: credentials,
 * `endpoints`, `timeouts` and `logger`. Their types, defaults and checks live here, once.
 * @module
 */

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

/** The keys each section accepts: its defaults name every one (they satisfy `Required<…>`). */
const ENDPOINT_KEYS = Object.keys(DEFAULT_ENDPOINTS);
const TIMEOUT_KEYS = Object.keys(DEFAULT_TIMEOUTS);

/** Checks a `logger`: absent, or an object with pino's four methods. */
export function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !['debug', 'info', 'warn', 'error'].every((m) => typeof value[m] === 'function')) {
    throw invalidOption('Expected `logger` to have debug, info, warn and error methods (pino-compatible)');
  }
  return value as unknown as Logger;
}

/** Checks a `timeouts` object; shared by the connector and the standalone OpenAPI client. */
export function resolveTimeouts(value: unknown): Required<TimeoutOptions> {
  const t = section('timeouts', value, TIMEOUT_KEYS);
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
  const e = section('endpoints', value, ENDPOINT_KEYS);
  return {
    token: e.token === undefined ? DEFAULT_ENDPOINTS.token : httpUrl('endpoints.token', e.token),
    api: e.api === undefined ? DEFAULT_ENDPOINTS.api : httpUrl('endpoints.api', e.api),
  };
}

/** Checks the credentials pair; the secret's value never appears in a message. */
export function resolveCredentials(options: Record<string, unknown>): { appId: string; secret: string } {
  return { appId: nonEmptyString('appId', options.appId), secret: nonEmptyString('secret', options.secret) };
}

