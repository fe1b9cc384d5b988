import type { GatewayBotInfo } from '../protocol/payloads.js';
import { invalidOption } from '../errors.js';
import { isObject } from '../options/checks.js';
import { Resolved } from '../options/schema.js';
import type {
  CallOptions,
  ChannelMessageBody,
  MediaUploadResult,
  SendResult,
  UploadCallOptions,
  UploadMediaInput,
  V2MessageBody,
} from '../bodies/message-bodies.js';
import { ReplyTracker, type ReplyableEvent, type StreamableEvent } from '../replies/passive-reply.js';
import { Replier, type ReplyContent } from '../replies/reply.js';
import type { StreamReplyOptions, StreamReplyResult } from '../replies/stream-reply.js';
import { badShape, readSendResult } from './answers.js';
import { readGatewayBot } from './gateway.js';
import { pathSegment } from './path.js';
import { uploadMedia } from './media-upload.js';
import {
  resolveSharedTokenOptions,
  resolveStandaloneOptions,
  type QQOpenAPIOptions,
  type ResolvedOpenAPIOptions,
  type SharedTokenOpenAPIOptions,
} from './openapi-options.js';
import { RestRequester, type CallResult } from './rest-request.js';
import { TokenManager, type TokenSource } from './token-manager.js';

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

