import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject } from '../options/checks.js';
import type { ChannelMessageBody, V2MessageBody } from '../bodies/message-bodies.js';
import { FakeChunkedUploads, type FakeChunkedFile, type FakeChunkedUploadConfig } from './fake-chunked-upload.js';
import { FakeSendLimits, type FakeCodeOptions, type FakeRateLimitOptions } from './fake-send-limits.js';

/** What the REST fake needs from the server that hosts it. */
export interface FakeRestContext {
  /** True when `token` (without the `QQBot ` prefix) was issued by the fake token endpoint and has not expired. */
  isValidToken(token: string): boolean;
  /** The fake's clock (ms), controllable in tests. */
  now(): number;
  /** The WebSocket URL for `GET /gateway` and `GET /gateway/bot`. Without it those routes are left to the host (404). */
  gatewayUrl?(): string;
  /** The server's own `http://127.0.0.1:<port>`: the presigned part URLs of chunked uploads point there. */
  baseUrl?(): string;
}

/**
 * The error codes the fake answers with. The token, duplicate, expired, limit and proactive codes are the
 * platform's (see `src/http/api-error.ts` for their sources); `INVALID_BODY` and `NOT_FOUND` are the fake's own.
 */
export const FakeRestCodes = {
  TOKEN_INVALID: 11244,
  DUPLICATE_MSG_SEQ: 40054005,
  REPLY_EXPIRED: 40034005,
  REPLY_LIMIT: 40034128,
  PROACTIVE_FORBIDDEN: 40034102,
  MESSAGE_AUDIT: 304023,
  /** "接口访问源IP不在白名单": the caller's IP is not on the bot's IP allow-list (HTTP 401). */
  IP_NOT_ALLOWED: 11298,
  UPLOAD_PART_FAILED: 40093001,
  UPLOAD_QUOTA: 40093002,
  /** The fake's own: the body does not have the shape the platform requires. */
  INVALID_BODY: 40034999,
  /** The fake's own: the route or the message does not exist. */
  NOT_FOUND: 40034998,
} as const;

export type FakeMessageKind = 'group' | 'c2c' | 'channel' | 'dm';

/** One request the fake saw. `authorization` is redacted to `QQBot [redacted]`. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, the raw text if it was not JSON, or `undefined` when empty. */
  body: unknown;
}

/**
 * The body of a message the fake accepted, as the client sent it: the fields of a v2 (group, C2C) or guild
 * (channel, DM) send typed, a stream's final frame, and anything else the client put in it.
 */
export type FakeSentBody = Partial<V2MessageBody> & Partial<ChannelMessageBody> & Record<string, unknown>;

/** A message the fake accepted. */
export interface FakeSentMessage {
  id: string;
  kind: FakeMessageKind;
  /** group_openid, openid, channel_id or guild_id. */
  targetId: string;
  body: FakeSentBody;
}

/** A file uploaded to `POST /v2/groups/{id}/files` or `/v2/users/{id}/files`. */
export interface FakeUpload {
  kind: 'group' | 'c2c';
  targetId: string;
  /** 1 image, 2 video, 3 voice, 4 file. */
  fileType: number;
  /** Set for an upload by URL. */
  url?: string;
  /** Set for an upload of bytes (`file_data`, base64 decoded). */
  data?: Buffer;
  /** Set for a chunked upload (merged through `upload_id`): its size, digests and parts. */
  chunked?: FakeChunkedFile;
  /** What the fake answered; a `msg_type` 7 send must carry it. */
  fileInfo: string;
}

/** One frame of a streamed C2C reply (`POST /v2/users/{openid}/stream_messages`). */
export interface FakeStreamFrame {
  index: number;
  /** 1 generating, 10 done. */
  state: number;
  /** `content_raw`: in replace mode, the whole text so far. */
  content: string;
  contentType: string;
  /** The fake's clock when the frame arrived (ms). */
  at: number;
}

/** A streamed reply: its frames in order. `done` once the frame with `input_state` 10 was accepted. */
export interface FakeStream {
  /** The `stream_msg_id` the fake gave out (the first frame's answer `id`). */
  id: string;
  openid: string;
  /** `msg_id` or `event_id` of the frames. */
  ref: string;
  msgSeq: number;
  frames: FakeStreamFrame[];
  /** The latest `content_raw`. */
  text: string;
  done: boolean;
}

