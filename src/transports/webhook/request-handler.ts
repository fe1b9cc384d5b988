import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateEvent, type EventProblem } from '../../protocol/events/validate.js';
import { OpCodes } from '../../protocol/opcodes.js';
import { callbackKey, rememberUntil } from './replay.js';
import { BodyAdmission } from './body-admission.js';
import { bodyConsumed, readBody } from './read-body.js';
import { RateLimit, type BucketRule } from './rate-limit.js';
import { withDeadline } from '../../util/abort.js';
import { validationRequest, verifyWebhook, type ValidationRequest } from './signature.js';

/**
 * One callback request, from the first header to the answer, independent of where it runs: in the worker's
 * own listener, or on the host's server through `webhookHandler()`. It keeps nothing per request once the
 * request is answered but a counter.
 *
 * Order of checks, cheapest and least trusting first: method, path, app id, timestamp window, signature
 * format, declared size — all from headers, before a byte of the body is read — then the body (counted as it
 * streams, never read past the limit, within `bodyTimeoutMs`, in the small budget of unverified requests), the
 * signature (in the budget of `maxConcurrentRequests`), and only then JSON.
 */

/** Why a request was refused, and the HTTP status it gets. One table: tests and docs read it too. */
export const WEBHOOK_REFUSALS = {
  method: { status: 405, message: 'only POST is accepted' },
  path: { status: 404, message: 'not the callback path' },
  appid: { status: 403, message: 'X-Bot-Appid is not this bot' },
  timestamp: { status: 401, message: 'X-Signature-Timestamp is missing or outside the accepted window' },
  signature: { status: 401, message: 'X-Signature-Ed25519 is missing, malformed or does not verify' },
  'too-large': { status: 413, message: 'the body is over the size limit' },
  slow: { status: 408, message: 'the body did not arrive in time' },
  consumed: {
    status: 500,
    message: 'the body was read before this handler: mount webhookHandler() before any body parser',
  },
  json: { status: 400, message: 'the body is not a JSON object with a numeric op' },
  shape: { status: 400, message: 'a dispatch needs a string t and, when present, a string id' },
  validation: { status: 400, message: 'op 13 needs a digit event_ts and a plain plain_token' },
  rate: { status: 429, message: 'too many unsigned op 13 validations' },
  busy: { status: 503, message: 'too many requests in flight' },
  closing: { status: 503, message: 'the listener is closing' },
  undelivered: { status: 503, message: 'the event could not be handed to the host in time' },
} as const satisfies Record<string, { status: number; message: string }>;

export type WebhookRefusal = keyof typeof WEBHOOK_REFUSALS;

/** An op 13 body without a signature is read only up to this size: real ones are about 100 bytes. */
const UNSIGNED_VALIDATION_MAX_BYTES = 1024;
const ACK = JSON.stringify({ op: OpCodes.HTTP_CALLBACK_ACK, d: 0 });
const TIMESTAMP = /^[0-9]{1,15}$/;
/**
 * Unsigned op 13 requests are signed on the main thread: they get a budget, per peer and in all. The platform
 * validates a URL once when it is saved in the console, so these leave room for retries and nothing more.
 */
export const VALIDATION_LIMITS = {
  global: { perSecond: 20, burst: 40 },
  perPeer: { perSecond: 1, burst: 5 },
} as const satisfies Record<string, BucketRule>;

/** A verified dispatch, shaped like a gateway dispatch for the delivery pipeline. */
export interface WebhookDispatch {
  type: string;
  /** The platform's event id: redeliveries carry the same one, and the pipeline drops them by it. */
  id: string | undefined;
  /**
   * Always -1: callbacks arrive concurrently and in no order, so even an `s` they might carry must not feed
   * the pipeline's "seq ≤ delivered is a replay" rule; they are deduplicated by id alone.
   */
  seq: number;
  /** The body's JSON text as received. */
  frame: string;
  /** Set when `d` failed the edge checks (validateEvent): the host reports the event instead of delivering it. */
  problem: EventProblem | undefined;
  /** What every copy of this callback shares (its id, or its timestamp and signature): see replay.ts. */
  key: string;
  /** Epoch ms: until then a copy is acknowledged and not delivered (the end of the timestamp window). */
  expiresAt: number;
}

export interface WebhookChecks {
  appId: string;
  /** Only this path is served (query strings are ignored). */
  path: string;
  /** Verification only: the private key never reaches a handler that runs in a worker. */
  publicKey: KeyObject;
  maxBodyBytes: number;
  /** Timestamps further than this from now, either way, are refused (replay protection). */
  timestampWindowMs: number;
  /** Verified requests (past their body) past this many in flight are answered 503 at once. */
  maxConcurrentRequests: number;
  /** Requests still sending their body past this many: an old one is dropped (408), see BodyAdmission. */
  maxUnverifiedRequests: number;
  /** The body must arrive within this long after the headers, else 408. */
  bodyTimeoutMs: number;
  /** A dispatch not delivered within this long is answered 503, so the platform redelivers it. */
  deliverTimeoutMs: number;
}