/** Ids in paths: checked and encoded (`..` or a slash would send the call and its token to another route). */
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
  readonly #requester: RestRequester;
  readonly #replies: ReplyTracker;
  readonly #replier: Replier;
  readonly #upload: ResolvedOpenAPIOptions['upload'];

  constructor(options: QQOpenAPIOptions);
  /** @internal Use {@link QQOpenAPI.fromTokenManager}; `options` are taken as resolved, not checked again. */
  constructor(options: ResolvedOpenAPIOptions, tokens: TokenSource);
  constructor(options: QQOpenAPIOptions | ResolvedOpenAPIOptions, tokens?: TokenSource) {
    let resolved: ResolvedOpenAPIOptions;
    if (tokens === undefined) {
      const standalone = resolveStandaloneOptions(options);
      resolved = standalone;
      this.#tokens = new TokenManager({
        appId: standalone.appId,
        secret: standalone.secret,
        url: standalone.tokenUrl,
        timeoutMs: standalone.timeouts.httpMs,
      });
    } else {
      resolved = options as ResolvedOpenAPIOptions;
      this.#tokens = tokens;
    }
    this.#requester = new RestRequester(this.#tokens, resolved);
    this.#upload = resolved.upload;
    this.#replies = new ReplyTracker(new Resolved(resolved.replies));
    const route = 'POST /v2/users/{openid}/stream_messages';
    this.#replier = new Replier(
      {
        sendGroupMessage: (id, b, o) => this.sendGroupMessage(id, b, o),
        sendC2CMessage: (id, b, o) => this.sendC2CMessage(id, b, o),
        sendChannelMessage: (id, b, o) => this.sendChannelMessage(id, b, o),
        sendDirectMessage: (id, b, o) => this.sendDirectMessage(id, b, o),
        uploadGroupMedia: (id, i, o) => this.uploadGroupMedia(id, i, o),
        uploadC2CMedia: (id, i, o) => this.uploadC2CMedia(id, i, o),
        postStreamFrame: async (openid, frame) => {
          // Idempotent: a frame resent whole, with the same index, replaces the text with itself.
          const res = await this.#requester.call({
            method: 'POST',
            idempotent: true,
            route,
            path: `/v2/users/${enc(openid)}/stream_messages`,
            body: frame,
            target: openid,
          });
          const id = isObject(res.body) ? res.body.id : undefined;
          return typeof id === 'string' && id !== '' ? id : undefined;
        },
      },
      this.#replies,
      resolved.replies.now,
    );
  }

  /**
   * Builds a client that shares `tokens` (and so its single-flight refresh) with the caller: the connector's way.
   * `close()` on the client leaves the token manager alone.
   */
  static fromTokenManager(tokens: TokenSource, options: SharedTokenOpenAPIOptions = {}): QQOpenAPI {
    return new QQOpenAPI(resolveSharedTokenOptions(tokens, options), tokens);
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
    return this.#send(
      'POST /v2/groups/{group_openid}/messages',
      groupOpenid,
      `/v2/groups/${enc(groupOpenid)}/messages`,
      body,
      true,
      options,
    );
  }

  /** Retried after a timeout, a reset or a 5xx: the same `msg_seq` makes the platform drop a second copy. */
  async sendC2CMessage(openid: string, body: V2MessageBody, options?: CallOptions): Promise<SendResult> {
    return this.#send(
      'POST /v2/users/{openid}/messages',
      openid,
      `/v2/users/${enc(openid)}/messages`,
      body,
      true,
      options,
    );
  }

  /**
   * Not retried after a failure that may have reached the platform (timeout, reset, 5xx): the guild API has no
   * `msg_seq`, so a retry could post twice. Such a failure is thrown with its code; 429 and connection failures
   * are still retried.
   */
  async sendChannelMessage(channelId: string, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult> {
    return this.#send(
      'POST /channels/{channel_id}/messages',
      channelId,
      `/channels/${enc(channelId)}/messages`,
      body,
      false,
      options,
    );
  }

  /**
   * A guild direct message; `guildId` is the DM session's guild id (`guild_id` of DIRECT_MESSAGE_CREATE).
   * Retried as {@link QQOpenAPI.sendChannelMessage} is: never after a failure that may have landed.
   */
  async sendDirectMessage(guildId: string, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult> {
    return this.#send('POST /dms/{guild_id}/messages', guildId, `/dms/${enc(guildId)}/messages`, body, false, options);
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
    this.#requester.assertOpen();
    return this.#replier.reply(event, content, options);
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
  async replyStream(
    event: StreamableEvent,
    chunks: AsyncIterable<string>,
    options?: StreamReplyOptions,
  ): Promise<StreamReplyResult> {
    this.#requester.assertOpen();
    return this.#replier.replyStream(event, chunks, options);
  }

  // ─────────────── media ───────────────

  /**
   * Uploads media for a group message (`msg_type` 7 with `media.file_info`): a URL, bytes, a file (`path`) or a
   * stream with its `size`, of any size. Up to `upload.chunkedAboveBytes` (5 MiB) in one inline body; above it
   * by the chunked protocol, part by part, with `onProgress` after each part. The platform's daily upload quota
   * (40093002) is a non-retryable `QQApiError` of kind `upload-quota`; a part failing past the platform's
   * `retry_timeout` is `QQBOT_UPLOAD_FAILED`. See docs/rest.md.
   */
  async uploadGroupMedia(
    groupOpenid: string,
    input: UploadMediaInput,
    options?: UploadCallOptions,
  ): Promise<MediaUploadResult> {
    return uploadMedia(
      this.#requester,
      { scope: 'groups', idName: 'group_openid', openid: groupOpenid },
      input,
      this.#upload,
      options,
    );
  }

  /** As {@link QQOpenAPI.uploadGroupMedia}, for a C2C message. */
  async uploadC2CMedia(
    openid: string,
    input: UploadMediaInput,
    options?: UploadCallOptions,
  ): Promise<MediaUploadResult> {
    return uploadMedia(this.#requester, { scope: 'users', idName: 'openid', openid }, input, this.#upload, options);
  }

  // ─────────────── recall, interactions ───────────────

  /**
   * Retried like any idempotent call; a 404 after an attempt that may have landed (timeout, reset, 5xx) means
   * that attempt removed the message, so it resolves. A 404 on the first attempt is thrown.
   */
  async recallGroupMessage(groupOpenid: string, messageId: string, options?: CallOptions): Promise<void> {
    await this.#requester.call({
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
    await this.#requester.call({
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
  async ackInteraction(
    interaction: string | InteractionEventLike,
    code: InteractionAckCode = 0,
    options?: CallOptions,
  ): Promise<void> {
    const interactionId = interactionIdOf(interaction);
    await this.#requester.call({
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
    const { status, body } = await this.#get(route, '/users/@me', options);
    if (!isObject(body) || typeof body.id !== 'string' || typeof body.username !== 'string')
      throw badShape(route, status, 'id and username');
    const user: BotUser = { id: body.id, username: body.username };
    if (typeof body.avatar === 'string') user.avatar = body.avatar;
    if (typeof body.union_openid === 'string') user.union_openid = body.union_openid;
    return user;
  }

  async getGateway(options?: CallOptions): Promise<{ url: string }> {
    const route = 'GET /gateway';
    const { status, body } = await this.#get(route, '/gateway', options);
    if (!isObject(body) || typeof body.url !== 'string' || body.url === '') throw badShape(route, status, 'url');
    return { url: body.url };
  }

  async getGatewayBot(options?: CallOptions): Promise<GatewayBotInfo> {
    const route = 'GET /gateway/bot';
    const { status, body } = await this.#get(route, '/gateway/bot', options);
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
      session_start_limit: {
        total: info.total,
        remaining: info.remaining,
        reset_after: info.resetAfterMs,
        max_concurrency: info.maxConcurrency,
      },
    };
  }

  // ─────────────── lifecycle ───────────────

  /** Aborts pending calls and backoff waits (`QQBOT_CLOSED`) and destroys the connection pool. Idempotent. */
  close(): Promise<void> {
    return this.#requester.close();
  }

  /** A read: idempotent, so retried by the classification table; not paced (no target). */
  #get(route: string, path: string, options: CallOptions | undefined): Promise<CallResult> {
    return this.#requester.call({ method: 'GET', idempotent: true, route, path, signal: options?.signal });
  }

  /** Sends are queued and paced per target (`pacing`). */
  async #send(
    route: string,
    target: string,
    path: string,
    body: V2MessageBody | ChannelMessageBody,
    idempotent: boolean,
    options?: CallOptions,
  ): Promise<SendResult> {
    if (!isObject(body)) throw invalidOption(`Expected the body of ${route} to be an object`);
    return readSendResult(
      route,
      await this.#requester.call({ method: 'POST', idempotent, route, path, body, target, signal: options?.signal }),
    );
  }
}