/** An interaction ACK (`PUT /interactions/{id}`). */
export interface FakeInteractionAck {
  id: string;
  code: number;
  /** The fake's clock when it arrived (ms). */
  at: number;
}

export interface RegisteredMessage {
  /** The inbound message id, as bots see it in `data.id`. */
  id: string;
  /** When it was sent: epoch ms, or an ISO string. */
  timestamp: number | string;
  kind: FakeMessageKind;
}

type Answer = (status: number, body: unknown) => void;

/** The platform's answer (HTTP 401) to a caller whose IP is not on the bot's allow-list; `err_code` as field reports show it. */
export const IP_NOT_ALLOWED_ANSWER = {
  message: '接口访问源IP不在白名单',
  code: FakeRestCodes.IP_NOT_ALLOWED,
  err_code: 40023002,
} as const;

const WINDOWS_MS: Readonly<Record<FakeMessageKind, number>> = {
  group: 5 * 60_000,
  channel: 5 * 60_000,
  dm: 5 * 60_000,
  c2c: 60 * 60_000,
};
const MAX_REPLIES = 5;
/** A stream needs a `msg_id` younger than this (docs/protocol.md §10, as reported), also in C2C. */
export const STREAM_WINDOW_MS = 5 * 60_000;

interface Route {
  method: string;
  pattern: RegExp;
  handler: (fake: FakeRestApi, params: string[], body: unknown, answer: Answer) => void;
}

function sendJson(res: ServerResponse, status: number, body: unknown, traceId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-tps-trace-id': traceId,
  });
  res.end(text);
}

/** Events of {@link FakeRestApi}: await them (`once(rest, 'message')`) instead of polling. */
export interface FakeRestEventMap {
  /** A request was recorded (before it is answered). */
  request: [request: RecordedRequest];
  /** A message was accepted (a stream: when its final frame was). */
  message: [message: FakeSentMessage];
  /** A file was uploaded. */
  upload: [upload: FakeUpload];
  /** A stream frame was accepted. */
  stream: [stream: FakeStream, frame: FakeStreamFrame];
  /** An interaction was acknowledged. */
  interaction: [ack: FakeInteractionAck];
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
  readonly messages: FakeSentMessage[] = [];
  /** Every upload accepted, in order. */
  readonly uploads: FakeUpload[] = [];
  /** Every stream started, in order; each holds its frames. */
  readonly streams: FakeStream[] = [];
  /** Every interaction ACK accepted, in order. */
  readonly interactions: FakeInteractionAck[] = [];
  /** Answer 40034102 to group/C2C sends without `msg_id`/`event_id`, as the platform has since 2025-04-21. */
  rejectProactive = false;
  /** Answer every OpenAPI route (and `GET /gateway(/bot)`) 401 + 11298, as the platform does for a caller not on the IP allow-list. */
  refuseCallerIp = false;

  readonly #registered = new Map<string, { at: number; kind: FakeMessageKind }>();
  /** `${kind}:${ref}` → replies accepted; `${kind}:${ref}#${seq}` marks a used seq. */
  readonly #replyCounts = new Map<string, number>();
  readonly #usedSeqs = new Set<string>();
  readonly #uploads = new Set<string>();
  #unauthorized = 0;
  #fail: { n: number; status: number; afterProcessing: boolean } = { n: 0, status: 500, afterProcessing: false };
  #nonJson: { n: number; status: number } = { n: 0, status: 200 };
  #delay: { n: number; ms: number } = { n: 0, ms: 0 };
  #audit = 0;
  #seq = 0;
  /** Per-target rate limits and codes on demand. */
  readonly #limits: FakeSendLimits;
  /** The chunked upload and its object store. */
  readonly chunkedUploads: FakeChunkedUploads;

