import { ErrorCodes, QQBotError, invalidOption } from '../errors.js';
import { isObject } from '../options/checks.js';
import type {
  CallOptions,
  ChannelMessageBody,
  MediaUploadResult,
  SendResult,
  UploadCallOptions,
  UploadMediaInput,
  V2MessageBody,
} from '../bodies/message-bodies.js';
import { readMediaReply, type MediaReply, type MediaRequest } from '../messages/media.js';
import {
  parseEventTimestamp,
  resolveReplyTarget,
  type ReplyPlan,
  type ReplyTracker,
  type ReplyableEvent,
  type StreamableEvent,
} from './passive-reply.js';
import {
  resolveStreamOptions,
  runStream,
  type StreamFrame,
  type StreamReplyOptions,
  type StreamReplyResult,
} from './stream-reply.js';

/** What `reply()` sends: text, a message body (see the builders in `src/messages/`), or media. */
export type ReplyContent = string | V2MessageBody | ChannelMessageBody | MediaReply;

/** The endpoints a reply goes through: the client's own methods. */
export interface ReplyEndpoints {
  sendGroupMessage(groupOpenid: string, body: V2MessageBody, options?: CallOptions): Promise<SendResult>;
  sendC2CMessage(openid: string, body: V2MessageBody, options?: CallOptions): Promise<SendResult>;
  sendChannelMessage(channelId: string, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult>;
  sendDirectMessage(guildId: string, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult>;
  uploadGroupMedia(
    groupOpenid: string,
    input: UploadMediaInput,
    options?: UploadCallOptions,
  ): Promise<MediaUploadResult>;
  uploadC2CMedia(openid: string, input: UploadMediaInput, options?: UploadCallOptions): Promise<MediaUploadResult>;
  /** Posts one stream frame (`POST /v2/users/{openid}/stream_messages`); answers the frame's `id`. */
  postStreamFrame(openid: string, body: Record<string, unknown>): Promise<string | undefined>;
}

/**
 * Replies to dispatch events: routes each to its endpoint, adds the reply fields the {@link ReplyTracker}
 * grants (or refuses without sending), uploads media first, and runs streamed replies.
 */
export class Replier {
  readonly #endpoints: ReplyEndpoints;
  readonly #tracker: ReplyTracker;
  readonly #now: () => number;

  constructor(endpoints: ReplyEndpoints, tracker: ReplyTracker, now: () => number = Date.now) {
    this.#endpoints = endpoints;
    this.#tracker = tracker;
    this.#now = now;
  }

  async reply(event: ReplyableEvent, content: ReplyContent, options?: CallOptions): Promise<SendResult> {
    const media = readMediaReply(content);
    // Refused before a reply is spent: what the guild API cannot carry.
    if (media !== undefined) checkGuildMedia(event, media);
    const plan = await this.#tracker.plan(event);
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
        return plan.scope === 'group'
          ? this.#endpoints.sendGroupMessage(plan.targetId, body, options)
          : this.#endpoints.sendC2CMessage(plan.targetId, body, options);
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

  async replyStream(
    event: StreamableEvent,
    chunks: AsyncIterable<string>,
    options?: StreamReplyOptions,
  ): Promise<StreamReplyResult> {
    const opts = resolveStreamOptions(options);
    if (chunks === null || typeof (chunks as Partial<AsyncIterable<string>>)?.[Symbol.asyncIterator] !== 'function') {
      throw invalidOption('Expected `chunks` to be an async iterable of strings');
    }
    const target = resolveReplyTarget(event);
    if (target.scope !== 'c2c') {
      throw new QQBotError(
        ErrorCodes.REPLY_UNSUPPORTED,
        `streamed replies are C2C only, not ${target.scope} (${String(event.type)})`,
        { details: { type: String(event.type) } },
      );
    }
    const now = this.#now;
    const data = isObject(event.data) ? event.data : {};
    const deadline = (parseEventTimestamp(data.timestamp) ?? now()) + opts.windowMs;
    if (now() > deadline) {
      throw new QQBotError(
        ErrorCodes.PASSIVE_REPLY_EXPIRED,
        `a stream needs a message younger than ${opts.windowMs} ms`,
        { details: { scope: 'c2c', windowMs: opts.windowMs, lateByMs: now() - deadline } },
      );
    }
    const plan = await this.#tracker.plan(event);
    // The official SDK sends the message id as both msg_id and event_id; an event reference goes as event_id.
    const ref =
      plan.fields.msg_id === undefined
        ? { event_id: plan.fields.event_id }
        : { msg_id: plan.fields.msg_id, event_id: plan.fields.msg_id };
    const post = (frame: StreamFrame): Promise<string | undefined> =>
      this.#endpoints.postStreamFrame(plan.targetId, { ...frame, ...ref, msg_seq: plan.fields.msg_seq });
    return runStream({ post, now, deadline }, chunks, opts);
  }

  /** Group and C2C: upload (`/files`), then send `msg_type` 7 with the reply fields. Guild: an image URL as `image`. */
  async #replyMedia(plan: ReplyPlan, media: MediaRequest, options?: CallOptions): Promise<SendResult> {
    const text = media.content ?? ' ';
    if (plan.scope === 'channel' || plan.scope === 'dm') {
      const { msg_seq: _seq, ...ref } = plan.fields;
      return this.#sendGuild(
        plan,
        { image: media.source as string, ...(media.content === undefined ? {} : { content: media.content }), ...ref },
        options,
      );
    }
    const input = uploadInput(media);
    const api = this.#endpoints;
    const uploaded =
      plan.scope === 'group'
        ? await api.uploadGroupMedia(plan.targetId, input, options)
        : await api.uploadC2CMedia(plan.targetId, input, options);
    const body: V2MessageBody = { msg_type: 7, media: { file_info: uploaded.fileInfo }, content: text, ...plan.fields };
    return plan.scope === 'group'
      ? api.sendGroupMessage(plan.targetId, body, options)
      : api.sendC2CMessage(plan.targetId, body, options);
  }

  #sendGuild(plan: ReplyPlan, body: ChannelMessageBody, options?: CallOptions): Promise<SendResult> {
    return plan.scope === 'channel'
      ? this.#endpoints.sendChannelMessage(plan.targetId, body, options)
      : this.#endpoints.sendDirectMessage(plan.targetId, body, options);
  }
}

function uploadInput(media: MediaRequest): UploadMediaInput {
  const { source, fileType } = media;
  if (typeof source === 'string') return { fileType, url: source };
  if (source instanceof Uint8Array) return { fileType, data: source };
  if ('path' in source)
    return { fileType, path: source.path, ...(source.fileName === undefined ? {} : { fileName: source.fileName }) };
  return {
    fileType,
    stream: source.stream,
    size: source.size,
    ...(source.fileName === undefined ? {} : { fileName: source.fileName }),
  };
}

/**
 * The guild (channel, DM) API takes an image by URL (`image`) and nothing else here: bytes need a multipart
 * upload, and it has no video, voice or file messages. Refused with `QQBOT_REPLY_UNSUPPORTED` before anything is sent.
 */
function checkGuildMedia(event: ReplyableEvent, media: MediaRequest): void {
  const { scope } = resolveReplyTarget(event);
  if (scope !== 'channel' && scope !== 'dm') return;
  if (media.kind === 'image' && typeof media.source === 'string') return;
  throw new QQBotError(
    ErrorCodes.REPLY_UNSUPPORTED,
    `a ${scope} reply takes an image URL only, not ${media.kind === 'image' ? 'image bytes' : `a ${media.kind}`}`,
    {
      details: { type: String(event.type), kind: media.kind },
    },
  );
}
