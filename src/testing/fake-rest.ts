import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject } from '../options/checks.js';
import { FakeChunkedUploads, type FakeChunkedUploadConfig } from './fake-chunked-upload.js';
import { RestFaults } from './fake-rest-faults.js';
import { RestRecords } from './fake-rest-records.js';
import { matchRoute } from './fake-rest-routes.js';
import {
  FakeRestCodes,
  IP_NOT_ALLOWED_ANSWER,
  codeBody,
  type FakeInteractionAck,
  type FakeRestContext,
  type FakeRestEventMap,
  type FakeSentMessage,
  type FakeStream,
  type FakeUpload,
  type RecordedRequest,
  type RegisteredMessage,
} from './fake-rest-types.js';
import { FakeSendLimits, type FakeCodeOptions, type FakeRateLimitOptions } from './fake-send-limits.js';

function sendJson(res: ServerResponse, status: number, body: unknown, traceId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-tps-trace-id': traceId,
  });
  res.end(text);
}

/** Parsed JSON, the raw text if it is not JSON, or `undefined` when empty. */
function parseBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/**
 * The OpenAPI routes of `FakeQQServer` (`/v2/groups/…`, `/v2/users/…` with `/files` and `/stream_messages`,
 * `/channels/…`, `/dms/…`, `/interactions/…`, `/users/@me`, and `/gateway(/bot)` when the context knows the
 * gateway URL). It records requests, accepted messages, uploads, streams and interaction ACKs.
 *
 * It checks what the platform checks: the token (401 + 11244), the body (text needs `content`, media needs
 * `media.file_info`), the passive-reply window of registered messages (40034005), the 5-replies limit
 * (40034128), the `msg_id` + `msg_seq` dedupe (40054005). Faults are injected per request, in this order:
 * `unauthorizedOnce`, `failNext`, `nonJsonNext`, `auditNext`; `delayNext` holds the answer after the request
 * was processed (so a send can land although the client gave up).
 */
export class FakeRestApi extends EventEmitter<FakeRestEventMap> {
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Every message accepted, in order. */
  readonly messages: FakeSentMessage[];
  /** Every upload accepted, in order. */
  readonly uploads: FakeUpload[];
  /** Every stream started, in order; each holds its frames. */
  readonly streams: FakeStream[];
  /** Every interaction ACK accepted, in order. */
  readonly interactions: FakeInteractionAck[];
  /** Answer 40034102 to group/C2C sends without `msg_id`/`event_id`, as the platform has since 2025-04-21. */
  rejectProactive = false;
  /** Answer every OpenAPI route (and `GET /gateway(/bot)`) 401 + 11298, as the platform does for a caller not on the IP allow-list. */
  refuseCallerIp = false;
  /** The chunked upload and its object store. */
  readonly chunkedUploads: FakeChunkedUploads;

  readonly #faults = new RestFaults();
  /** What the routes record, and the reply rules they share. */
  readonly #records: RestRecords;
  /** Per-target rate limits and codes on demand. */
  readonly #limits: FakeSendLimits;

  constructor(readonly context: FakeRestContext) {
    super();
    this.#limits = new FakeSendLimits(() => context.now());
    this.chunkedUploads = new FakeChunkedUploads(() => context.baseUrl?.() ?? 'http://127.0.0.1');
    this.#records = new RestRecords(context, this, this.#faults, this.chunkedUploads, () => this.rejectProactive);
    this.messages = this.#records.messages;
    this.uploads = this.#records.uploads;
    this.streams = this.#records.streams;
    this.interactions = this.#records.interactions;
  }

  /**
   * Each target (method + path: one channel, group or user) accepts `perSecond` message sends in any second;
   * beyond that it answers HTTP 429 with `Retry-After`, or `options.answer`'s code (22009, …) with `retry_after`.
   */
  limitSends(perSecond: number, options?: FakeRateLimitOptions): void {
    this.#limits.limit(perSecond, options);
  }

  /** Requests answered with a rate limit since the last reset. */
  get rateLimited(): number {
    return this.#limits.rateLimited;
  }

  /**
   * The next `times` requests to `route` (`'POST /v2/groups/G1/messages'`, or a path prefix alone) are answered
   * with the platform code `code` (`{code, err_code, message}`, HTTP 400 unless `status` says otherwise): any
   * code of docs/errors.md, to test what a bot does with it.
   */
  answerCode(route: string, code: number, options?: FakeCodeOptions): void {
    this.#limits.code(route, code, options);
  }

  /** Block size, concurrency, index base and retry settings of the chunked uploads the fake answers. */
  configureChunkedUpload(config: FakeChunkedUploadConfig): void {
    this.chunkedUploads.configure(config);
  }