  constructor(readonly context: FakeRestContext) {
    super();
    this.#limits = new FakeSendLimits(() => context.now());
    this.chunkedUploads = new FakeChunkedUploads(() => context.baseUrl?.() ?? 'http://127.0.0.1');
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
    const at = typeof message.timestamp === 'number' ? message.timestamp : Date.parse(message.timestamp);
    if (Number.isNaN(at)) throw new TypeError('registerMessage: timestamp must be epoch ms or an ISO string');
    this.#registered.set(message.id, { at, kind: message.kind });
  }

  /**
   * The next `n` requests fail with `status` (body `{code, message}`; a 429 carries `Retry-After: 1`). With
   * `afterProcessing` the request is carried out first (a send lands), then answered with the failure.
   */
  failNext(n: number, status: number, options: { afterProcessing?: boolean } = {}): void {
    this.#fail = { n, status, afterProcessing: options.afterProcessing ?? false };
  }

  /** The next request is answered 401 + code 11244, whatever its token. */
  unauthorizedOnce(): void {
    this.#unauthorized += 1;
  }

  /** The next `n` answers are held back `ms` after the request was processed. */
  delayNext(n: number, ms: number): void {
    this.#delay = { n, ms };
  }

  /** The next `n` requests are answered with an HTML body (not JSON) and `status`; a 429 carries `Retry-After: 1`. */
  nonJsonNext(n: number, status = 200): void {
    this.#nonJson = { n, status };
  }

  /** The next `n` sends are held for audit: HTTP 202 with `data.message_audit.audit_id`. */
  auditNext(n: number): void {
    this.#audit = n;
  }

  /** Forgets requests, messages, faults and reply state (registered messages too). */
  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.uploads.length = 0;
    this.streams.length = 0;
    this.interactions.length = 0;
    this.#registered.clear();
    this.#replyCounts.clear();
    this.#usedSeqs.clear();
    this.#uploads.clear();
    this.#unauthorized = 0;
    this.#fail = { n: 0, status: 500, afterProcessing: false };
    this.#nonJson = { n: 0, status: 200 };
    this.#delay = { n: 0, ms: 0 };
    this.#audit = 0;
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
    const match = this.#route(method, url.pathname);
    if (match === undefined) return false;
    let parsed: unknown;
    if (body.trim() !== '') {
      try {
        parsed = JSON.parse(body) as unknown;
      } catch {
        parsed = body;
      }
    }
    const headers: RecordedRequest['headers'] = { ...req.headers };
    if (headers.authorization !== undefined) headers.authorization = 'QQBot [redacted]';
    const recorded: RecordedRequest = { method, path: url.pathname + url.search, headers, body: parsed };
    this.requests.push(recorded);
    this.emit('request', recorded);
    const traceId = `fake-trace-${++this.#seq}`;

