import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { ErrorCodes, QQBotError, invalidOption } from '../errors.js';
import { pathSegment } from './path.js';
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
import type { GatewayBotInfo } from '../protocol/payloads.js';

import { fullJitterMs, raceAbort, sleepOrReject } from '../util/abort.js';
import { QQApiError, classifyApiError, readErrorBody } from './api-error.js';
import { authorization } from './authorization.js';
import { readGatewayBot } from './gateway.js';
import { exchange, type JsonResponse } from './request-json.js';
import { REPLY_TRACKER_KEYS, ReplyTracker, parseEventTimestamp, resolveReplyTarget, type ReplyPlan, type ReplyableEvent, type ReplyTrackerOptions } from './passive-reply.js';
import { readMediaReply, type MediaReply, type MediaRequest } from '../messages/media.js';
import { resolveStreamOptions, runStream, type StreamFrame, type StreamReplyOptions, type StreamReplyResult } from './stream-reply.js';
import { TokenManager } from './token-manager.js';
import type { KeyboardPayload } from '../messages/keyboard.js';

// ───────────────────────────── bodies ─────────────────────────────

/** `msg_type` of a v2 (group / C2C) message: 0 text, 2 markdown, 3 ark, 4 embed, 7 media. */
export type MessageType = 0 | 2 | 3 | 4 | 7;

export interface MarkdownPayload {
  content?: string;
  custom_template_id?: string;
  params?: Array<{ key: string; values: string[] }>;
}

export type { KeyboardPayload } from '../messages/keyboard.js';

export interface ArkPayload {
  template_id: number;
  kv?: Array<{ key: string; value?: string; obj?: unknown[] }>;
}

export interface EmbedPayload {
  title?: string;
  prompt?: string;
  thumbnail?: { url: string };
  fields?: Array<{ name: string }>;
}

export interface MessageReference {
  message_id: string;
  ignore_get_message_error?: boolean;
}

/** The body of `POST /v2/groups/{group_openid}/messages` and `POST /v2/users/{openid}/messages`. */
export interface V2MessageBody {
  content?: string;
  msg_type: MessageType;
  markdown?: MarkdownPayload;
  keyboard?: KeyboardPayload;
  ark?: ArkPayload;
  embed?: EmbedPayload;
  /** From {@link QQOpenAPI.uploadGroupMedia} / {@link QQOpenAPI.uploadC2CMedia}; with `msg_type: 7`. */
  media?: { file_info: string };
  message_reference?: MessageReference;
  /** The message this answers (passive reply). */
  msg_id?: string;
  /** The event this answers (INTERACTION_CREATE, GROUP_ADD_ROBOT, FRIEND_ADD, …). */
  event_id?: string;
  /** New for each reply to one `msg_id`/`event_id`; a retry reuses it, so the platform drops a second copy. @defaultValue `1` (platform) */
  msg_seq?: number;
}

/** The body of `POST /channels/{channel_id}/messages` and `POST /dms/{guild_id}/messages`. */
export interface ChannelMessageBody {
  content?: string;
  embed?: EmbedPayload;
  ark?: ArkPayload;
  markdown?: MarkdownPayload;
  keyboard?: KeyboardPayload;
  message_reference?: MessageReference;
  /** An image URL. */
  image?: string;
  msg_id?: string;
  event_id?: string;
}

/** Media kinds for uploads: 1 image, 2 video, 3 voice, 4 file. */
export type MediaFileType = 1 | 2 | 3 | 4;

/** What to upload: a URL the platform fetches the file from, or the bytes (sent base64 as `file_data`). */
export type UploadMediaInput = { fileType: MediaFileType; url: string; data?: undefined } | { fileType: MediaFileType; data: Uint8Array; url?: undefined };

/** What {@link QQOpenAPI.reply} sends: text, a message body (see the builders in `src/messages/`), or media. */
export type ReplyContent = string | V2MessageBody | ChannelMessageBody | MediaReply;

// ───────────────────────────── results ─────────────────────────────

/** What a send returns: sent, held for audit (HTTP 201/202), or recognised as already sent by an earlier attempt. */
export type SendResult =
  /** `timestamp` as the platform gave it (ISO string); `undefined` if it gave none. */
  | { status: 'sent'; id: string; timestamp: string | undefined; deduplicated: false }
  | { status: 'audit'; auditId: string; deduplicated: false }
  /** A retry was answered "duplicate" (code 40054005): the first attempt landed; its id is unknown. */
  | { status: 'deduplicated'; deduplicated: true };

