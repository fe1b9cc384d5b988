import type { ChannelMessageBody, V2MessageBody } from '../bodies/message-bodies.js';
import type { FakeChunkedFile } from './fake-chunked-upload.js';

/**
 * The public shapes of the REST fake ({@link FakeRestApi}): what it records, the events it emits, the context its
 * host gives it and the codes it answers with.
 * @module
 */

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

/** The platform's answer (HTTP 401) to a caller whose IP is not on the bot's allow-list; `err_code` as field reports show it. */
export const IP_NOT_ALLOWED_ANSWER = {
  message: '接口访问源IP不在白名单',
  code: FakeRestCodes.IP_NOT_ALLOWED,
  err_code: 40023002,
} as const;

/** A platform error body: `code` and `err_code` alike, as the OpenAPI answers them. */
export function codeBody(code: number, message: string): { message: string; code: number; err_code: number } {
  return { message, code, err_code: code };
}

/** How a route answers: the status and the JSON body (`undefined`: none). */
export type Answer = (status: number, body: unknown) => void;

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
