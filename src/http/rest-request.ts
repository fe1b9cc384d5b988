import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { ErrorCodes, QQBotError } from '../errors.js';
import { fullJitterMs, raceAbort, sleepOrReject } from '../util/abort.js';
import { isObject } from '../options/checks.js';
import { QQApiError, classifyApiError, readErrorBody } from './api-error.js';
import { auditIdOf, badShape } from './answers.js';
import { authorization } from './authorization.js';
import type { ResolvedOpenAPIOptions, ResolvedRetry } from './openapi-options.js';
import type { TokenSource } from './token-manager.js';
import { Pacer, type LaneTicket } from './pacing.js';
import { exchange, type JsonResponse } from './request-json.js';

/**
 * The one place that decides how a REST call is carried out (undici's retry handler is the model): the token,
 * one deadline per attempt, which failures are retried and after how long, the single token refresh on
 * 401 / 11244, what a "duplicate" after a retry means, and the pacing of sends per target. Endpoint methods
 * only say what to call.
 * @module
 */

/** Sockets to the API origin; requests beyond this queue in the pool. */
const POOL_CONNECTIONS = 32;
const KEEP_ALIVE_MS = 30_000;

/** Full-jitter backoff for retry `n` (1-based). Pure apart from `random`. */
export function retryDelayMs(n: number, retry: ResolvedRetry, random: () => number = Math.random): number {
  return fullJitterMs(n, retry.minDelayMs, retry.maxDelayMs, random);
}