  /** Tells the fake about an inbound message, so replies to it are checked against its window. */
  registerMessage(message: RegisteredMessage): void {
    this.#records.replies.register(message);
  }

  /**
   * The next `n` requests fail with `status` (body `{code, message}`; a 429 carries `Retry-After: 1`). With
   * `afterProcessing` the request is carried out first (a send lands), then answered with the failure.
   */
  failNext(n: number, status: number, options: { afterProcessing?: boolean } = {}): void {
    this.#faults.failNext(n, status, options.afterProcessing ?? false);
  }

  /** The next request is answered 401 + code 11244, whatever its token. */
  unauthorizedOnce(): void {
    this.#faults.unauthorizedOnce();
  }

  /** The next `n` answers are held back `ms` after the request was processed. */
  delayNext(n: number, ms: number): void {
    this.#faults.delayNext(n, ms);
  }

  /** The next `n` requests are answered with an HTML body (not JSON) and `status`; a 429 carries `Retry-After: 1`. */
  nonJsonNext(n: number, status = 200): void {
    this.#faults.nonJsonNext(n, status);
  }

  /** The next `n` sends are held for audit: HTTP 202 with `data.message_audit.audit_id`. */
  auditNext(n: number): void {
    this.#faults.auditNext(n);
  }

  /** Forgets requests, messages, faults and reply state (registered messages too). */
  reset(): void {
    this.requests.length = 0;
    this.#records.reset();
    this.#faults.reset();
    this.#limits.reset();
    this.chunkedUploads.reset();
  }

  /** The requests whose path starts with `prefix` (and, if given, with this method). */
  requestsTo(prefix: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix) && (method === undefined || r.method === method));
  }

  /** Handles the request and returns true, or returns false to let the server answer 404. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean {
    const method = req.method ?? 'GET';
    const match = matchRoute(method, url.pathname, this.context.gatewayUrl !== undefined);
    if (match === undefined) return false;
    const parsed = parseBody(body);
    const headers: RecordedRequest['headers'] = { ...req.headers };
    if (headers.authorization !== undefined) headers.authorization = 'QQBot [redacted]';
    const recorded: RecordedRequest = { method, path: url.pathname + url.search, headers, body: parsed };
    this.requests.push(recorded);
    this.emit('request', recorded);
    const traceId = `fake-trace-${this.#records.nextSeq()}`;
    const refuse = (status: number, answer: object): true => {
      sendJson(res, status, { ...answer, trace_id: traceId }, traceId);
      return true;
    };

    if (this.refuseCallerIp) return refuse(401, IP_NOT_ALLOWED_ANSWER);
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('QQBot ') ? auth.slice(6) : undefined;
    if (this.#faults.takeUnauthorized() || token === undefined || !this.context.isValidToken(token))
      return refuse(401, codeBody(FakeRestCodes.TOKEN_INVALID, 'token not exist or expire'));
    const failBefore = this.#faults.takeFail(false);
    if (failBefore !== undefined) {
      if (failBefore === 429) res.setHeader('retry-after', '1');
      return refuse(failBefore, { message: `injected HTTP ${failBefore}`, code: failBefore });
    }
    const limited = this.#limits.check(method, url.pathname);
    if (limited !== undefined) {
      for (const [name, value] of Object.entries(limited.headers)) res.setHeader(name, value);
      return refuse(limited.status, limited.body);
    }
    const nonJson = this.#faults.takeNonJson();
    if (nonJson !== undefined) {
      if (nonJson === 429) res.setHeader('retry-after', '1');
      res.writeHead(nonJson, { 'content-type': 'text/html', 'x-tps-trace-id': traceId });
      res.end('<html><body>bad gateway</body></html>');
      return true;
    }

    const answer = { status: 500, body: undefined as unknown };
    match.route.handler(this.#records, match.params, parsed, (status, b) => {
      answer.status = status;
      answer.body = status >= 400 && isObject(b) ? { ...b, trace_id: traceId } : b;
    });

    const failAfter = this.#faults.takeFail(true);
    if (failAfter !== undefined) {
      const injected = { message: `injected HTTP ${failAfter}`, code: failAfter, trace_id: traceId };
      this.#respond(res, failAfter, injected, traceId);
      return true;
    }
    this.#respond(res, answer.status, answer.body, traceId);
    return true;
  }

  #respond(res: ServerResponse, status: number, body: unknown, traceId: string): void {
    const write = (): void => {
      if (res.destroyed || res.writableEnded) return;
      if (body === undefined) {
        res.writeHead(status, { 'x-tps-trace-id': traceId });
        res.end();
      } else {
        sendJson(res, status, body, traceId);
      }
    };
    const delayMs = this.#faults.takeDelay();
    if (delayMs === undefined) return write();
    const timer = setTimeout(write, delayMs);
    res.on('close', () => clearTimeout(timer));
  }
}
