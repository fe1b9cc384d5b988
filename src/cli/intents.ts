import { Intents, type IntentName } from '../protocol/intents.js';

/** Short CLI names → intent constants (docs/protocol.md §6). Several names may share one bit. */
export const INTENT_NAMES = {
  group: 'GROUP_AND_C2C_EVENT',
  c2c: 'GROUP_AND_C2C_EVENT',
  'guild-at': 'PUBLIC_GUILD_MESSAGES',
  guild: 'GUILD_MESSAGES',
  dm: 'DIRECT_MESSAGE',
  interaction: 'INTERACTION',
  guilds: 'GUILDS',
  members: 'GUILD_MEMBERS',
  reactions: 'GUILD_MESSAGE_REACTIONS',
  audit: 'MESSAGE_AUDIT',
  forum: 'FORUMS_EVENT',
  'open-forum': 'OPEN_FORUMS_EVENT',
  'audio-members': 'AUDIO_OR_LIVE_CHANNEL_MEMBER',
  audio: 'AUDIO_ACTION',
} as const satisfies Record<string, IntentName>;

export const DEFAULT_INTENTS = 'group,c2c,guild-at';

export class IntentsError extends Error {
  override readonly name = 'IntentsError';
}

function isIntentConstant(name: string): name is IntentName {
  return Object.hasOwn(Intents, name);
}

/** One line per name, for `--help` and for the error on an unknown name. */
export function describeIntentNames(): string {
  return Object.entries(INTENT_NAMES)
    .map(([name, constant]) => `${name} (${constant})`)
    .join(', ');
}

/**
 * `"group,c2c,guild-at"` → the OR of their bits. Accepts the short names above and the `Intents` constant names
 * (`PUBLIC_GUILD_MESSAGES`). Throws {@link IntentsError} naming every unknown entry and listing the valid names.
 */
export function parseIntents(list: string): number {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new IntentsError(`--intents is empty; valid names: ${describeIntentNames()}`);
  let bits = 0;
  const unknown: string[] = [];
  for (const name of names) {
    const constant = Object.hasOwn(INTENT_NAMES, name)
      ? INTENT_NAMES[name as keyof typeof INTENT_NAMES]
      : isIntentConstant(name)
        ? name
        : undefined;
    if (constant === undefined) unknown.push(name);
    else bits |= Intents[constant];
  }
  if (unknown.length > 0) {
    throw new IntentsError(
      `unknown intent ${unknown.map((n) => `'${n}'`).join(', ')}; valid names: ${describeIntentNames()}`,
    );
  }
  return bits;
}
