import { expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';

// The root export is what a host uses (the README's "Embed it in a host"). A new name here is a deliberate API decision: add it to
// this list in the same change, and say why in the commit.
const ROOT_EXPORTS = [
  'ButtonActionType',
  'ButtonStyle',
  'CHANNEL_NAMES',
  'DEFAULT_ENDPOINTS',
  'DEFAULT_OPTIONS',
  'DEFAULT_PACING',
  'DEFAULT_RESTART',
  'DEFAULT_RETRY',
  'DEFAULT_STREAM',
  'DEFAULT_TIMEOUTS',
  'DEFAULT_UPLOAD',
  'DispatchEvents',
  'ErrorCodes',
  'FileSessionStore',
  'Intents',
  'MAX_BUTTONS_PER_ROW',
  'MAX_KEYBOARD_ROWS',
  'MEDIA_FILE_TYPES',
  'MemorySessionStore',
  'OpCodes',
  'QQApiCodes',
  'QQApiError',
  'QQBotConnector',
  'QQBotError',
  'QQOpenAPI',
  'REPLYABLE_EVENT_TYPES',
  'REPLY_WINDOWS_MS',
  // Many bots in one process: a host sizes a pool and hands it to the connectors it chooses (threads: pool).
  'ThreadPool',
  'ark',
  'callbackButton',
  'commandButton',
  'embed',
  'keyboard',
  'keyboardTemplate',
  'linkButton',
  'markdown',
  'markdownTemplate',
];

/** Supervisor and protocol internals: a host never needs them, and exporting them would freeze them. */
const INTERNALS = [
  'decide',
  'CLOSE_CODE_TABLE',
  'API_ERROR_RULES',
  'classifyApiError',
  'ReplyTracker',
  'ShardSupervisor',
  'RestartPolicy',
  'ThreadRunner',
  'InProcessRunner',
  'ShardDelivery',
];

it('the root export names are exactly the pinned list', async () => {
  const names = Object.keys(await import('../../src/index.js')).sort();
  expect(names).toStrictEqual([...ROOT_EXPORTS].sort());
});

it('no internal is exported from the root', async () => {
  const root = (await import('../../src/index.js')) as Record<string, unknown>;
  for (const name of INTERNALS) expect(root[name], name).toBeUndefined();
});

it('every error code starts with QQBOT_ and is its own key', () => {
  const entries = Object.entries(ErrorCodes);
  expect(entries.length).toBeGreaterThan(20);
  for (const [key, code] of entries) {
    expect(code).toMatch(/^QQBOT_[A-Z0-9_]+$/);
    expect(code).toBe(`QQBOT_${key}`);
  }
});