export interface MediaUploadResult {
  /** `undefined` if the platform gave none. */
  fileUuid: string | undefined;
  /** Put it in `media.file_info` of a `msg_type: 7` message. */
  fileInfo: string;
  /** Seconds the file_info stays usable; 0 means long-lived (also when the platform gave none). */
  ttl: number;
}

export interface BotUser {
  id: string;
  username: string;
  avatar?: string;
  union_openid?: string;
}

/** Interaction ACK codes: 0 ok, 1 failed, 2 too frequent, 3 duplicate, 4 no permission, 5 admins only. */
export type InteractionAckCode = 0 | 1 | 2 | 3 | 4 | 5;

/** What {@link QQOpenAPI.ackInteraction} reads of an `INTERACTION_CREATE` dispatch event. */
export interface InteractionEventLike {
  type: unknown;
  data: unknown;
}

/** The interaction id of an `INTERACTION_CREATE` event (`data.id`), or the id itself; `QQBOT_INVALID_OPTION` otherwise. */
function interactionIdOf(interaction: string | InteractionEventLike): string {
  if (typeof interaction === 'string' && interaction !== '') return interaction;
  if (isObject(interaction) && String(interaction.type) === 'INTERACTION_CREATE' && isObject(interaction.data)) {
    const id = interaction.data.id;
    if (typeof id === 'string' && id !== '') return id;
  }
  throw invalidOption('Expected an INTERACTION_CREATE event (with data.id) or an interaction id');
}

// ───────────────────────────── options ─────────────────────────────

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
 * What the client needs from a token manager; {@link TokenManager} is one. `get()` returns a usable token
 * (sharing any fetch in flight); `refresh(rejected)` replaces a token the platform refused, once for all callers.
 */
export interface TokenSource {
  readonly appId: string;
  get(): Promise<string>;
  refresh(rejected?: string): Promise<string>;
}

/** Options shared by both ways to build a {@link QQOpenAPI}. */
interface CommonOpenAPIOptions {
  /** `timeouts.httpMs` bounds each attempt (connect, headers and body). Other fields are ignored here. */
  timeouts?: TimeoutOptions;
  retry?: RetryOptions;
  logger?: Logger;
  /** Passed to the {@link ReplyTracker} behind {@link QQOpenAPI.reply}. */
  replies?: ReplyTrackerOptions;
}

/** Standalone use: the client makes its own {@link TokenManager} from the credentials. */
export interface QQOpenAPIOptions extends CommonOpenAPIOptions {
  appId: string;
  /** Kept inside the token manager; never logged, never in an error. */
  secret: string;
  endpoints?: EndpointOptions;
}

/** For the connector: share its {@link TokenManager}, so REST and the gateway use one token and one refresh. */
export interface SharedTokenOpenAPIOptions extends CommonOpenAPIOptions {
  /** The OpenAPI origin. @defaultValue `'https://api.sgroup.qq.com'` */
  apiBase?: string;
}

interface Resolved {
  apiBase: string;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  logger: Logger | undefined;
  replies: ReplyTrackerOptions;
}

/** The keys each way of building a client accepts; the compiler checks each table against its interface. */
const STANDALONE_KEYS = optionKeys<QQOpenAPIOptions>({ appId: true, secret: true, endpoints: true, timeouts: true, retry: true, logger: true, replies: true });
const SHARED_TOKEN_KEYS = optionKeys<SharedTokenOpenAPIOptions>({ apiBase: true, timeouts: true, retry: true, logger: true, replies: true });
const RETRY_KEYS = Object.keys(DEFAULT_RETRY);

/** Sockets to the API origin; requests beyond this queue in the pool. */
const POOL_CONNECTIONS = 32;
const KEEP_ALIVE_MS = 30_000;

function isTokenSource(value: unknown): value is TokenSource {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return typeof t.appId === 'string' && typeof t.get === 'function' && typeof t.refresh === 'function';
}

/** Checks a `retry` object (p-retry style: once, at construction). */
export function resolveRetry(value: unknown): Required<RetryOptions> {
  const r = section('retry', value, RETRY_KEYS);
  const retry = {
    retries: integerOption('retry.retries', r.retries, DEFAULT_RETRY.retries, 0, 10),
    minDelayMs: integerOption('retry.minDelayMs', r.minDelayMs, DEFAULT_RETRY.minDelayMs, 0, 60_000),
    maxDelayMs: integerOption('retry.maxDelayMs', r.maxDelayMs, DEFAULT_RETRY.maxDelayMs, 0, 300_000),
  };
  if (retry.maxDelayMs < retry.minDelayMs) throw invalidOption('Expected `retry.maxDelayMs` to be ≥ `retry.minDelayMs`');
  return retry;
}

