/**
 * Which `d` each dispatch type carries: the map behind the typed `'dispatch'` event and the per-type listeners
 * (`bot.on('GROUP_AT_MESSAGE_CREATE', …)`). A type that is not here still reaches the host, with `data: unknown`.
 * @module
 */

import type {
  C2CMessageData,
  ChannelMessageData,
  DirectMessageData,
  GroupMessageData,
  MessageDeleteData,
} from './message-events.js';
import type {
  AudioData,
  AudioLiveMemberData,
  ChannelData,
  ForumAuditData,
  ForumData,
  FriendManagementData,
  GroupManagementData,
  GuildData,
  GuildMemberData,
  InteractionData,
  MessageAuditData,
  OpenForumData,
  ReactionData,
} from './other-events.js';

/** Dispatch type → the shape of its `data`. */
export interface DispatchEventDataMap {
  // Groups and C2C (GROUP_AND_C2C_EVENT). GROUP_MESSAGE_CREATE: every group message (2026, intent bit UNCONFIRMED).
  GROUP_AT_MESSAGE_CREATE: GroupMessageData;
  GROUP_MESSAGE_CREATE: GroupMessageData;
  C2C_MESSAGE_CREATE: C2CMessageData;
  GROUP_ADD_ROBOT: GroupManagementData;
  GROUP_DEL_ROBOT: GroupManagementData;
  GROUP_MSG_REJECT: GroupManagementData;
  GROUP_MSG_RECEIVE: GroupManagementData;
  FRIEND_ADD: FriendManagementData;
  FRIEND_DEL: FriendManagementData;
  C2C_MSG_REJECT: FriendManagementData;
  C2C_MSG_RECEIVE: FriendManagementData;
  // Interactions (INTERACTION).
  INTERACTION_CREATE: InteractionData;
  // Guild messages (PUBLIC_GUILD_MESSAGES, GUILD_MESSAGES, DIRECT_MESSAGE).
  AT_MESSAGE_CREATE: ChannelMessageData;
  MESSAGE_CREATE: ChannelMessageData;
  DIRECT_MESSAGE_CREATE: DirectMessageData;
  MESSAGE_DELETE: MessageDeleteData;
  PUBLIC_MESSAGE_DELETE: MessageDeleteData;
  DIRECT_MESSAGE_DELETE: MessageDeleteData;
  // Guilds, channels, members (GUILDS, GUILD_MEMBERS).
  GUILD_CREATE: GuildData;
  GUILD_UPDATE: GuildData;
  GUILD_DELETE: GuildData;
  CHANNEL_CREATE: ChannelData;
  CHANNEL_UPDATE: ChannelData;
  CHANNEL_DELETE: ChannelData;
  GUILD_MEMBER_ADD: GuildMemberData;
  GUILD_MEMBER_UPDATE: GuildMemberData;
  GUILD_MEMBER_REMOVE: GuildMemberData;
  // Reactions (GUILD_MESSAGE_REACTIONS), audits (MESSAGE_AUDIT).
  MESSAGE_REACTION_ADD: ReactionData;
  MESSAGE_REACTION_REMOVE: ReactionData;
  MESSAGE_AUDIT_PASS: MessageAuditData;
  MESSAGE_AUDIT_REJECT: MessageAuditData;
  // Forums (FORUMS_EVENT, private bots; OPEN_FORUMS_EVENT, public bots).
  FORUM_THREAD_CREATE: ForumData;
  FORUM_THREAD_UPDATE: ForumData;
  FORUM_THREAD_DELETE: ForumData;
  FORUM_POST_CREATE: ForumData;
  FORUM_POST_DELETE: ForumData;
  FORUM_REPLY_CREATE: ForumData;
  FORUM_REPLY_DELETE: ForumData;
  FORUM_PUBLISH_AUDIT_RESULT: ForumAuditData;
  OPEN_FORUM_THREAD_CREATE: OpenForumData;
  OPEN_FORUM_THREAD_UPDATE: OpenForumData;
  OPEN_FORUM_THREAD_DELETE: OpenForumData;
  OPEN_FORUM_POST_CREATE: OpenForumData;
  OPEN_FORUM_POST_DELETE: OpenForumData;
  OPEN_FORUM_REPLY_CREATE: OpenForumData;
  OPEN_FORUM_REPLY_DELETE: OpenForumData;
  // Audio (AUDIO_ACTION, AUDIO_OR_LIVE_CHANNEL_MEMBER).
  AUDIO_START: AudioData;
  AUDIO_FINISH: AudioData;
  AUDIO_ON_MIC: AudioData;
  AUDIO_OFF_MIC: AudioData;
  AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER: AudioLiveMemberData;
  AUDIO_OR_LIVE_CHANNEL_MEMBER_EXIT: AudioLiveMemberData;
}

