/**
 * The `d` of the non-message events (docs/protocol.md §6): interactions, group and friend management, guilds,
 * channels, members, reactions, audits, forums and audio. Optional fields are what the platform sends only
 * sometimes, or what we have seen reported but not confirmed.
 * @module
 */

import type { GuildUser } from './message-events.js';

/** `INTERACTION_CREATE`: a keyboard button was pressed. ACK it (`PUT /interactions/{id}`) promptly. */
export interface InteractionData {
  /** The interaction id: what the ACK names. */
  id: string;
  /** 11 message button, 12 single-chat quick menu (as reported). */
  type: number;
  /** `0` guild, `1` group, `2` C2C. */
  chat_type?: number;
  scene?: 'guild' | 'group' | 'c2c' | (string & {});
  timestamp?: string;
  application_id?: string;
  guild_id?: string;
  channel_id?: string;
  group_openid?: string;
  group_member_openid?: string;
  user_openid?: string;
  version?: number;
  data: {
    type: number;
    resolved: {
      /** The `action.data` of the button pressed. */
      button_data?: string;
      button_id?: string;
      user_id?: string;
      feature_id?: string;
      message_id?: string;
    };
  };
}

/** `GROUP_ADD_ROBOT`, `GROUP_DEL_ROBOT`, `GROUP_MSG_REJECT`, `GROUP_MSG_RECEIVE`. */
export interface GroupManagementData {
  /** Unix seconds (an integer, unlike message events). */
  timestamp: number;
  group_openid: string;
  op_member_openid: string;
}

/** `FRIEND_ADD`, `FRIEND_DEL`, `C2C_MSG_REJECT`, `C2C_MSG_RECEIVE`. */
export interface FriendManagementData {
  /** Unix seconds. */
  timestamp: number;
  openid: string;
}

/** `GUILD_CREATE`, `GUILD_UPDATE`, `GUILD_DELETE`. */
export interface GuildData {
  id: string;
  name: string;
  icon?: string;
  owner_id?: string;
  owner?: boolean;
  member_count?: number;
  max_members?: number;
  description?: string;
  joined_at?: string;
  op_user_id?: string;
}

/** `CHANNEL_CREATE`, `CHANNEL_UPDATE`, `CHANNEL_DELETE`. */
export interface ChannelData {
  id: string;
  guild_id: string;
  name: string;
  /** 0 text, 2 voice, 4 group, 10005 live, 10006 app, 10007 forum. */
  type: number;
  sub_type?: number;
  position?: number;
  parent_id?: string;
  owner_id?: string;
  op_user_id?: string;
}

/** `GUILD_MEMBER_ADD`, `GUILD_MEMBER_UPDATE`, `GUILD_MEMBER_REMOVE`. */
export interface GuildMemberData {
  guild_id: string;
  user: GuildUser;
  nick?: string;
  roles?: string[];
  joined_at?: string;
  op_user_id?: string;
}

/** `MESSAGE_REACTION_ADD`, `MESSAGE_REACTION_REMOVE`. */
export interface ReactionData {
  user_id: string;
  guild_id: string;
  channel_id: string;
  /** What was reacted to; `type` 0 message, 1 post, 2 comment, 3 reply. */
  target: { id: string; type: number | string };
  /** `type` 1 system emoji, 2 emoji. */
  emoji: { id: string; type: number };
}

/** `MESSAGE_AUDIT_PASS`, `MESSAGE_AUDIT_REJECT`: the outcome of a send answered `status: 'audit'`. */
export interface MessageAuditData {
  audit_id: string;
  /** Only when it passed. */
  message_id?: string;
  guild_id?: string;
  channel_id?: string;
  audit_time?: string;
  create_time?: string;
  seq_in_channel?: string;
}

/** Forum events of private bots (`FORUMS_EVENT`): threads, posts, replies, and the audit of a publication. */
export interface ForumData {
  guild_id: string;
  channel_id: string;
  author_id: string;
  thread_info?: { thread_id: string; title?: string; content?: string; date_time?: string };
  post_info?: { thread_id: string; post_id: string; content?: string; date_time?: string };
  reply_info?: { thread_id: string; post_id: string; reply_id: string; content?: string; date_time?: string };
}

/** `FORUM_PUBLISH_AUDIT_RESULT`. */
export interface ForumAuditData {
  guild_id: string;
  channel_id: string;
  author_id: string;
  thread_id?: string;
  post_id?: string;
  reply_id?: string;
  /** 1 thread, 2 post, 3 reply. */
  type?: number;
  /** 0 passed, 1 rejected. */
  result?: number;
  err_msg?: string;
}

/** Forum events of public bots (`OPEN_FORUMS_EVENT`): who did what where, without the content. */
export interface OpenForumData {
  guild_id: string;
  channel_id: string;
  author_id: string;
}

/** `AUDIO_START`, `AUDIO_FINISH`, `AUDIO_ON_MIC`, `AUDIO_OFF_MIC`. */
export interface AudioData {
  guild_id: string;
  channel_id: string;
  audio_url?: string;
  text?: string;
}

/** `AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER`, `AUDIO_OR_LIVE_CHANNEL_MEMBER_EXIT`. */
export interface AudioLiveMemberData {
  guild_id: string;
  channel_id: string;
  /** 2 voice, 5 live. */
  channel_type: number;
  user_id: string;
}
