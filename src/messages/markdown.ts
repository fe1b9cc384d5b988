import { invalidOption } from '../errors.js';
import type { KeyboardPayload, MarkdownPayload } from '../bodies/message-bodies.js';

/** A markdown message (`msg_type` 2), optionally with a keyboard under it. */
export interface MarkdownMessage {
  msg_type: 2;
  markdown: MarkdownPayload;
  keyboard?: KeyboardPayload;
}

export interface MarkdownOptions {
  /** Buttons under the message: {@link keyboard} or {@link keyboardTemplate}. */
  keyboard?: KeyboardPayload;
}

function withKeyboard(markdown: MarkdownPayload, options: MarkdownOptions): MarkdownMessage {
  return options.keyboard === undefined
    ? { msg_type: 2, markdown }
    : { msg_type: 2, markdown, keyboard: options.keyboard };
}

/**
 * Native markdown (the bot needs the markdown permission).
 * @example bot.reply(e, markdown('**Done.** [Details](https://example.com)', { keyboard: keyboard([callbackButton('Again', 'again')]) }))
 */
export function markdown(text: string, options: MarkdownOptions = {}): MarkdownMessage {
  if (typeof text !== 'string' || text.trim() === '')
    throw invalidOption('Expected markdown text to be a non-empty string');
  return withKeyboard({ content: text }, options);
}

/**
 * A markdown template approved in the console, filled with `params` (each key → one value or several).
 * @example markdownTemplate('101993071_1658748972', { title: 'Weather', lines: ['Sunny', '25 °C'] })
 */
export function markdownTemplate(
  templateId: string,
  params: Readonly<Record<string, string | readonly string[]>>,
  options: MarkdownOptions = {},
): MarkdownMessage {
  if (typeof templateId !== 'string' || templateId === '')
    throw invalidOption('Expected a markdown template id to be a non-empty string');
  const entries = Object.entries(params ?? {});
  for (const [key, value] of entries) {
    const values = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))
      throw invalidOption(`Expected markdown template param "${key}" to be a string or an array of strings`);
  }
  return withKeyboard(
    {
      custom_template_id: templateId,
      params: entries.map(([key, value]) => ({ key, values: typeof value === 'string' ? [value] : [...value] })),
    },
    options,
  );
}
