/**
 * The `d` of message events (docs/protocol.md §6): group and C2C (v2), channel and guild DM (v1). Fields the
 * platform always sends are required; the rest are optional, as community SDKs and field reports show them.
 * @module
 */

/** A file attached to a message (image, voice, video, file). */
export interface MessageAttachment {
  /** MIME type, e.g. `image/jpeg`; voice messages have `voice`. */
  content_type: string;
  url: string;
  filename?: string;
  height?: number;
  width?: number;
  size?: number;
  /** Voice messages: a WAV rendition. */
  voice_wav_url?: string;
  /** Voice messages: the platform's speech-to-text. */
  asr_refer_text?: string;
}

/** The message a reply quotes. */
export interface MessageQuote {
  message_id: string;
}

/** Where a v2 message came from; `ext` carries extra tags (e.g. the quoted message's index). */
export interface MessageScene {
  source?: string;
  ext?: string[];
}

/** `GROUP_AT_MESSAGE_CREATE` (a bot @-mentioned in a group) and `GROUP_MESSAGE_CREATE` (every group message). */
export interface GroupMessageData {
  /** The message id: `msg_id` of a passive reply. */
  id: string;
  /** The text; with the @-mention stripped it often begins with a space. */
  content: string;
  /** ISO 8601 with offset, e.g. `2023-11-06T13:37:18+08:00`. */
  timestamp: string;
  group_openid: string;
  /** Sent beside `group_openid` and equal to it; some SDKs (the official Go one) read only this. */
  group_id: string;
  author: {
    member_openid: string;
    /** Sent beside `member_openid` and equal to it. */
    id: string;
    union_openid?: string;
    username?: string;
    bot?: boolean;
  };
  attachments?: MessageAttachment[];
  mentions?: Array<{
    scope?: 'all' | 'single';
    id?: string;
    member_openid?: string;
    user_openid?: string;
    nickname?: string;
    bot?: boolean;
    is_you?: boolean;
  }>;
  message_reference?: MessageQuote;
  message_scene?: MessageScene;
  message_type?: number;
}

/** `C2C_MESSAGE_CREATE`: a private (user-to-bot) message. */
export interface C2CMessageData {
  id: string;
  content: string;
  timestamp: string;
  author: {
    user_openid: string;
    /** Sent beside `user_openid` and equal to it. */
    id: string;
    union_openid?: string;
  };
  attachments?: MessageAttachment[];
  message_reference?: MessageQuote;
  message_scene?: MessageScene;
  message_type?: number;
}

/** A guild user as the guild (v1) API shows one. */
export interface GuildUser {
  id: string;
  username?: string;
  avatar?: string;
  bot?: boolean;
  union_openid?: string;
}

/** `AT_MESSAGE_CREATE`, `MESSAGE_CREATE` (private bots): a message in a guild channel. */
export interface ChannelMessageData {
  id: string;
  content: string;
  timestamp: string;
  channel_id: string;
  guild_id: string;
  author: GuildUser;
  member?: { joined_at?: string; nick?: string; roles?: string[] };
  mentions?: GuildUser[];
  mention_everyone?: boolean;
  attachments?: MessageAttachment[];
  message_reference?: MessageQuote;
  edited_timestamp?: string;
  /** Per-channel sequence, as a string. */
  seq_in_channel?: string;
  seq?: number;
}

/** `DIRECT_MESSAGE_CREATE`: a guild direct message; reply through `guild_id` (the DM session's guild). */
export interface DirectMessageData extends ChannelMessageData {
  /** The guild the DM was started from. */
  src_guild_id?: string;
  direct_message?: boolean;
}

/** `MESSAGE_DELETE`, `PUBLIC_MESSAGE_DELETE`, `DIRECT_MESSAGE_DELETE`: a message was recalled. */
export interface MessageDeleteData {
  message: {
    id: string;
    channel_id: string;
    guild_id: string;
    author?: GuildUser;
    direct_message?: boolean;
    src_guild_id?: string;
  };
  op_user?: { id: string };
}