/** Every dispatch type with a typed `data`. */
export type KnownDispatchType = keyof DispatchEventDataMap;

/** The same names at run time; the type makes the compiler check that none is missing or extra. */
const KNOWN_DISPATCH_TYPES: Readonly<Record<KnownDispatchType, true>> = {
  GROUP_AT_MESSAGE_CREATE: true,
  GROUP_MESSAGE_CREATE: true,
  C2C_MESSAGE_CREATE: true,
  GROUP_ADD_ROBOT: true,
  GROUP_DEL_ROBOT: true,
  GROUP_MSG_REJECT: true,
  GROUP_MSG_RECEIVE: true,
  FRIEND_ADD: true,
  FRIEND_DEL: true,
  C2C_MSG_REJECT: true,
  C2C_MSG_RECEIVE: true,
  INTERACTION_CREATE: true,
  AT_MESSAGE_CREATE: true,
  MESSAGE_CREATE: true,
  DIRECT_MESSAGE_CREATE: true,
  MESSAGE_DELETE: true,
  PUBLIC_MESSAGE_DELETE: true,
  DIRECT_MESSAGE_DELETE: true,
  GUILD_CREATE: true,
  GUILD_UPDATE: true,
  GUILD_DELETE: true,
  CHANNEL_CREATE: true,
  CHANNEL_UPDATE: true,
  CHANNEL_DELETE: true,
  GUILD_MEMBER_ADD: true,
  GUILD_MEMBER_UPDATE: true,
  GUILD_MEMBER_REMOVE: true,
  MESSAGE_REACTION_ADD: true,
  MESSAGE_REACTION_REMOVE: true,
  MESSAGE_AUDIT_PASS: true,
  MESSAGE_AUDIT_REJECT: true,
  FORUM_THREAD_CREATE: true,
  FORUM_THREAD_UPDATE: true,
  FORUM_THREAD_DELETE: true,
  FORUM_POST_CREATE: true,
  FORUM_POST_DELETE: true,
  FORUM_REPLY_CREATE: true,
  FORUM_REPLY_DELETE: true,
  FORUM_PUBLISH_AUDIT_RESULT: true,
  OPEN_FORUM_THREAD_CREATE: true,
  OPEN_FORUM_THREAD_UPDATE: true,
  OPEN_FORUM_THREAD_DELETE: true,
  OPEN_FORUM_POST_CREATE: true,
  OPEN_FORUM_POST_DELETE: true,
  OPEN_FORUM_REPLY_CREATE: true,
  OPEN_FORUM_REPLY_DELETE: true,
  AUDIO_START: true,
  AUDIO_FINISH: true,
  AUDIO_ON_MIC: true,
  AUDIO_OFF_MIC: true,
  AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER: true,
  AUDIO_OR_LIVE_CHANNEL_MEMBER_EXIT: true,
};

/** True for a dispatch type with a typed `data` ({@link DispatchEventDataMap}). */
export function isKnownDispatchType(type: string): type is KnownDispatchType {
  return Object.hasOwn(KNOWN_DISPATCH_TYPES, type);
}

declare const unknownEventType: unique symbol;

/**
 * The `type` of an event this library has no shape for (the platform adds events). At run time it is a plain
 * string; its type is kept apart from `string` so that `e.type === 'GROUP_AT_MESSAGE_CREATE'` narrows `e.data`
 * (a `string` member would keep every comparison open). Compare it as `String(e.type) === 'NEW_EVENT'`.
 */
// eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- deliberate: see above
export interface UnknownEventType extends String {
  readonly [unknownEventType]: true;
}
