/** Intent bits (docs/protocol.md §6). OR them together: `Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES`. */
export const Intents = {
  GUILDS: 1 << 0,
  GUILD_MEMBERS: 1 << 1,
  /** Private bots only. */
  GUILD_MESSAGES: 1 << 9,
  GUILD_MESSAGE_REACTIONS: 1 << 10,
  DIRECT_MESSAGE: 1 << 12,
  OPEN_FORUMS_EVENT: 1 << 18,
  AUDIO_OR_LIVE_CHANNEL_MEMBER: 1 << 19,
  GROUP_AND_C2C_EVENT: 1 << 25,
  INTERACTION: 1 << 26,
  MESSAGE_AUDIT: 1 << 27,
  /** Private bots only. */
  FORUMS_EVENT: 1 << 28,
  AUDIO_ACTION: 1 << 29,
  PUBLIC_GUILD_MESSAGES: 1 << 30,
} as const;

export type IntentName = keyof typeof Intents;

/** Every known intent bit OR-ed together; used to reject unknown bits in options. */
export const ALL_INTENTS: number = Object.values(Intents).reduce((all, bit) => all | bit, 0);

/** The intents only a private (私域) bot may ask for; a public bot asking for one is closed with 4014. */
export const PRIVATE_ONLY_INTENTS: number = Intents.GUILD_MESSAGES | Intents.FORUMS_EVENT;
