import { ALL_INTENTS, Intents, PRIVATE_ONLY_INTENTS } from '../../protocol/intents.js';
import { fail, pass, type CheckResult } from './checklist.js';

/** The names of the known bits in `bits`, and the unknown bits as `1<<n`. */
function describe(bits: number): { names: string[]; unknown: string[] } {
  const names = Object.entries(Intents)
    .filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name);
  const unknown: string[] = [];
  const rest = (bits & ~ALL_INTENTS) >>> 0;
  for (let n = 0; n < 32; n++) if ((rest & (2 ** n)) !== 0) unknown.push(`1<<${n}`);
  return { names, unknown };
}

const hex = (bits: number): string => `0x${(bits >>> 0).toString(16)}`;

/**
 * What the gateway would say to these intents, without opening a session (an IDENTIFY would spend a session
 * start): unknown bits are closed with 4013, a private-only intent on a public bot with 4014.
 */
export function checkIntents(bits: number, privateBot: boolean): CheckResult {
  const { names, unknown } = describe(bits);
  const facts = { bits: bits >>> 0, names, unknown };
  if (bits === 0)
    return fail(
      'intents',
      'no intents: the gateway would deliver no events',
      'pass --intents with the events the bot handles, e.g. --intents group,c2c',
      facts,
    );
  if (unknown.length > 0) {
    return fail(
      'intents',
      `${hex(bits)} has bits no documented intent uses (${unknown.join(', ')}): the gateway closes such a session with 4013 (invalid intent)`,
      `drop them; the known intents are ${Object.keys(Intents).join(', ')} (docs/cli.md)`,
      facts,
    );
  }
  const privateOnly = names.filter((name) => (Intents[name as keyof typeof Intents] & PRIVATE_ONLY_INTENTS) !== 0);
  if (privateOnly.length > 0 && !privateBot) {
    return fail(
      'intents',
      `${privateOnly.join(' and ')} ${privateOnly.length === 1 ? 'is' : 'are'} for private (私域) bots only: a public bot is closed with 4014 (intent not permitted)`,
      'a public bot takes guild @-messages with PUBLIC_GUILD_MESSAGES (--intents guild-at); if this bot is private, run the doctor with --private',
      facts,
    );
  }
  return pass('intents', `${names.join(' | ')} (${hex(bits)})${privateOnly.length > 0 ? ', private bot' : ''}`, facts);
}
