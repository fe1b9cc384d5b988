/**
 * The `d` the fake sends for each event type: what live payloads carry, typed by the connector's own event types
 * (`DispatchEventDataMap`), so a field the types say the platform sends cannot be missing from the fake, and a
 * type without a sample does not compile. Message samples pass the connector's edge checks
 * (`REQUIRED_EVENT_FIELDS`) and can be replied to. Each carries the event number `n` the fake counts with.
 * @module
 */

import type { DispatchEventDataMap, KnownDispatchType } from '../protocol/events/event-map.js';

/** The ids every sample uses: the targets a bot's replies go to. */
export const SAMPLE_IDS = {
  group: 'fake-group',
  member: 'fake-member',
  user: 'fake-user',
  guild: 'fake-guild',
  channel: 'fake-channel',
} as const;

/** When the event happened, in the two forms the platform uses. */
export interface SampleTime {
  /** ISO 8601: message events. */
  iso: string;
  /** Unix seconds: group and friend management events. */
  unix: number;
}

type Data<K extends KnownDispatchType> = DispatchEventDataMap[K];
type Sample<K extends KnownDispatchType> = (n: number, at: SampleTime) => Data<K>;

// One builder per data shape (named by one type that carries it); the explicit return types make the compiler
// check every field against the event types.

function groupMessage(n: number, at: SampleTime): Data<'GROUP_AT_MESSAGE_CREATE'> {
  // The @-mention is stripped, so the text begins with a space.
  return {
    id: `fake-msg-${n}`,
    content: ` event ${n}`,
    timestamp: at.iso,
    group_openid: SAMPLE_IDS.group,
    group_id: SAMPLE_IDS.group,
    author: { member_openid: SAMPLE_IDS.member, id: SAMPLE_IDS.member },
  };
}

function c2cMessage(n: number, at: SampleTime): Data<'C2C_MESSAGE_CREATE'> {
  return {
    id: `fake-msg-${n}`,
    content: `event ${n}`,
    timestamp: at.iso,
    author: { user_openid: SAMPLE_IDS.user, id: SAMPLE_IDS.user },
  };
}

function channelMessage(n: number, at: SampleTime): Data<'AT_MESSAGE_CREATE'> {
  return {
    id: `fake-msg-${n}`,
    content: `event ${n}`,
    timestamp: at.iso,
    channel_id: SAMPLE_IDS.channel,
    guild_id: SAMPLE_IDS.guild,
    author: { id: SAMPLE_IDS.user },
  };
}

function directMessage(n: number, at: SampleTime): Data<'DIRECT_MESSAGE_CREATE'> {
  return { ...channelMessage(n, at), src_guild_id: SAMPLE_IDS.guild, direct_message: true };
}

function messageDelete(n: number): Data<'MESSAGE_DELETE'> {
  return {
    message: {
      id: `fake-msg-${n}`,
      channel_id: SAMPLE_IDS.channel,
      guild_id: SAMPLE_IDS.guild,
      author: { id: SAMPLE_IDS.user },
    },
    op_user: { id: SAMPLE_IDS.user },
  };
}

function groupManagement(_n: number, at: SampleTime): Data<'GROUP_ADD_ROBOT'> {
  return { timestamp: at.unix, group_openid: SAMPLE_IDS.group, op_member_openid: SAMPLE_IDS.member };
}

function friendManagement(_n: number, at: SampleTime): Data<'FRIEND_ADD'> {
  return { timestamp: at.unix, openid: SAMPLE_IDS.user };
}

function interaction(n: number, at: SampleTime): Data<'INTERACTION_CREATE'> {
  return {
    id: `fake-interaction-${n}`,
    type: 11,
    chat_type: 1,
    scene: 'group',
    timestamp: at.iso,
    group_openid: SAMPLE_IDS.group,
    group_member_openid: SAMPLE_IDS.member,
    version: 1,
    data: { type: 11, resolved: { button_data: `event ${n}`, button_id: '1' } },
  };
}

function guild(): Data<'GUILD_CREATE'> {
  return { id: SAMPLE_IDS.guild, name: 'fake guild', owner_id: SAMPLE_IDS.user, member_count: 1, max_members: 100 };
}

function channel(): Data<'CHANNEL_CREATE'> {
  return { id: SAMPLE_IDS.channel, guild_id: SAMPLE_IDS.guild, name: 'fake channel', type: 0 };
}

function guildMember(_n: number, at: SampleTime): Data<'GUILD_MEMBER_ADD'> {
  return {
    guild_id: SAMPLE_IDS.guild,
    user: { id: SAMPLE_IDS.user, username: 'fake user', bot: false },
    joined_at: at.iso,
  };
}

function reaction(n: number): Data<'MESSAGE_REACTION_ADD'> {
  return {
    user_id: SAMPLE_IDS.user,
    guild_id: SAMPLE_IDS.guild,
    channel_id: SAMPLE_IDS.channel,
    target: { id: `fake-msg-${n}`, type: 0 },
    emoji: { id: '4', type: 1 },
  };
}

function messageAudit(n: number, at: SampleTime): Data<'MESSAGE_AUDIT_PASS'> {
  return {
    audit_id: `fake-audit-${n}`,
    message_id: `fake-msg-${n}`,
    guild_id: SAMPLE_IDS.guild,
    channel_id: SAMPLE_IDS.channel,
    audit_time: at.iso,
    create_time: at.iso,
  };
}

