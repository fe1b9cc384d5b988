/**
 * The platform's message bodies and send results as plain types: what `src/messages/` builds, what `src/http/`
 * sends and what `src/replies/` routes. Types only (and two enums of wire values), so both sides can import them.
 * @module
 */

/** `msg_type` of a v2 (group / C2C) message: 0 text, 2 markdown, 3 ark, 4 embed, 7 media. */
export type MessageType = 0 | 2 | 3 | 4 | 7;

export interface MarkdownPayload {
  content?: string;
  custom_template_id?: string;
  params?: Array<{ key: string; values: string[] }>;
}

/** What pressing a button does: 0 open a link, 1 callback (an `INTERACTION_CREATE` with `button_data`), 2 command (fills the input box). */
export const ButtonActionType = { LINK: 0, CALLBACK: 1, COMMAND: 2 } as const;
export type ButtonActionType = (typeof ButtonActionType)[keyof typeof ButtonActionType];

/** 0 grey outline, 1 blue outline. */
export const ButtonStyle = { GREY: 0, BLUE: 1 } as const;
export type ButtonStyle = (typeof ButtonStyle)[keyof typeof ButtonStyle];

/** Who may press: 0 the listed users, 1 admins, 2 everyone, 3 the listed roles (guilds). */
export interface ButtonPermission {
  type: 0 | 1 | 2 | 3;
  specify_user_ids?: string[];
  specify_role_ids?: string[];
}

export interface ButtonAction {
  type: ButtonActionType;
  permission: ButtonPermission;
  /** The URL (link), the callback data (callback) or the command text (command). */
  data: string;
  /** Command: send at once instead of filling the input box. */
  enter?: boolean;
  /** Command: quote the message the keyboard belongs to. */
  reply?: boolean;
  /** 1: command buttons open the image picker (as documented). */
  anchor?: number;
  /** Times each user may press it. */
  click_limit?: number;
  /** Shown by clients too old for this button. */
  unsupport_tips: string;
}

/** One button as the platform expects it. */
export interface KeyboardButton {
  id: string;
  render_data: { label: string; visited_label: string; style: ButtonStyle };
  action: ButtonAction;
  /** Buttons of one group: pressing one greys out the others. */
  group_id?: string;
}

export interface KeyboardRow {
  buttons: KeyboardButton[];
}

/** `keyboard` of a message: your own rows, or a keyboard template approved in the console (`id`). */
export type KeyboardPayload =
  { content: { rows: KeyboardRow[] }; id?: undefined } | { id: string; content?: undefined };

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
  /** From `uploadGroupMedia` / `uploadC2CMedia`; with `msg_type: 7`. */
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

type UploadSource<K extends 'url' | 'data' | 'path' | 'stream'> = { fileType: MediaFileType } & {
  [P in Exclude<'url' | 'data' | 'path' | 'stream', K>]?: undefined;
};

/**
 * What to upload: a URL the platform fetches the file from; the bytes; a file on disk; or a readable stream and
 * its size in bytes. Small files go inline (base64 `file_data`); above `upload.chunkedAboveBytes` the chunked
 * protocol runs, reading a file part by part (a stream is first written to a temporary file). `fileName` is
 * what the platform is told (a file's own name by default).
 */
export type UploadMediaInput =
  | (UploadSource<'url'> & { url: string })
  | (UploadSource<'data'> & { data: Uint8Array; fileName?: string })
  | (UploadSource<'path'> & { path: string; fileName?: string })
  | (UploadSource<'stream'> & { stream: AsyncIterable<Uint8Array>; size: number; fileName?: string });

/** How far an upload is: bytes the platform has of `bytesTotal`. */
export interface UploadProgress {
  bytesDone: number;
  bytesTotal: number;
}

/** Per-call options of an upload. */
export interface UploadCallOptions extends CallOptions {
  /** Called after each part of a chunked upload (and once when an inline upload is done). */
  onProgress?: (progress: UploadProgress) => void;
}

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

/** Per-call options of a REST call. */
export interface CallOptions {
  /** Aborts the call, its retries and its backoff waits (`QQBOT_ABORTED`). */
  signal?: AbortSignal;
}
