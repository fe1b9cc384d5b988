import type { Dispatcher } from 'undici';
import { ErrorCodes, QQBotError } from '../errors.js';
import { raceAbort } from '../util/abort.js';
import { readErrorBody } from './api-error.js';
import { requestJson } from './request-json.js';

/** Token endpoint codes that mean the appId/secret pair is wrong: never retried (docs/protocol.md §1). */
const CREDENTIAL_CODES: ReadonlySet<number> = new Set([100007, 100016]);
/** Token endpoint code for "too many requests". */
const RATE_LIMIT_CODE = 100001;
/** How long to wait after a token rate limit. */
const TOKEN_RATE_LIMIT_DELAY_MS = 60_000;
/**
 * The platform returns the same token until the last 60 s before expiry and a new one inside that window;
 * we ask for a new one this long before expiry, which lands inside it.
 */
export const REFRESH_AHEAD_MS = 50_000;

/**
 * Access tokens for one bot, as the REST client and a shard's retry loop use them; {@link TokenManager} is one.
 * `get()` returns a usable token (sharing any fetch in flight); `refresh(rejected)` replaces a token the platform
 * refused, once for all callers. A `signal` stops only its caller's wait: the shared fetch goes on for the others.
 */
export interface TokenSource {
  /** The bot's AppID, sent beside the token. */
  readonly appId: string;
  get(signal?: AbortSignal): Promise<string>;
  /** `rejected` was refused by the platform: a new one unless someone already fetched it. */
  refresh(rejected?: string, signal?: AbortSignal): Promise<string>;
}

interface TokenManagerOptions {
  appId: string;
  secret: string;
  /** The token endpoint URL. */
  url: string;
  timeoutMs: number;
  dispatcher?: Dispatcher | undefined;
  /** Injectable clock for tests. @defaultValue `Date.now` */
  now?: () => number;
}

interface AccessToken {
  value: string;
  /** Epoch ms. */
  expiresAt: number;
}

function parseExpiresIn(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * Holds the app secret (in a private field, so `util.inspect` never shows it) and turns it into access tokens:
 * refreshed ahead of expiry, one request at a time however many callers wait (single-flight).
 */
export class TokenManager implements TokenSource {
  readonly #secret: string;
  readonly #options: Omit<TokenManagerOptions, 'secret'>;
  readonly #now: () => number;
  #current: AccessToken | undefined;
  #inflight: Promise<AccessToken> | undefined;

  constructor(options: TokenManagerOptions) {
    const { secret, ...rest } = options;
    this.#secret = secret;
    this.#options = rest;
    this.#now = options.now ?? Date.now;
  }

  get appId(): string {
    return this.#options.appId;
  }

  /** A token valid for a while yet: the cached one, or a fresh one. */
  async get(signal?: AbortSignal): Promise<string> {
    const current = this.#current;
    if (current !== undefined && current.expiresAt - REFRESH_AHEAD_MS > this.#now()) return current.value;
    return (await this.#waitFor(this.#fetchOnce(), signal)).value;
  }

  /**
   * The server rejected `rejected` (401, 11244, 4004): fetch a new one unless someone already did.
   * Concurrent callers that saw the same rejected token share one refresh.
   */
  async refresh(rejected?: string, signal?: AbortSignal): Promise<string> {
    if (rejected !== undefined && this.#current !== undefined && this.#current.value !== rejected)
      return this.#current.value;
    // Ask inside the platform's renewal window so we get a new token rather than the same one.
    this.#current = undefined;
    return (await this.#waitFor(this.#fetchOnce(), signal)).value;
  }

  /**
   * The cached token without any I/O, if there is one.
   * @internal For tests; not part of the API.
   */
  peek(): AccessToken | undefined {
    return this.#current === undefined ? undefined : { ...this.#current };
  }

  /** One fetch for every caller; it is bounded by `timeoutMs`, never by one caller's signal. */
  #fetchOnce(): Promise<AccessToken> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** A caller that aborts stops waiting (`ABORTED`); the shared fetch goes on for the others. */
  #waitFor(shared: Promise<AccessToken>, signal: AbortSignal | undefined): Promise<AccessToken> {
    if (signal === undefined) return shared;
    return raceAbort(
      shared,
      [signal],
      (s) =>
        new QQBotError(ErrorCodes.ABORTED, 'waiting for an access token was aborted', {
          retryable: false,
          cause: s.reason,
        }),
    );
  }

  async #fetch(): Promise<AccessToken> {
    const res = await requestJson(this.#options.url, {
      method: 'POST',
      body: { appId: this.#options.appId, clientSecret: this.#secret },
      timeoutMs: this.#options.timeoutMs,
      dispatcher: this.#options.dispatcher,
      what: 'POST getAppAccessToken',
    });
    const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<string, unknown>;
    const qqCode = readErrorBody(res.body).code;
    // Classified by the body's code whatever the status: the platform may answer an error with 200.
    if (qqCode !== undefined && qqCode !== 0) {
      if (CREDENTIAL_CODES.has(qqCode)) {
        throw new QQBotError(
          ErrorCodes.CREDENTIALS_REFUSED,
          `the token endpoint refused the credentials for appId ${this.#options.appId} (code ${qqCode})`,
          {
            retryable: false,
            details: { qqCode, status: res.status },
          },
        );
      }
      throw new QQBotError(ErrorCodes.TOKEN_UNAVAILABLE, `the token endpoint answered code ${qqCode}`, {
        retryable: true,
        details: {
          qqCode,
          status: res.status,
          retryAfterMs: qqCode === RATE_LIMIT_CODE ? TOKEN_RATE_LIMIT_DELAY_MS : null,
        },
      });
    }
    const value = body.access_token;
    const expiresIn = parseExpiresIn(body.expires_in);
    if (res.status >= 200 && res.status < 300 && typeof value === 'string' && value !== '' && expiresIn !== undefined) {
      const token = { value, expiresAt: this.#now() + expiresIn * 1000 };
      this.#current = token;
      return token;
    }
    if (res.status >= 200 && res.status < 300) {
      throw new QQBotError(
        ErrorCodes.BAD_RESPONSE,
        'the token endpoint answered without a usable access_token/expires_in',
        {
          retryable: true,
          details: { status: res.status },
        },
      );
    }
    throw new QQBotError(ErrorCodes.TOKEN_UNAVAILABLE, `the token endpoint answered HTTP ${res.status}`, {
      retryable: true,
      details: { status: res.status, retryAfterMs: res.status === 429 ? TOKEN_RATE_LIMIT_DELAY_MS : null },
    });
  }
}
