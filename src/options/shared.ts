import { invalidOption } from '../errors.js';
import { isObject } from './checks.js';
import { custom, defaultsOf, integer, text, url, type OptionsOf, type ResolvedOf } from './schema.js';

/**
 * The option sections the connector and the standalone REST client (`QQOpenAPI`) both accept: credentials,
 * `endpoints`, `timeouts` and `logger`, each declared once as a shape (types, defaults, checks).
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

export const ENDPOINTS = {
  /**
   * The access-token endpoint.
   * @defaultValue `'https://bots.qq.com/app/getAppAccessToken'`
   */
  token: url({ default: 'https://bots.qq.com/app/getAppAccessToken' }),
  /**
   * The OpenAPI origin; `GET /gateway/bot` is fetched from it too.
   * @defaultValue `'https://api.sgroup.qq.com'`
   */
  api: url({ default: 'https://api.sgroup.qq.com' }),
};

export const TIMEOUTS = {
  /**
   * Each HTTP call (token, `/gateway/bot`, OpenAPI): time until the whole answer is read.
   * @defaultValue `10_000`
   */
  httpMs: integer({ default: 10_000, min: 1 }),
  /**
   * Opening the gateway WebSocket (TCP + TLS + upgrade).
   * @defaultValue `10_000`
   */
  handshakeMs: integer({ default: 10_000, min: 1 }),
  /**
   * From the socket opening to the server's Hello (op 10).
   * @defaultValue `10_000`
   */
  helloMs: integer({ default: 10_000, min: 1 }),
  /**
   * From Identify/Resume to READY/RESUMED. During a RESUME every replayed event restarts this clock.
   * @defaultValue `15_000`
   */
  readyMs: integer({ default: 15_000, min: 1 }),
  /**
   * A worker whose event loop has not ticked for this long is hung: it is terminated and the session resumed.
   * @defaultValue `5_000`
   */
  watchdogMs: integer({ default: 5_000, min: 100 }),
  /**
   * Deadline for a control call to a worker (`status`, `shutdown`); on a dead worker it rejects at once.
   * @defaultValue `2_000`
   */
  controlMs: integer({ default: 2_000, min: 1 }),
};

export type EndpointOptions = OptionsOf<typeof ENDPOINTS>;
export type TimeoutOptions = OptionsOf<typeof TIMEOUTS>;
export type ResolvedEndpoints = ResolvedOf<typeof ENDPOINTS>;
export type ResolvedTimeouts = ResolvedOf<typeof TIMEOUTS>;

export const DEFAULT_ENDPOINTS: Readonly<ResolvedEndpoints> = Object.freeze(defaultsOf(ENDPOINTS));
export const DEFAULT_TIMEOUTS: Readonly<ResolvedTimeouts> = Object.freeze(defaultsOf(TIMEOUTS));

/** A `logger`: absent, or an object with pino's four methods. */
export const LOGGER = custom<Logger, Logger | undefined>(
  (value) => {
    if (!isObject(value) || !['debug', 'info', 'warn', 'error'].every((m) => typeof value[m] === 'function')) {
      throw invalidOption('Expected `logger` to have debug, info, warn and error methods (pino-compatible)');
    }
    return value as unknown as Logger;
  },
  { default: undefined },
);

/** The credentials pair; the secret's value never appears in a message. */
export const CREDENTIALS = {
  /** The bot's AppID from the QQ developer console. */
  appId: text(),
  /** The bot's AppSecret. Stays on the main thread; never logged, never sent to a worker. */
  secret: text(),
};