export interface WebhookRequestHost {
  /** The hex signature of an op 13 answer; computed on the main thread. */
  signValidation(request: ValidationRequest): string | Promise<string>;
  /**
   * Hands a verified dispatch to the host's delivery pipeline; settles once the host has it (delivered, or
   * dropped as a duplicate). A throw or rejection means "not delivered": the platform gets a 503 and redelivers.
   */
  deliver(dispatch: WebhookDispatch): void | Promise<void>;
  /** Told of every refusal; it must not throw. */
  refused?(reason: WebhookRefusal): void;
  /**
   * Told whether the signature verified, for each signed request that names this bot (`X-Bot-Appid`) with a
   * fresh timestamp: a run of failures means the secret is wrong (see secret-mismatch.ts). It must not throw.
   */
  verified?(ok: boolean): void;
  /** Unix ms. @defaultValue `Date.now` */
  now?(): number;
}

export interface WebhookCounters {
  /** Requests answered 200 `{"op":12,"d":0}`. */
  acked: number;
  /** op 13 validations answered. */
  validations: number;
  refused: Record<WebhookRefusal, number>;
}

function zeroRefusals(): Record<WebhookRefusal, number> {
  return Object.fromEntries(Object.keys(WEBHOOK_REFUSALS).map((k) => [k, 0])) as Record<WebhookRefusal, number>;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The header checks, pure. `signed` tells whether a signature header came: without one only a small op 13
 * body is read (the platform's validation may be unsigned).
 */
function checkHeaders(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  checks: Pick<WebhookChecks, 'appId' | 'path' | 'maxBodyBytes' | 'timestampWindowMs'>,
  now: number,
): { refusal: WebhookRefusal } | { signed: boolean; limit: number } {
  if (req.method !== 'POST') return { refusal: 'method' };
  if (pathOf(req.url) !== checks.path) return { refusal: 'path' };
  const r = req as IncomingMessage;
  const appId = header(r, 'x-bot-appid');
  if (appId !== undefined && appId !== checks.appId) return { refusal: 'appid' };
  const signed = header(r, 'x-signature-ed25519') !== undefined;
  const limit = signed ? checks.maxBodyBytes : Math.min(checks.maxBodyBytes, UNSIGNED_VALIDATION_MAX_BYTES);
  if (signed) {
    const ts = header(r, 'x-signature-timestamp');
    if (ts === undefined || !TIMESTAMP.test(ts) || Math.abs(now - Number(ts) * 1000) > checks.timestampWindowMs)
      return { refusal: 'timestamp' };
  }
  const declared = header(r, 'content-length');
  if (declared !== undefined && Number(declared) > limit) return { refusal: 'too-large' };
  return { signed, limit };
}

function answer(res: ServerResponse, status: number, text: string, close: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  };
  // A refused request's body may be unread: closing the connection is what stops it being read.
  if (close) headers.connection = 'close';
  if (status === 503 || status === 429) headers['retry-after'] = 1;
  res.writeHead(status, headers);
  res.end(text);
}

/** Resolves when `work` settles or after `ms`, whichever is first; `false` on timeout or rejection. */
function within(work: void | Promise<void>, ms: number): Promise<boolean> | boolean {
  if (work === undefined || typeof (work as Promise<void>).then !== 'function') return true;
  return withDeadline(
    (work as Promise<void>).then(
      () => true,
      () => false,
    ),
    ms,
    () => false,
  );
}

/**
 * Serves callback requests. `handle` never throws and never rejects: every path ends in an answer, or in a
 * destroyed socket when the client is gone. A throwing `'dispatch'` listener does not change the answer: the
 * host's pipeline isolates listeners, so the event *was* delivered — and a redelivery would be dropped as a
 * duplicate anyway. See docs/webhook.md.
 */
export class WebhookRequestHandler {
  readonly #checks: WebhookChecks;
  readonly #host: WebhookRequestHost;
  readonly #now: () => number;
  readonly counters: WebhookCounters = { acked: 0, validations: 0, refused: zeroRefusals() };
  readonly #unverified: BodyAdmission;
  readonly #validations: RateLimit;
  /** Every request being served, for close(); {@link #verified} counts those past their body. */
  #inFlight = 0;
  #verified = 0;
  #closing = false;
  #drained: Promise<void> | undefined;
  #onDrained: (() => void) | undefined;

  constructor(checks: WebhookChecks, host: WebhookRequestHost) {
    this.#checks = checks;
    this.#host = host;
    this.#now = host.now ?? Date.now;
    this.#unverified = new BodyAdmission(checks.maxUnverifiedRequests);
    this.#validations = new RateLimit(VALIDATION_LIMITS.global, VALIDATION_LIMITS.perPeer, this.#now);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The `(req, res)` function a server calls. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.#closing) return this.#refuse(res, 'closing');
    // A body parser mounted first: the 'end' this handler would wait for has fired already.
    if (bodyConsumed(req)) return this.#refuse(res, 'consumed');
    this.#inFlight += 1;
    void this.#serve(req, res)
      .catch(() => res.destroy())
      .finally(() => {
        this.#inFlight -= 1;
        if (this.#inFlight === 0) this.#onDrained?.();
      });
  };

  /** Stops accepting (503 `closing`) and resolves once every request in flight is answered. */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#inFlight === 0) return Promise.resolve();
    this.#drained ??= new Promise((resolve) => {
      this.#onDrained = resolve;
    });
    return this.#drained;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const checked = checkHeaders(req, this.#checks, this.#now());
    if ('refusal' in checked) return this.#refuse(res, checked.refusal);
    const peer = req.socket?.remoteAddress ?? '';
    const body = await readBody(req, checked.limit, this.#checks.bodyTimeoutMs, (evict) =>
      this.#unverified.admit(peer, evict),
    );
    if (body === 'slow') {
      // The client is not sending: the answer is all it gets, then the connection goes (it holds nothing more).
      res.once('finish', () => req.socket?.destroy());
    }
    if (typeof body === 'string') return this.#refuse(res, body);
    if (this.#verified >= this.#checks.maxConcurrentRequests) return this.#refuse(res, 'busy');
    this.#verified += 1;
    try {
      await this.#serveBody(req, res, body, checked.signed, peer);
    } finally {
      this.#verified -= 1;
    }
  }

  async #serveBody(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    signed: boolean,
    peer: string,
  ): Promise<void> {
    if (signed && !(await this.#verify(req, body))) return this.#refuse(res, 'signature');
    let text: string;
    let payload: { op?: unknown; d?: unknown; t?: unknown; id?: unknown };
    try {
      text = body.toString('utf8');
      payload = JSON.parse(text) as typeof payload;
    } catch {
      return this.#refuse(res, signed ? 'json' : 'signature');
    }
    if (typeof payload !== 'object' || payload === null || typeof payload.op !== 'number')
      return this.#refuse(res, signed ? 'json' : 'signature');
    if (payload.op === OpCodes.CALLBACK_URL_VALIDATION) {
      if (!signed && !this.#validations.take(peer)) return this.#refuse(res, 'rate');
      return this.#validate(res, payload.d);
    }
    // Past this point only verified requests: an unsigned body may be op 13 and nothing else.
    if (!signed) return this.#refuse(res, 'signature');
    if (payload.op !== OpCodes.DISPATCH) {
      // Signed by the platform but not known to us: refusing would only bring redeliveries of it.
      this.counters.acked += 1;
      return answer(res, 200, ACK, false);
    }
    const { t, id } = payload;
    if (typeof t !== 'string' || (id !== undefined && typeof id !== 'string')) return this.#refuse(res, 'shape');
    const timestamp = header(req, 'x-signature-timestamp')!;
    const key = callbackKey(id, timestamp, header(req, 'x-signature-ed25519')!);
    const expiresAt = rememberUntil(this.#now(), timestamp, this.#checks.timestampWindowMs);
    const delivered = await within(
      this.#tryDeliver({ type: t, id, seq: -1, frame: text, problem: validateEvent(t, payload.d), key, expiresAt }),
      this.#checks.deliverTimeoutMs,
    );
    if (!delivered) return this.#refuse(res, 'undelivered');
    this.counters.acked += 1;
    answer(res, 200, ACK, false);
  }

  async #verify(req: IncomingMessage, body: Buffer): Promise<boolean> {
    const ok = await verifyWebhook(
      this.#checks.publicKey,
      header(req, 'x-signature-timestamp')!,
      body,
      header(req, 'x-signature-ed25519'),
    );
    // Only requests that name this bot count as evidence about the secret (checkHeaders refused other app ids).
    if (header(req, 'x-bot-appid') !== undefined) this.#host.verified?.(ok);
    return ok;
  }

  #tryDeliver(dispatch: WebhookDispatch): void | Promise<void> {
    try {
      return this.#host.deliver(dispatch);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #validate(res: ServerResponse, d: unknown): Promise<void> {
    const request = validationRequest(d);
    if (request === null) return this.#refuse(res, 'validation');
    let signature: string;
    try {
      signature = await this.#host.signValidation(request);
    } catch {
      return this.#refuse(res, 'undelivered');
    }
    this.counters.validations += 1;
    answer(res, 200, JSON.stringify({ plain_token: request.plainToken, signature }), false);
  }

  #refuse(res: ServerResponse, reason: WebhookRefusal): void {
    this.counters.refused[reason] += 1;
    this.#host.refused?.(reason);
    const { status, message } = WEBHOOK_REFUSALS[reason];
    answer(res, status, JSON.stringify({ error: reason, message }), true);
  }
}