function forum(n: number, at: SampleTime): Data<'FORUM_THREAD_CREATE'> {
  return {
    guild_id: SAMPLE_IDS.guild,
    channel_id: SAMPLE_IDS.channel,
    author_id: SAMPLE_IDS.user,
    thread_info: { thread_id: `fake-thread-${n}`, title: `event ${n}`, date_time: at.iso },
  };
}

function forumAudit(n: number): Data<'FORUM_PUBLISH_AUDIT_RESULT'> {
  return {
    guild_id: SAMPLE_IDS.guild,
    channel_id: SAMPLE_IDS.channel,
    author_id: SAMPLE_IDS.user,
    thread_id: `fake-thread-${n}`,
    type: 1,
    result: 0,
  };
}

function openForum(): Data<'OPEN_FORUM_THREAD_CREATE'> {
  return { guild_id: SAMPLE_IDS.guild, channel_id: SAMPLE_IDS.channel, author_id: SAMPLE_IDS.user };
}

function audio(n: number): Data<'AUDIO_START'> {
  return { guild_id: SAMPLE_IDS.guild, channel_id: SAMPLE_IDS.channel, text: `event ${n}` };
}

function audioLiveMember(): Data<'AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER'> {
  return { guild_id: SAMPLE_IDS.guild, channel_id: SAMPLE_IDS.channel, channel_type: 2, user_id: SAMPLE_IDS.user };
}

/** Every known dispatch type → its sample. */
const SAMPLES = {
  GROUP_AT_MESSAGE_CREATE: groupMessage,
  GROUP_MESSAGE_CREATE: groupMessage,
  C2C_MESSAGE_CREATE: c2cMessage,
  GROUP_ADD_ROBOT: groupManagement,
  GROUP_DEL_ROBOT: groupManagement,
  GROUP_MSG_REJECT: groupManagement,
  GROUP_MSG_RECEIVE: groupManagement,
  FRIEND_ADD: friendManagement,
  FRIEND_DEL: friendManagement,
  C2C_MSG_REJECT: friendManagement,
  C2C_MSG_RECEIVE: friendManagement,
  INTERACTION_CREATE: interaction,
  AT_MESSAGE_CREATE: channelMessage,
  MESSAGE_CREATE: channelMessage,
  DIRECT_MESSAGE_CREATE: directMessage,
  MESSAGE_DELETE: messageDelete,
  PUBLIC_MESSAGE_DELETE: messageDelete,
  DIRECT_MESSAGE_DELETE: messageDelete,
  GUILD_CREATE: guild,
  GUILD_UPDATE: guild,
  GUILD_DELETE: guild,
  CHANNEL_CREATE: channel,
  CHANNEL_UPDATE: channel,
  CHANNEL_DELETE: channel,
  GUILD_MEMBER_ADD: guildMember,
  GUILD_MEMBER_UPDATE: guildMember,
  GUILD_MEMBER_REMOVE: guildMember,
  MESSAGE_REACTION_ADD: reaction,
  MESSAGE_REACTION_REMOVE: reaction,
  MESSAGE_AUDIT_PASS: messageAudit,
  MESSAGE_AUDIT_REJECT: messageAudit,
  FORUM_THREAD_CREATE: forum,
  FORUM_THREAD_UPDATE: forum,
  FORUM_THREAD_DELETE: forum,
  FORUM_POST_CREATE: forum,
  FORUM_POST_DELETE: forum,
  FORUM_REPLY_CREATE: forum,
  FORUM_REPLY_DELETE: forum,
  FORUM_PUBLISH_AUDIT_RESULT: forumAudit,
  OPEN_FORUM_THREAD_CREATE: openForum,
  OPEN_FORUM_THREAD_UPDATE: openForum,
  OPEN_FORUM_THREAD_DELETE: openForum,
  OPEN_FORUM_POST_CREATE: openForum,
  OPEN_FORUM_POST_DELETE: openForum,
  OPEN_FORUM_REPLY_CREATE: openForum,
  OPEN_FORUM_REPLY_DELETE: openForum,
  AUDIO_START: audio,
  AUDIO_FINISH: audio,
  AUDIO_ON_MIC: audio,
  AUDIO_OFF_MIC: audio,
  AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER: audioLiveMember,
  AUDIO_OR_LIVE_CHANNEL_MEMBER_EXIT: audioLiveMember,
} as const satisfies { readonly [K in KnownDispatchType]: Sample<K> };

/** Every type the fake has a typed sample for: every {@link KnownDispatchType}. */
export const SAMPLE_EVENT_TYPES = Object.keys(SAMPLES) as KnownDispatchType[];

/** The time of a batch of samples, computed once (emitEvents sends thousands per second). */
export function sampleTime(nowMs: number): SampleTime {
  return { iso: new Date(nowMs).toISOString(), unix: Math.floor(nowMs / 1000) };
}

/**
 * The data of the `n`-th event `emitEvents` sends as `type` at `at`; `n` comes first so it is easy to spot.
 * A type the connector has no shape for gets `{ n, content: "event <n>" }`.
 */
export function sampleEventData(type: string, n: number, at: SampleTime): Record<string, unknown> {
  if (!Object.hasOwn(SAMPLES, type)) return { n, content: `event ${n}` };
  const sample: Sample<KnownDispatchType> = SAMPLES[type as KnownDispatchType];
  return { n, ...sample(n, at) };
}
