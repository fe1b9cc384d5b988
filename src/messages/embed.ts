import { invalidOption } from '../errors.js';
import type { EmbedPayload } from '../bodies/message-bodies.js';

/** An embed message (`msg_type` 4; guild channels and DMs). */
export interface EmbedMessage {
  msg_type: 4;
  embed: EmbedPayload;
}

export interface EmbedInput {
  title: string;
  /** The text of the notification. */
  prompt?: string;
  /** An image URL. */
  thumbnail?: string;
  /** One line each. */
  fields?: readonly string[];
}

export function embed(input: EmbedInput): EmbedMessage {
  if (typeof input?.title !== 'string' || input.title === '')
    throw invalidOption('Expected an embed title to be a non-empty string');
  const body: EmbedPayload = { title: input.title };
  if (input.prompt !== undefined) body.prompt = input.prompt;
  if (input.thumbnail !== undefined) body.thumbnail = { url: input.thumbnail };
  if (input.fields !== undefined) body.fields = input.fields.map((name) => ({ name }));
  return { msg_type: 4, embed: body };
}
