import { createRedactor } from './redaction.js';

/** How much of a text from outside an error or a log line quotes. */
export const UNTRUSTED_TEXT_MAX = 200;
/** `QQBot <token>`, the form the token travels in (an Authorization header, a RESUME): whatever follows is hidden. */
const AUTHORIZATION = /QQBot\s+[^\s"',;]+/gi;
/** C0 and C1 controls, and the bidirectional overrides that reorder what a terminal shows. */
// eslint-disable-next-line no-control-regex -- control characters are what it replaces
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text a server or a file chose (a close reason, a platform's error message), made fit for an error or a log:
 * the `secrets` given and anything shaped like an authorization redacted, control characters replaced by `?`,
 * and at most {@link UNTRUSTED_TEXT_MAX} characters. A server that echoes the token puts nothing in the logs.
 */
export function untrustedText(text: string, secrets: readonly string[] = []): string {
  const redacted = createRedactor(secrets)(text).replace(AUTHORIZATION, 'QQBot ***').replace(CONTROL, '?');
  return redacted.length <= UNTRUSTED_TEXT_MAX ? redacted : `${redacted.slice(0, UNTRUSTED_TEXT_MAX)}…`;
}