function retryAfterMs(headers: JsonResponse['headers']): number | undefined {
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** A rate-limit answer's hint: the `Retry-After` header, else a `retry_after` (seconds) in the body. */
function rateLimitHintMs(headers: JsonResponse['headers'], body: unknown): number | undefined {
  const header = retryAfterMs(headers);
  if (header !== undefined) return header;
  const seconds = isObject(body) ? body.retry_after : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Call {
  method: Method;
  /** The route template, for errors and logs: never ids, never tokens. */
  route: string;
  /** The concrete path, ids encoded. */
  path: string;
  body?: unknown;
  /**
   * A second copy does no harm, so every failure that may pass is retried: GET, PUT, DELETE (see the recall
   * methods), uploads, and v2 sends, whose `msg_id` + `msg_seq` the platform dedupes. False for guild sends
   * (channel, DM: no `msg_seq`): then only failures that cannot have reached the platform ({@link neverSent})
   * and 429 are retried, and a timeout, a reset or a 5xx is thrown at once.
   */
  idempotent: boolean;
  /** An empty 2xx body is fine (recall, ACK). */
  allowEmpty?: boolean;
  /**
   * The target (group, user, channel, guild) the call sends to: calls to one route and target are queued and
   * paced together (see `pacing.ts`). Unset: not queued (reads, ACKs).
   */
  target?: string;
  signal?: AbortSignal | undefined;
}

export interface CallResult {
  status: number;
  body: unknown;
  /** The answer was "duplicate" after an attempt that may have landed. */
  deduplicated: boolean;
}

/**
 * Carries out calls to one API origin over one keep-alive {@link Pool}, with the client's token source. Every
 * failure is a {@link QQBotError}; see {@link RestRequester.call}.
 */
export class RestRequester {
  readonly #tokens: TokenSource;
  readonly #opts: ResolvedOpenAPIOptions;
  readonly #origin: string;
  /** Named in network errors. */
  readonly #host: string;
  readonly #basePath: string;
  /** Created on first use; one origin, so one pool. */
  #pool: Pool | undefined;
  readonly #closing = new AbortController();
  readonly #pacer: Pacer;

  constructor(tokens: TokenSource, options: ResolvedOpenAPIOptions) {
    this.#tokens = tokens;
    this.#opts = options;
    this.#pacer = new Pacer(options.pacing);
    const url = new URL(options.apiBase);
    this.#origin = url.origin;
    this.#host = url.host;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    // One listener per waiting call, each removed when its wait ends: many at once is normal, not a leak.
    setMaxListeners(0, this.#closing.signal);
  }

  /** Aborts pending calls and backoff waits (`QQBOT_CLOSED`) and destroys the connection pool. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted)
      this.#closing.abort(new QQBotError(ErrorCodes.CLOSED, 'the OpenAPI client was closed', { retryable: false }));
    this.#pacer.closeAll(this.#closing.signal.reason as QQBotError);
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }

  /** Aborted by {@link close}: work beside the calls (upload parts) stops with it. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  assertOpen(): void {
    if (this.#closing.signal.aborted)
      throw new QQBotError(ErrorCodes.CLOSED, 'the OpenAPI client is closed', { retryable: false });
  }

  /** The keep-alive pool; its phase timeouts are the attempt's deadline, so no request sets its own. */
  #connections(): Pool {
    if (this.#pool === undefined) {
      const ms = this.#opts.timeouts.httpMs;
      this.#pool = new Pool(this.#origin, {
        connections: POOL_CONNECTIONS,
        keepAliveTimeout: KEEP_ALIVE_MS,
        headersTimeout: ms,
        bodyTimeout: ms,
        connect: { timeout: ms },
      });
    }
    return this.#pool;
  }

  /**
   * One logical call: token, attempt, classify, maybe refresh or back off, again. The body is serialised once,
   * before the first attempt, so every attempt sends the same bytes (the same `msg_seq`) even if the caller
   * changes its object meanwhile.
   */
  async call(call: Call): Promise<CallResult> {
    this.assertOpen();
    // Waits (queue, token, backoff) stop on close() or the caller's abort. The request itself gets only the caller's
    // signal: close() ends it by destroying the pool, which keeps AbortSignal.any off the long-lived signal.
    const signals = call.signal === undefined ? [this.#closing.signal] : [this.#closing.signal, call.signal];
    if (call.target === undefined) return this.#attempts(call, signals, undefined);
    const ticket = await this.#wait(this.#pacer.enter(`${call.route} ${call.target}`, signals), [], call);
    try {
      return await this.#attempts(call, signals, ticket);
    } finally {
      ticket.release();
    }
  }

  async #attempts(call: Call, signals: readonly AbortSignal[], lane: LaneTicket | undefined): Promise<CallResult> {
    const { retry, logger } = this.#opts;
    const path = `${this.#basePath}${call.path}`;
    const payload = call.body === undefined ? null : JSON.stringify(call.body);
    let retriesUsed = 0;
    let rateLimited = 0;
    let refreshed = false;
    /**
     * An earlier attempt may have reached the platform (timeout, reset, 5xx): a "duplicate" now means it landed,
     * and so does a 404 to a DELETE.
     */
    let mayHaveLanded = false;
    for (let attempt = 1; ; attempt++) {
      // The caller's signal stops only this caller's wait: the token source shares one fetch among all callers.
      // Without one, the wait is bounded by the token request's own deadline, and a close() meanwhile is noticed
      // right after.
      const token = await this.#wait(this.#tokens.get(call.signal), call.signal === undefined ? [] : signals, call);
      if (lane !== undefined) await this.#wait(lane.turn(signals), [], call);
      this.assertOpen();
      let res: JsonResponse;
      try {
        // One deadline per attempt (timeouts.httpMs, queueing in the pool included); statuses come back, failures
        // are thrown as QQBotErrors (HTTP_TIMEOUT, NETWORK, ABORTED, BAD_RESPONSE for a 2xx that is not JSON).
        res = await exchange(
          { pool: this.#connections(), path, host: this.#host },
          {
            method: call.method,
            headers: { authorization: authorization(token), 'x-union-appid': this.#tokens.appId },
            payload,
            timeoutMs: this.#opts.timeouts.httpMs,
            signal: call.signal,
            what: call.route,
            keepAlive: true,
            repeatable: false,
          },
        );
      } catch (err) {
        const failure = this.#translate(err, call);
        if (!failure.retryable || retriesUsed >= retry.retries || !isTransportFailure(failure)) throw failure;
        if (!neverSent(failure)) {
          // It may have reached the platform: a second copy of a non-idempotent call could post twice.
          if (!call.idempotent) throw failure;
          mayHaveLanded = true;
        }
        retriesUsed++;
        await this.#backoff(call, retriesUsed, undefined, failure.code, signals);
        continue;
      }

      // Read once: the 2xx check, the classification and the error all use it.
      const errorBody = readErrorBody(res.body);
      if (res.status >= 200 && res.status < 300) {
        const code = errorBody.code ?? errorBody.err_code;
        // An error in a 2xx answer (seen in the field): a non-zero code, no id, not an audit hold.
        const isError =
          code !== undefined &&
          code !== 0 &&
          !(isObject(res.body) && typeof res.body.id === 'string') &&
          auditIdOf(res.body) === undefined;
        if (!isError) {
          lane?.passed();
          if (res.body === undefined && call.allowEmpty !== true)
            throw badShape(call.route, res.status, 'a JSON body', 'empty');
          return { status: res.status, body: res.body, deduplicated: false };
        }
      }

      const kind = classifyApiError(res.status, errorBody.code, errorBody.err_code);
      if (kind !== 'rate-limit') lane?.passed();
      if (kind === 'duplicate' && mayHaveLanded) {
        logger?.debug({ route: call.route, attempt }, 'qq api: duplicate after a retry; the first attempt landed');
        return { status: res.status, body: res.body, deduplicated: true };
      }
      if (call.method === 'DELETE' && res.status === 404 && mayHaveLanded) {
        logger?.debug({ route: call.route, attempt }, 'qq api: 404 after a retry; the first attempt deleted it');
        return { status: res.status, body: res.body, deduplicated: true };
      }
      if (kind === 'refresh-token' && !refreshed) {
        refreshed = true;
        logger?.debug({ route: call.route, status: res.status, attempt }, 'qq api: token refused; refreshing once');
        await this.#wait(this.#tokens.refresh(token, call.signal), signals, call);
        continue;
      }
      // A rate-limited call was not carried out: retried whatever its idempotency, after the hint, on its own budget.
      if (kind === 'rate-limit' && rateLimited < this.#pacer.options.rateLimitRetries) {
        rateLimited++;
        const backoff = Math.max(retry.minDelayMs, retryDelayMs(rateLimited, retry));
        const hint = rateLimitHintMs(res.headers, res.body);
        const ms =
          lane === undefined ? Math.min(this.#pacer.options.maxWaitMs, hint ?? backoff) : lane.limited(hint, backoff);
        logger?.debug(
          {
            route: call.route,
            retry: rateLimited,
            delayMs: ms,
            why: `rate limited (HTTP ${res.status}, code ${errorBody.code ?? 'none'})`,
          },
          'qq api: retrying',
        );
        // A paced lane waits in its next turn; a call without a lane waits here.
        if (lane === undefined) await this.#wait(sleepOrReject(ms, signals), [], call);
        continue;
      }
      // A 5xx may have been sent after the platform accepted the call.
      if (kind === 'retry' && retriesUsed < retry.retries && call.idempotent) {
        mayHaveLanded = true;
        retriesUsed++;
        await this.#backoff(call, retriesUsed, retryAfterMs(res.headers), `HTTP ${res.status}`, signals);
        continue;
      }
      const error = new QQApiError({
        what: call.route,
        status: res.status,
        body: res.body,
        errorBody,
        headers: res.headers,
        attempts: attempt,
      });
      logger?.warn(
        {
          route: call.route,
          status: error.status,
          qqCode: error.qqCode ?? null,
          traceId: error.traceId ?? null,
          kind: error.kind,
          attempts: attempt,
        },
        'qq api: call failed',
      );
      throw error;
    }
  }

  async #backoff(
    call: Call,
    n: number,
    retryAfter: number | undefined,
    why: string,
    signals: readonly AbortSignal[],
  ): Promise<void> {
    const { retry, logger } = this.#opts;
    const jitter = retryDelayMs(n, retry);
    const ms = retryAfter === undefined ? jitter : Math.min(retry.maxDelayMs, Math.max(jitter, retryAfter));
    logger?.debug({ route: call.route, retry: n, delayMs: ms, why }, 'qq api: retrying');
    await this.#wait(sleepOrReject(ms, signals), [], call);
  }

  /** Waits for `work` unless a signal aborts first; every failure becomes a QQBotError. */
  async #wait<T>(work: Promise<T>, signals: readonly AbortSignal[], call: Call): Promise<T> {
    try {
      return await raceAbort(work, signals);
    } catch (err) {
      throw this.#translate(err, call);
    }
  }

  /** Any thrown value → a QQBotError; `close()` wins over the abort it causes. */
  #translate(err: unknown, call: Call): QQBotError {
    if (this.#closing.signal.aborted) {
      return new QQBotError(ErrorCodes.CLOSED, `${call.route} was cut short: the OpenAPI client was closed`, {
        retryable: false,
        cause: err,
      });
    }
    if (err instanceof QQBotError) return err;
    if (call.signal?.aborted === true)
      return new QQBotError(ErrorCodes.ABORTED, `${call.route} was aborted`, { retryable: false, cause: err });
    return new QQBotError(ErrorCodes.INTERNAL, `${call.route} failed unexpectedly`, { retryable: false, cause: err });
  }
}

/** Failures of the attempt itself (not of the token manager) that a retry may fix. */
function isTransportFailure(err: QQBotError): boolean {
  return err.code === ErrorCodes.HTTP_TIMEOUT || err.code === ErrorCodes.NETWORK;
}

/** Connection refused or never connected: the request cannot have reached the platform. */
function neverSent(err: QQBotError): boolean {
  const errno = err.details.errno;
  return (
    err.code === ErrorCodes.NETWORK &&
    (errno === 'ECONNREFUSED' || errno === 'UND_ERR_CONNECT_TIMEOUT' || errno === 'ENOTFOUND' || errno === 'EAI_AGAIN')
  );
}