    if (this.refuseCallerIp) {
      sendJson(res, 401, { ...IP_NOT_ALLOWED_ANSWER, trace_id: traceId }, traceId);
      return true;
    }
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('QQBot ') ? auth.slice(6) : undefined;
    if (this.#unauthorized > 0) {
      this.#unauthorized -= 1;
      sendJson(
        res,
        401,
        {
          message: 'token not exist or expire',
          code: FakeRestCodes.TOKEN_INVALID,
          err_code: FakeRestCodes.TOKEN_INVALID,
          trace_id: traceId,
        },
        traceId,
      );
      return true;
    }
    if (token === undefined || !this.context.isValidToken(token)) {
      sendJson(
        res,
        401,
        {
          message: 'token not exist or expire',
          code: FakeRestCodes.TOKEN_INVALID,
          err_code: FakeRestCodes.TOKEN_INVALID,
          trace_id: traceId,
        },
        traceId,
      );
      return true;
    }
    if (this.#fail.n > 0 && !this.#fail.afterProcessing) {
      this.#fail.n -= 1;
      if (this.#fail.status === 429) res.setHeader('retry-after', '1');
      sendJson(
        res,
        this.#fail.status,
        { message: `injected HTTP ${this.#fail.status}`, code: this.#fail.status, trace_id: traceId },
        traceId,
      );
      return true;
    }
    const limited = this.#limits.check(method, url.pathname);
    if (limited !== undefined) {
      for (const [name, value] of Object.entries(limited.headers)) res.setHeader(name, value);
      sendJson(res, limited.status, { ...limited.body, trace_id: traceId }, traceId);
      return true;
    }
    if (this.#nonJson.n > 0) {
      this.#nonJson.n -= 1;
      if (this.#nonJson.status === 429) res.setHeader('retry-after', '1');
      res.writeHead(this.#nonJson.status, { 'content-type': 'text/html', 'x-tps-trace-id': traceId });
      res.end('<html><body>bad gateway</body></html>');
      return true;
    }

    const answer = { status: 500, body: undefined as unknown };
    match.route.handler(this, match.params, parsed, (status, b) => {
      answer.status = status;
      answer.body = status >= 400 && isObject(b) ? { ...b, trace_id: traceId } : b;
    });

    if (this.#fail.n > 0 && this.#fail.afterProcessing) {
      this.#fail.n -= 1;
      this.#respond(
        res,
        this.#fail.status,
        { message: `injected HTTP ${this.#fail.status}`, code: this.#fail.status, trace_id: traceId },
        traceId,
      );
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
    if (this.#delay.n > 0) {
      this.#delay.n -= 1;
      const timer = setTimeout(write, this.#delay.ms);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    write();
  }

  #route(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const route of ROUTES) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (m !== null) {
        if (route.pattern === GATEWAY && this.context.gatewayUrl === undefined) return undefined;
        return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
      }
    }
    return undefined;
  }

  // ─────────────── route bodies (called through ROUTES) ───────────────

  /** @internal */
  sendMessage(kind: FakeMessageKind, targetId: string, body: unknown, answer: Answer): void {
    const error = (status: number, code: number, message: string): void =>
      answer(status, { message, code, err_code: code });
    if (!isObject(body)) return error(400, FakeRestCodes.INVALID_BODY, 'body must be a JSON object');
    const v2 = kind === 'group' || kind === 'c2c';
    // A v2 send without msg_type is text: the platform takes it so (docs/testing.md, "Fidelity").
    const msgType = v2 ? (body.msg_type ?? 0) : 0;
    if (v2 && ![0, 2, 3, 4, 7].includes(msgType as number))
      return error(400, FakeRestCodes.INVALID_BODY, 'msg_type must be 0 (or absent), 2, 3, 4 or 7');
    if (
      msgType === 0 &&
      (typeof body.content !== 'string' || body.content.trim() === '') &&
      !(
        !v2 &&
        (body.embed !== undefined || body.ark !== undefined || body.image !== undefined || body.markdown !== undefined)
      )
    ) {
      return error(400, FakeRestCodes.INVALID_BODY, 'content is required for msg_type 0');
    }
    if (msgType === 2 && !isObject(body.markdown))
      return error(400, FakeRestCodes.INVALID_BODY, 'markdown is required for msg_type 2');
    if (msgType === 7) {
      const info = isObject(body.media) ? body.media.file_info : undefined;
      if (typeof info !== 'string' || !this.#uploads.has(info))
        return error(
          400,
          FakeRestCodes.INVALID_BODY,
          'media.file_info is required for msg_type 7 and must come from an upload',
        );
    }
    if (
      body.msg_seq !== undefined &&
      (typeof body.msg_seq !== 'number' || !Number.isInteger(body.msg_seq) || body.msg_seq < 0)
    ) {
      return error(400, FakeRestCodes.INVALID_BODY, 'msg_seq must be a non-negative integer');
    }
    const msgId = typeof body.msg_id === 'string' && body.msg_id !== '' ? body.msg_id : undefined;
    const eventId = typeof body.event_id === 'string' && body.event_id !== '' ? body.event_id : undefined;
    const ref = msgId ?? eventId;
    if (ref === undefined && v2 && this.rejectProactive)
      return error(400, FakeRestCodes.PROACTIVE_FORBIDDEN, '主动消息失败, 无权限');

    let seqKey: string | undefined;
    let countKey: string | undefined;
    if (ref !== undefined) {
      const registered = msgId === undefined ? undefined : this.#registered.get(msgId);
      if (registered !== undefined && this.context.now() > registered.at + WINDOWS_MS[registered.kind]) {
        return error(400, FakeRestCodes.REPLY_EXPIRED, '回复消息msg_id已过期');
      }
      countKey = `${kind}:${msgId === undefined ? 'e' : 'm'}:${ref}`;
      // The guild (v1) API has no msg_seq: every send is new there.
      if (v2) {
        const seq = typeof body.msg_seq === 'number' ? body.msg_seq : 1;
        seqKey = `${countKey}#${seq}`;
        if (this.#usedSeqs.has(seqKey))
          return error(400, FakeRestCodes.DUPLICATE_MSG_SEQ, '消息被去重，请检查请求msgseq');
      }
      if ((this.#replyCounts.get(countKey) ?? 0) >= MAX_REPLIES)
        return error(400, FakeRestCodes.REPLY_LIMIT, '被动回复时间或次数超限');
    }

    if (this.#audit > 0) {
      this.#audit -= 1;
      if (countKey !== undefined) this.#replyCounts.set(countKey, (this.#replyCounts.get(countKey) ?? 0) + 1);
      if (seqKey !== undefined) this.#usedSeqs.add(seqKey);
      return answer(202, {
        code: FakeRestCodes.MESSAGE_AUDIT,
        message: 'push message is waiting for audit now',
        data: { message_audit: { audit_id: `fake-audit-${++this.#seq}` } },
      });
    }
    if (countKey !== undefined) this.#replyCounts.set(countKey, (this.#replyCounts.get(countKey) ?? 0) + 1);
    if (seqKey !== undefined) this.#usedSeqs.add(seqKey);
    const id = `ROBOT1.0_fake_${++this.#seq}`;
    const message: FakeSentMessage = { id, kind, targetId, body };
    this.messages.push(message);
    this.emit('message', message);
    answer(200, { id, timestamp: new Date(this.context.now()).toISOString() });
  }

  /** @internal */
  upload(kind: 'group' | 'c2c', targetId: string, body: unknown, answer: Answer): void {
    const invalid = (message: string): void =>
      answer(400, { message, code: FakeRestCodes.INVALID_BODY, err_code: FakeRestCodes.INVALID_BODY });
    if (!isObject(body) || ![1, 2, 3, 4].includes(body.file_type as number))
      return invalid('file_type (1-4) is required');
    if (body.upload_id !== undefined) return this.#mergeChunked(kind, targetId, body, answer);
    const url = typeof body.url === 'string' && body.url !== '' ? body.url : undefined;
    const data =
      typeof body.file_data === 'string' && body.file_data !== '' ? Buffer.from(body.file_data, 'base64') : undefined;
    if ((url === undefined) === (data === undefined)) return invalid('exactly one of url and file_data is required');
    if (data !== undefined && (data.length === 0 || data.toString('base64') !== body.file_data))
      return invalid('file_data must be base64');
    const n = ++this.#seq;
    const fileInfo = `fake-file-info-${n}`;
    this.#uploads.add(fileInfo);
    const upload: FakeUpload = {
      kind,
      targetId,
      fileType: body.file_type as number,
      fileInfo,
      ...(url === undefined ? {} : { url }),
      ...(data === undefined ? {} : { data }),
    };
    this.uploads.push(upload);
    this.emit('upload', upload);
    answer(200, { file_uuid: `fake-file-uuid-${n}`, file_info: fileInfo, ttl: 3600 });
  }

  #mergeChunked(kind: 'group' | 'c2c', targetId: string, body: Record<string, unknown>, answer: Answer): void {
    const merged = this.chunkedUploads.merge(uploadPath(kind, targetId), body);
    if ('error' in merged)
      return answer(400, {
        message: merged.error,
        code: FakeRestCodes.UPLOAD_PART_FAILED,
        err_code: FakeRestCodes.UPLOAD_PART_FAILED,
      });
    this.#uploads.add(merged.fileInfo);
    const upload: FakeUpload = {
      kind,
      targetId,
      fileType: body.file_type as number,
      fileInfo: merged.fileInfo,
      chunked: merged.file,
    };
    this.uploads.push(upload);
    this.emit('upload', upload);
    answer(200, { file_uuid: `fake-file-uuid-${++this.#seq}`, file_info: merged.fileInfo, ttl: 3600 });
  }

  /**
   * @internal One frame of a streamed C2C reply. The first frame (no `stream_msg_id`) is a reply like any other:
   * window, 5-reply limit and `msg_seq` dedupe apply, and it starts a stream whose id is the answer's `id`. Later
   * frames name that id, keep its `msg_id`/`event_id` and `msg_seq`, and raise `index`; none is accepted after
   * the final one (`input_state` 10). A stream's window is {@link STREAM_WINDOW_MS} from the message.
   */
  streamFrame(openid: string, body: unknown, answer: Answer): void {
    const error = (code: number, message: string): void => answer(400, { message, code, err_code: code });
    const invalid = (message: string): void => error(FakeRestCodes.INVALID_BODY, message);
    if (!isObject(body)) return invalid('body must be a JSON object');
    if (body.input_mode !== 'replace') return invalid('input_mode must be "replace"');
    if (body.input_state !== 1 && body.input_state !== 10) return invalid('input_state must be 1 or 10');
    if (body.content_type !== 'markdown' && body.content_type !== 'text')
      return invalid('content_type must be "markdown" or "text"');
    if (typeof body.content_raw !== 'string') return invalid('content_raw must be a string');
    if (!Number.isInteger(body.index) || (body.index as number) < 0)
      return invalid('index must be a non-negative integer');
    if (!Number.isInteger(body.msg_seq) || (body.msg_seq as number) < 0)
      return invalid('msg_seq must be a non-negative integer');
    const ref =
      typeof body.msg_id === 'string' && body.msg_id !== ''
        ? body.msg_id
        : typeof body.event_id === 'string' && body.event_id !== ''
          ? body.event_id
          : undefined;
    if (ref === undefined) return invalid('msg_id or event_id is required');
    const registered = this.#registered.get(ref);
    if (registered !== undefined && this.context.now() > registered.at + STREAM_WINDOW_MS)
      return error(FakeRestCodes.REPLY_EXPIRED, '回复消息msg_id已过期');
    const frame: FakeStreamFrame = {
      index: body.index as number,
      state: body.input_state,
      content: body.content_raw,
      contentType: body.content_type,
      at: this.context.now(),
    };

    let stream: FakeStream | undefined;
    if (body.stream_msg_id === undefined) {
      const countKey = `c2c:m:${ref}`;
      const seqKey = `${countKey}#${String(body.msg_seq)}`;
      if (this.#usedSeqs.has(seqKey)) return error(FakeRestCodes.DUPLICATE_MSG_SEQ, '消息被去重，请检查请求msgseq');
      if ((this.#replyCounts.get(countKey) ?? 0) >= MAX_REPLIES)
        return error(FakeRestCodes.REPLY_LIMIT, '被动回复时间或次数超限');
      this.#usedSeqs.add(seqKey);
      this.#replyCounts.set(countKey, (this.#replyCounts.get(countKey) ?? 0) + 1);
      stream = {
        id: `fake-stream-${++this.#seq}`,
        openid,
        ref,
        msgSeq: body.msg_seq as number,
        frames: [],
        text: '',
        done: false,
      };
      this.streams.push(stream);
    } else {
      stream = this.streams.find((s) => s.id === body.stream_msg_id && s.openid === openid);
      if (stream === undefined) return error(FakeRestCodes.NOT_FOUND, 'unknown stream_msg_id');
      if (stream.done) return invalid('the stream has ended (input_state 10 was sent)');
      if (stream.ref !== ref || stream.msgSeq !== body.msg_seq) return invalid('a stream keeps its msg_id and msg_seq');
      const last = stream.frames.at(-1);
      if (last !== undefined && frame.index <= last.index) return invalid('index must grow');
    }
    stream.frames.push(frame);
    stream.text = frame.content;
    if (frame.state === 10) stream.done = true;
    this.emit('stream', stream, frame);
    if (stream.done) {
      const message: FakeSentMessage = { id: stream.id, kind: 'c2c', targetId: openid, body };
      this.messages.push(message);
      this.emit('message', message);
    }
    answer(200, { id: stream.id, timestamp: new Date(this.context.now()).toISOString() });
  }

  /** @internal */
  acknowledge(id: string, body: unknown, answer: Answer): void {
    const code = isObject(body) ? body.code : undefined;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 5) {
      return answer(400, {
        message: 'code must be an integer 0-5',
        code: FakeRestCodes.INVALID_BODY,
        err_code: FakeRestCodes.INVALID_BODY,
      });
    }
    const ack: FakeInteractionAck = { id, code, at: this.context.now() };
    this.interactions.push(ack);
    this.emit('interaction', ack);
    answer(204, undefined);
  }

  /** @internal */
  recall(kind: FakeMessageKind, targetId: string, messageId: string, answer: Answer): void {
    const index = this.messages.findIndex((m) => m.id === messageId && m.kind === kind && m.targetId === targetId);
    if (index < 0)
      return answer(404, {
        message: 'message not found',
        code: FakeRestCodes.NOT_FOUND,
        err_code: FakeRestCodes.NOT_FOUND,
      });
    this.messages.splice(index, 1);
    answer(200, undefined);
  }
}

const GATEWAY = /^\/gateway(\/bot)?$/;

/** The chunked-upload session's owner: one target's routes. */
function uploadPath(kind: 'group' | 'c2c', targetId: string): string {
  return `${kind === 'group' ? 'groups' : 'users'}/${targetId}`;
}

const ROUTES: readonly Route[] = [
  {
    method: 'POST',
    pattern: /^\/v2\/groups\/([^/]+)\/messages$/,
    handler: (f, [id], b, answer) => f.sendMessage('group', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/users\/([^/]+)\/messages$/,
    handler: (f, [id], b, answer) => f.sendMessage('c2c', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/channels\/([^/]+)\/messages$/,
    handler: (f, [id], b, answer) => f.sendMessage('channel', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/dms\/([^/]+)\/messages$/,
    handler: (f, [id], b, answer) => f.sendMessage('dm', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/groups\/([^/]+)\/files$/,
    handler: (f, [id], b, answer) => f.upload('group', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/users\/([^/]+)\/files$/,
    handler: (f, [id], b, answer) => f.upload('c2c', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/groups\/([^/]+)\/upload_prepare$/,
    handler: (f, [id], b, answer) => f.chunkedUploads.prepare(uploadPath('group', id ?? ''), b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/users\/([^/]+)\/upload_prepare$/,
    handler: (f, [id], b, answer) => f.chunkedUploads.prepare(uploadPath('c2c', id ?? ''), b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/groups\/([^/]+)\/upload_part_finish$/,
    handler: (f, [id], b, answer) => f.chunkedUploads.partFinish(uploadPath('group', id ?? ''), b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/users\/([^/]+)\/upload_part_finish$/,
    handler: (f, [id], b, answer) => f.chunkedUploads.partFinish(uploadPath('c2c', id ?? ''), b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/users\/([^/]+)\/stream_messages$/,
    handler: (f, [id], b, answer) => f.streamFrame(id ?? '', b, answer),
  },
  {
    method: 'DELETE',
    pattern: /^\/v2\/groups\/([^/]+)\/messages\/([^/]+)$/,
    handler: (f, [id, mid], _b, answer) => f.recall('group', id ?? '', mid ?? '', answer),
  },
  {
    method: 'DELETE',
    pattern: /^\/v2\/users\/([^/]+)\/messages\/([^/]+)$/,
    handler: (f, [id, mid], _b, answer) => f.recall('c2c', id ?? '', mid ?? '', answer),
  },
  {
    method: 'PUT',
    pattern: /^\/interactions\/([^/]+)$/,
    handler: (f, [id], b, answer) => f.acknowledge(id ?? '', b, answer),
  },
  {
    method: 'GET',
    pattern: /^\/users\/@me$/,
    handler: (_f, _p, _b, answer) =>
      answer(200, {
        id: 'fake-bot-id',
        username: 'fake-bot',
        avatar: 'https://example.invalid/avatar.png',
        union_openid: 'fake-union',
      }),
  },
  {
    method: 'GET',
    pattern: GATEWAY,
    handler: (f, [bot], _b, answer) => {
      const url = f.context.gatewayUrl?.() ?? '';
      answer(
        200,
        bot === undefined
          ? { url }
          : {
              url,
              shards: 1,
              session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
            },
      );
    },
  },
];
