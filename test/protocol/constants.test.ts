import { describe, expect, it } from 'vitest';
import { Intents } from '../../src/protocol/intents.js';
import { OpCodes } from '../../src/protocol/opcodes.js';

// The values of docs/protocol.md §4 and §6: a typo here would silently ask for the wrong events.
describe('protocol constants', () => {
  it.each<[keyof typeof Intents, number]>([
    ['GUILDS', 1 << 0],
    ['GUILD_MEMBERS', 1 << 1],
    ['GUILD_MESSAGES', 1 << 9],
    ['GUILD_MESSAGE_REACTIONS', 1 << 10],
    ['DIRECT_MESSAGE', 1 << 12],
    ['OPEN_FORUMS_EVENT', 1 << 18],
    ['AUDIO_OR_LIVE_CHANNEL_MEMBER', 1 << 19],
    ['GROUP_AND_C2C_EVENT', 1 << 25],
    ['INTERACTION', 1 << 26],
    ['MESSAGE_AUDIT', 1 << 27],
    ['FORUMS_EVENT', 1 << 28],
    ['AUDIO_ACTION', 1 << 29],
    ['PUBLIC_GUILD_MESSAGES', 1 << 30],
  ])('intent %s is bit %i', (name, bit) => {
    expect(Intents[name]).toBe(bit);
  });

  it('has exactly the intents of the protocol', () => {
    expect(Object.keys(Intents)).toHaveLength(13);
  });

  it('has the opcodes of the protocol', () => {
    expect(OpCodes).toEqual({
      DISPATCH: 0,
      HEARTBEAT: 1,
      IDENTIFY: 2,
      RESUME: 6,
      RECONNECT: 7,
      INVALID_SESSION: 9,
      HELLO: 10,
      HEARTBEAT_ACK: 11,
      HTTP_CALLBACK_ACK: 12,
      CALLBACK_URL_VALIDATION: 13,
    });
  });
});