function resolveCommon(options: Record<string, unknown>, apiBase: string): Resolved {
  return {
    apiBase,
    timeoutMs: resolveTimeouts(options.timeouts).httpMs,
    retry: resolveRetry(options.retry),
    logger: resolveLogger(options.logger),
    replies: section('replies', options.replies, REPLY_TRACKER_KEYS) as ReplyTrackerOptions,
  };
}

/** Full-jitter backoff for retry `n` (1-based). Pure apart from `random`. */
export function retryDelayMs(n: number, retry: Required<RetryOptions>, random: () => number = Math.random): number {
  return fullJitterMs(n, retry.minDelayMs, retry.maxDelayMs, random);
}

function retryAfterMs(headers: JsonResponse['headers']): number | undefined {
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call, its retries and its backoff waits (`QQBOT_ABORTED`). */
  signal?: AbortSignal;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Call {
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
  signal?: AbortSignal | undefined;
}

interface CallResult {
  status: number;
  body: unknown;
  /** The answer was "duplicate" after an attempt that may have landed. */
  deduplicated: boolean;
}

const enc = pathSegment;

/**
 * The QQ OpenAPI over undici: one keep-alive {@link Pool} to the API origin, one deadline per attempt, retries with
 * full-jitter backoff that resend the very same body (so the same `msg_seq`: the platform's dedupe makes a
 * retried v2 send idempotent; guild sends, which have none, are not retried once they may have landed), and one
 * token refresh on 401 / 11244, shared with every other caller.
 *
 * Two ways to build it:
 * - `new QQOpenAPI({ appId, secret, endpoints?, timeouts?, retry?, logger? })`: standalone, with its own token manager;
 * - `QQOpenAPI.fromTokenManager(tokens, { apiBase?, timeouts?, retry?, logger? })`: sharing the connector's tokens.
 *
 * Every failure is a {@link QQBotError}: {@link QQApiError} (`QQBOT_API_ERROR`) for an error answer,
 * `QQBOT_HTTP_TIMEOUT`, `QQBOT_NETWORK`, `QQBOT_BAD_RESPONSE` (a 2xx answer that is not the JSON expected),
 * `QQBOT_ABORTED`, `QQBOT_CLOSED`; {@link QQOpenAPI.reply} adds `QQBOT_PASSIVE_REPLY_EXPIRED`, `QQBOT_PASSIVE_REPLY_LIMIT`
 * and `QQBOT_REPLY_UNSUPPORTED`. Never `undefined` in place of a result.
 */
export class QQOpenAPI {
  readonly #tokens: TokenSource;
  readonly #opts: Resolved;
  readonly #origin: string;
  /** Named in network errors. */
  readonly #host: string;
  readonly #basePath: string;
  /** Created on first use; one origin, so one pool. */
  #pool: Pool | undefined;
  readonly #closing = new AbortController();
  readonly #replies: ReplyTracker;

  constructor(options: QQOpenAPIOptions);
  /** @internal Use {@link QQOpenAPI.fromTokenManager}. */
  constructor(options: SharedTokenOpenAPIOptions, tokens: TokenSource);
  constructor(options: QQOpenAPIOptions | SharedTokenOpenAPIOptions, tokens?: TokenSource) {
    if (!isObject(options)) throw invalidOption('Expected options to be an object with appId and secret');
    const input = options as Record<string, unknown>;
    if (tokens === undefined) {
      rejectUnknownKeys('', input, STANDALONE_KEYS);
      const { appId, secret } = resolveCredentials(input);
      const endpoints = resolveEndpoints(input.endpoints);
      this.#opts = resolveCommon(input, endpoints.api);
      this.#tokens = new TokenManager({ appId, secret, url: endpoints.token, timeoutMs: this.#opts.timeoutMs });
    } else {
      if (!isTokenSource(tokens)) throw invalidOption('Expected a TokenManager (appId, get and refresh)');
      rejectUnknownKeys('', input, SHARED_TOKEN_KEYS);
      const apiBase = input.apiBase === undefined ? DEFAULT_ENDPOINTS.api : httpUrl('apiBase', input.apiBase);
      this.#opts = resolveCommon(input, apiBase);
      this.#tokens = tokens;
    }
    const url = new URL(this.#opts.apiBase);
    this.#origin = url.origin;
    this.#host = url.host;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#replies = new ReplyTracker(this.#opts.replies);
    // One listener per waiting call, each removed when its wait ends: many at once is normal, not a leak.
    setMaxListeners(0, this.#closing.signal);
  }

  /**
   * Builds a client that shares `tokens` (and so its single-flight refresh) with the caller: the connector's way.
   * `close()` on the client leaves the token manager alone.
   */
  static fromTokenManager(tokens: TokenSource, options: SharedTokenOpenAPIOptions = {}): QQOpenAPI {
    return new QQOpenAPI(options, tokens);
  }

  get appId(): string {
    return this.#tokens.appId;
  }

  /** The reply rules behind {@link reply}: exposed for inspection and tests. */
  get replies(): ReplyTracker {
    return this.#replies;
  }

  // ─────────────── messages ───────────────

  /** Retried after a timeout, a reset or a 5xx: the same `msg_seq` makes the platform drop a second copy. */
  async sendGroupMessage(groupOpenid: string, body: V2MessageBody, options?: CallOptions): Promise<SendResult> {
    return this.#send('POST /v2/groups/{group_openid}/messages', `/v2/groups/${enc(groupOpenid)}/messages`, body, true, options);
  }

  /** Retried after a timeout, a reset or a 5xx: the same `msg_seq` makes the platform drop a second copy. */
  async sendC2CMessage(openid: string, body: V2MessageBody, options?: CallOptions): Promise<SendResult> {
    return this.#send('POST /v2/users/{openid}/messages', `/v2/users/${enc(openid)}/messages`, body, true, options);
  }

  /**
   * Not retried after a failure that may have reached the platform (timeout, reset, 5xx): the guild API has no
   * `msg_seq`, so a retry could post twice. Such a failure is thrown with its code; 429 and connection failures
   * are still retried.
   */
  async sendChannelMessage(channelId: string, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult> {
    return this.#send('POST /channels/{channel_id}/messages', `/channels/${enc(channelId)}/messages`, body, false, options);
  }

  /**
   * A guild direct message; `guildId` is the DM session's guild id (`guild_id` of DIRECT_MESSAGE_CREATE).
   * Retried as {@link QQOpenAPI.sendChannelMessage} is: never after a failure that may have landed.
   */
  async sendDirectMessage(guildId: string, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult> {
    return this.#send('POST /dms/{guild_id}/messages', `/dms/${enc(guildId)}/messages`, body, false, options);
  }

  /**
   * Answers a dispatch event within the platform's passive-reply rules: picks the endpoint from the event type,
   * sets `msg_id` (message events) or `event_id` (other events) and a `msg_seq` that grows per message (1, 2, 3, …).
   * A string becomes `{ content, msg_type: 0 }`. Past 5 replies, or past the window (5 min group/channel/DM,
   * 60 min C2C, from `data.timestamp`), it throws `QQBOT_PASSIVE_REPLY_LIMIT` / `QQBOT_PASSIVE_REPLY_EXPIRED` without sending.
   *
   * @example
   * bot.on('dispatch', (e) => { if (e.type === 'GROUP_AT_MESSAGE_CREATE') void api.reply(e, 'pong') });
   */
  async reply(event: ReplyableEvent, content: ReplyContent, options?: CallOptions): Promise<SendResult> {
    this.#assertOpen();
    const media = readMediaReply(content);
    // Refused before a reply is spent: what the guild API cannot carry.
    if (media !== undefined) checkGuildMedia(event, media);
    const plan = await this.#replies.plan(event);
    if (media !== undefined) return this.#replyMedia(plan, media, options);
    const base: Record<string, unknown> = typeof content === 'string' ? { content, msg_type: 0 } : { ...content };
    delete base.msg_id;
    delete base.event_id;
    delete base.msg_seq;
    switch (plan.scope) {
      case 'group':
      case 'c2c': {
        // v2 requires msg_type; a body without one is text.
        const body = { msg_type: 0, ...(base as Partial<V2MessageBody>), ...plan.fields } as V2MessageBody;
        return plan.scope === 'group' ? this.sendGroupMessage(plan.targetId, body, options) : this.sendC2CMessage(plan.targetId, body, options);
      }
      case 'channel':
      case 'dm': {
        // The guild (v1) API has neither msg_seq nor msg_type; the reply still counts against the limit here.
        delete base.msg_type;
        const { msg_seq: _seq, ...ref } = plan.fields;
        return this.#sendGuild(plan, { ...(base as ChannelMessageBody), ...ref }, options);
      }
    }
  }

  /**
   * A streamed reply to a C2C message (`POST /v2/users/{openid}/stream_messages`): the text grows in place as
   * `chunks` yields it, the way LLM bots answer. Frames go out at most every `minIntervalMs` (300 ms), each
   * with the whole text so far (replace mode); the final frame (`input_state` 10, without which the platform
   * rolls the message back) is sent on every path once a stream was opened. The stream is one reply (one
   * `msg_seq`) under the reply rules. Rejects with `QQBOT_REPLY_UNSUPPORTED` for anything but a C2C event,
   * `QQBOT_PASSIVE_REPLY_EXPIRED` past `windowMs` (checked before the first frame and before each one),
   * `QQBOT_STREAM_SOURCE_FAILED` when `chunks` throws, `QQBOT_ABORTED` on the signal. See docs/rest.md.
   *
   * @example
   * bot.on('C2C_MESSAGE_CREATE', (e) => bot.api.replyStream(e, llm.stream(e.data.content)).catch(report));
   */
  async replyStream(event: ReplyableEvent, chunks: AsyncIterable<string>, options?: StreamReplyOptions): Promise<StreamReplyResult> {
    this.#assertOpen();
    const opts = resolveStreamOptions(options);
    if (chunks === null || typeof (chunks as Partial<AsyncIterable<string>>)?.[Symbol.asyncIterator] !== 'function') {
      throw invalidOption('Expected `chunks` to be an async iterable of strings');
    }
    const target = resolveReplyTarget(event);
    if (target.scope !== 'c2c') {
      throw new QQBotError(ErrorCodes.REPLY_UNSUPPORTED, `streamed replies are C2C only, not ${target.scope} (${String(event.type)})`, { details: { type: String(event.type) } });
    }
    const now = this.#opts.replies.now ?? Date.now;
    const data = isObject(event.data) ? event.data : {};
    const deadline = (parseEventTimestamp(data.timestamp) ?? now()) + opts.windowMs;
    if (now() > deadline) {
      throw new QQBotError(ErrorCodes.PASSIVE_REPLY_EXPIRED, `a stream needs a message younger than ${opts.windowMs} ms`, { details: { scope: 'c2c', windowMs: opts.windowMs, lateByMs: now() - deadline } });
    }
    const plan = await this.#replies.plan(event);
    const route = 'POST /v2/users/{openid}/stream_messages';
    const path = `/v2/users/${enc(plan.targetId)}/stream_messages`;
    // The official SDK sends the message id as both msg_id and event_id; an event reference goes as event_id.
    const ref = plan.fields.msg_id === undefined ? { event_id: plan.fields.event_id } : { msg_id: plan.fields.msg_id, event_id: plan.fields.msg_id };
    const post = async (frame: StreamFrame): Promise<string | undefined> => {
      // Idempotent: a frame resent whole, with the same index, replaces the text with itself.
      const res = await this.#call({ method: 'POST', idempotent: true, route, path, body: { ...frame, ...ref, msg_seq: plan.fields.msg_seq } });
      const id = isObject(res.body) ? res.body.id : undefined;
      return typeof id === 'string' && id !== '' ? id : undefined;
    };
    return runStream({ post, now, deadline }, chunks, opts);
  }

  /** Group and C2C: upload (`/files`), then send `msg_type` 7 with the reply fields. Guild: an image URL as `image`. */
  async #replyMedia(plan: ReplyPlan, media: MediaRequest, options?: CallOptions): Promise<SendResult> {
    const text = media.content ?? ' ';
    if (plan.scope === 'channel' || plan.scope === 'dm') {
      const { msg_seq: _seq, ...ref } = plan.fields;
      return this.#sendGuild(plan, { image: media.source as string, ...(media.content === undefined ? {} : { content: media.content }), ...ref }, options);
    }
    const input: UploadMediaInput = typeof media.source === 'string' ? { fileType: media.fileType, url: media.source } : { fileType: media.fileType, data: media.source };
    const uploaded = plan.scope === 'group' ? await this.uploadGroupMedia(plan.targetId, input, options) : await this.uploadC2CMedia(plan.targetId, input, options);
    const body: V2MessageBody = { msg_type: 7, media: { file_info: uploaded.fileInfo }, content: text, ...plan.fields };
    return plan.scope === 'group' ? this.sendGroupMessage(plan.targetId, body, options) : this.sendC2CMessage(plan.targetId, body, options);
  }

  #sendGuild(plan: ReplyPlan, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult> {
    return plan.scope === 'channel' ? this.sendChannelMessage(plan.targetId, body, options) : this.sendDirectMessage(plan.targetId, body, options);
  }


  // ─────────────── media ───────────────

  async uploadGroupMedia(groupOpenid: string, input: UploadMediaInput, options?: CallOptions): Promise<MediaUploadResult> {
    return this.#upload('POST /v2/groups/{group_openid}/files', `/v2/groups/${enc(groupOpenid)}/files`, input, options);
  }

  async uploadC2CMedia(openid: string, input: UploadMediaInput, options?: CallOptions): Promise<MediaUploadResult> {
    return this.#upload('POST /v2/users/{openid}/files', `/v2/users/${enc(openid)}/files`, input, options);
  }

  // ─────────────── recall, interactions ───────────────

  /**
   * Retried like any idempotent call; a 404 after an attempt that may have landed (timeout, reset, 5xx) means
   * that attempt removed the message, so it resolves. A 404 on the first attempt is thrown.
   */
  async recallGroupMessage(groupOpenid: string, messageId: string, options?: CallOptions): Promise<void> {
    await this.#call({
      method: 'DELETE',
      idempotent: true,
      route: 'DELETE /v2/groups/{group_openid}/messages/{message_id}',
      path: `/v2/groups/${enc(groupOpenid)}/messages/${enc(messageId)}`,
      allowEmpty: true,
      signal: options?.signal,
    });
  }

  /** As {@link QQOpenAPI.recallGroupMessage}. */
  async recallC2CMessage(openid: string, messageId: string, options?: CallOptions): Promise<void> {
    await this.#call({
      method: 'DELETE',
      idempotent: true,
      route: 'DELETE /v2/users/{openid}/messages/{message_id}',
      path: `/v2/users/${enc(openid)}/messages/${enc(messageId)}`,
      allowEmpty: true,
      signal: options?.signal,
    });
  }

  /**
   * Acknowledges a button press (`PUT /interactions/{id}`), given the `INTERACTION_CREATE` event itself or its
   * interaction id (`data.id`). Until it is ACKed the user's client shows the press as pending, and then as failed:
   * ACK first, then do the work (`bot.on('INTERACTION_CREATE', (e) => void bot.api.ackInteraction(e))`).
   */
  async ackInteraction(interaction: string | InteractionEventLike, code: InteractionAckCode = 0, options?: CallOptions): Promise<void> {
    const interactionId = interactionIdOf(interaction);
    await this.#call({
      method: 'PUT',
      idempotent: true,
      route: 'PUT /interactions/{interaction_id}',
      path: `/interactions/${enc(interactionId)}`,
      body: { code },
      allowEmpty: true,
      signal: options?.signal,
    });
  }


  // ─────────────── bot, gateway ───────────────

  async getMe(options?: CallOptions): Promise<BotUser> {
    const route = 'GET /users/@me';
    const { status, body } = await this.#call({ method: 'GET', idempotent: true, route, path: '/users/@me', signal: options?.signal });
    if (!isObject(body) || typeof body.id !== 'string' || typeof body.username !== 'string') throw badShape(route, status, 'id and username');
    const user: BotUser = { id: body.id, username: body.username };
    if (typeof body.avatar === 'string') user.avatar = body.avatar;
    if (typeof body.union_openid === 'string') user.union_openid = body.union_openid;
    return user;
  }

  async getGateway(options?: CallOptions): Promise<{ url: string }> {
    const route = 'GET /gateway';
    const { status, body } = await this.#call({ method: 'GET', idempotent: true, route, path: '/gateway', signal: options?.signal });
    if (!isObject(body) || typeof body.url !== 'string' || body.url === '') throw badShape(route, status, 'url');
    return { url: body.url };
  }

  async getGatewayBot(options?: CallOptions): Promise<GatewayBotInfo> {
    const route = 'GET /gateway/bot';
    const { status, body } = await this.#call({ method: 'GET', idempotent: true, route, path: '/gateway/bot', signal: options?.signal });
    const info = readGatewayBot(body);
    // No defaults: a made-up `remaining` would make a caller wait (0) or start sessions it may not (1000).
    if (
      info === undefined ||
      info.shards === undefined ||
      info.total === undefined ||
      info.remaining === undefined ||
      info.resetAfterMs === undefined ||
      info.maxConcurrency === undefined
    ) {
      throw badShape(route, status, 'url, shards and session_start_limit');
    }
    return {
      url: info.url,
      shards: info.shards,
      session_start_limit: { total: info.total, remaining: info.remaining, reset_after: info.resetAfterMs, max_concurrency: info.maxConcurrency },
    };
  }

  // ─────────────── lifecycle ───────────────

  /** Aborts pending calls and backoff waits (`QQBOT_CLOSED`) and destroys the connection pool. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) this.#closing.abort(new QQBotError(ErrorCodes.CLOSED, 'the OpenAPI client was closed', { retryable: false }));
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }

  // ─────────────── internals ───────────────

  async #send(route: string, path: string, body: V2MessageBody | ChannelMessageBody, idempotent: boolean, options?: CallOptions): Promise<SendResult> {
    if (!isObject(body)) throw invalidOption(`Expected the body of ${route} to be an object`);
    const res = await this.#call({ method: 'POST', idempotent, route, path, body, signal: options?.signal });
    if (res.deduplicated) return { status: 'deduplicated', deduplicated: true };
    const b = isObject(res.body) ? res.body : undefined;
    if (b !== undefined && typeof b.id === 'string' && b.id !== '') {
      const ts = b.timestamp;
      return { status: 'sent', id: b.id, timestamp: typeof ts === 'string' ? ts : typeof ts === 'number' ? String(ts) : undefined, deduplicated: false };
    }
    const auditId = auditIdOf(b);
    if (auditId !== undefined) return { status: 'audit', auditId, deduplicated: false };
    throw badShape(route, res.status, 'a message id or an audit id');
  }

  async #upload(route: string, path: string, input: UploadMediaInput, options?: CallOptions): Promise<MediaUploadResult> {
    const byUrl = isObject(input) && typeof input.url === 'string' && input.url !== '' && input.data === undefined;
    const byData = isObject(input) && input.data instanceof Uint8Array && input.data.byteLength > 0 && input.url === undefined;
    if (!isObject(input) || ![1, 2, 3, 4].includes(input.fileType) || !(byUrl || byData)) {
      throw invalidOption('Expected `{ fileType: 1 | 2 | 3 | 4, url: string }` or `{ fileType, data: Uint8Array }` (non-empty)');
    }
    const source = byUrl ? { url: input.url } : { file_data: Buffer.from(input.data as Uint8Array).toString('base64') };
    // A second upload only yields a second file_info; nothing is posted (srv_send_msg: false).
    const res = await this.#call({ method: 'POST', idempotent: true, route, path, body: { file_type: input.fileType, ...source, srv_send_msg: false }, signal: options?.signal });
    const b = res.body;
    if (!isObject(b) || typeof b.file_info !== 'string' || b.file_info === '') throw badShape(route, res.status, 'file_info');
    return {
      fileUuid: typeof b.file_uuid === 'string' ? b.file_uuid : undefined,
      fileInfo: b.file_info,
      ttl: typeof b.ttl === 'number' ? b.ttl : 0,
    };
  }

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw new QQBotError(ErrorCodes.CLOSED, 'the OpenAPI client is closed', { retryable: false });
  }

  /** The keep-alive pool; its phase timeouts are the attempt's deadline, so no request sets its own. */
  #connections(): Pool {
    if (this.#pool === undefined) {
      const ms = this.#opts.timeoutMs;
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
  async #call(call: Call): Promise<CallResult> {
    this.#assertOpen();
    // Waits (token, backoff) stop on close() or the caller's abort. The request itself gets only the caller's
    // signal: close() ends it by destroying the pool, which keeps AbortSignal.any off the long-lived signal.
    const signals = call.signal === undefined ? [this.#closing.signal] : [this.#closing.signal, call.signal];
    const { retry, logger } = this.#opts;
    const path = `${this.#basePath}${call.path}`;
    const payload = call.body === undefined ? null : JSON.stringify(call.body);
    let retriesUsed = 0;
    let refreshed = false;
    /**
     * An earlier attempt may have reached the platform (timeout, reset, 5xx): a "duplicate" now means it landed,
     * and so does a 404 to a DELETE.
     */
    let mayHaveLanded = false;
    for (let attempt = 1; ; attempt++) {
      // The token manager is not given the caller's signal: it shares one fetch among all callers, and one
      // caller's abort must not fail the others; with a signal we stop waiting instead. Without one, the wait is
      // bounded by the token request's own deadline, and a close() meanwhile is noticed right after.
      const token = await this.#wait(this.#tokens.get(), call.signal === undefined ? [] : signals, call);
      this.#assertOpen();
      let res: JsonResponse;
      try {
        // One deadline per attempt (timeouts.httpMs, queueing in the pool included); statuses come back, failures
        // are thrown as QQBotErrors (HTTP_TIMEOUT, NETWORK, ABORTED, BAD_RESPONSE for a 2xx that is not JSON).
        res = await exchange(
          { pool: this.#connections(), path, host: this.#host },
          { method: call.method, headers: { authorization: authorization(token), 'x-union-appid': this.#tokens.appId }, payload, timeoutMs: this.#opts.timeoutMs, signal: call.signal, what: call.route, keepAlive: true, repeatable: false },
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
        const isError = code !== undefined && code !== 0 && !(isObject(res.body) && typeof res.body.id === 'string') && auditIdOf(res.body) === undefined;
        if (!isError) {
          if (res.body === undefined && call.allowEmpty !== true) throw badShape(call.route, res.status, 'a JSON body', 'empty');
          return { status: res.status, body: res.body, deduplicated: false };
        }
      }

      const kind = classifyApiError(res.status, errorBody.code, errorBody.err_code);
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
        await this.#wait(this.#tokens.refresh(token), signals, call);
        continue;
      }
      // A 5xx may have been sent after the platform accepted the call; a 429 was not.
      if (kind === 'retry' && retriesUsed < retry.retries && (call.idempotent || res.status === 429)) {
        if (res.status >= 500) mayHaveLanded = true;
        retriesUsed++;
        await this.#backoff(call, retriesUsed, retryAfterMs(res.headers), `HTTP ${res.status}`, signals);
        continue;
      }
      const error = new QQApiError({ what: call.route, status: res.status, body: res.body, errorBody, headers: res.headers, attempts: attempt });
      logger?.warn({ route: call.route, status: error.status, qqCode: error.qqCode ?? null, traceId: error.traceId ?? null, kind: error.kind, attempts: attempt }, 'qq api: call failed');
      throw error;
    }
  }

  async #backoff(call: Call, n: number, retryAfter: number | undefined, why: string, signals: readonly AbortSignal[]): Promise<void> {
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
      return new QQBotError(ErrorCodes.CLOSED, `${call.route} was cut short: the OpenAPI client was closed`, { retryable: false, cause: err });
    }
    if (err instanceof QQBotError) return err;
    if (call.signal?.aborted === true) return new QQBotError(ErrorCodes.ABORTED, `${call.route} was aborted`, { retryable: false, cause: err });
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
  return err.code === ErrorCodes.NETWORK && (errno === 'ECONNREFUSED' || errno === 'UND_ERR_CONNECT_TIMEOUT' || errno === 'ENOTFOUND' || errno === 'EAI_AGAIN');
}

function auditIdOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const candidates = [isObject(body.data) && isObject(body.data.message_audit) ? body.data.message_audit.audit_id : undefined, isObject(body.message_audit) ? body.message_audit.audit_id : undefined, body.audit_id];
  const found = candidates.find((c): c is string => typeof c === 'string' && c !== '');
  return found;
}

function badShape(route: string, status: number, expected: string, got = 'something else'): QQBotError {
  return new QQBotError(ErrorCodes.BAD_RESPONSE, `${route} answered HTTP ${status} with ${got} where ${expected} was expected`, {
    retryable: false,
    details: { status },
  });
}

/**
 * The guild (channel, DM) API takes an image by URL (`image`) and nothing else here: bytes need a multipart
 * upload, and it has no video, voice or file messages. Refused with `QQBOT_REPLY_UNSUPPORTED` before anything is sent.
 */
function checkGuildMedia(event: ReplyableEvent, media: MediaRequest): void {
  const { scope } = resolveReplyTarget(event);
  if (scope !== 'channel' && scope !== 'dm') return;
  if (media.kind === 'image' && typeof media.source === 'string') return;
  throw new QQBotError(ErrorCodes.REPLY_UNSUPPORTED, `a ${scope} reply takes an image URL only, not ${media.kind === 'image' ? 'image bytes' : `a ${media.kind}`}`, {
    details: { type: String(event.type), kind: media.kind },
  });
}
