import { invalidOption } from '../errors.js';
import {
  ButtonActionType,
  ButtonStyle,
  type ButtonAction,
  type ButtonPermission,
  type KeyboardButton,
  type KeyboardPayload,
} from '../bodies/message-bodies.js';

/**
 * Message keyboards (inline buttons under a markdown message): rows of buttons, each with an action. The
 * platform's limits, checked here so a bad keyboard fails before it is sent: at most 5 rows of at most 5 buttons.
 * @module
 */

/** Who may press a button; `everyone` unless said otherwise. */
export type ButtonAudience = 'everyone' | 'admins' | { users: readonly string[] } | { roles: readonly string[] };

export interface ButtonOptions {
  /** @defaultValue `<row>-<column>`, set by {@link keyboard} */
  id?: string;
  /** The label once pressed. @defaultValue the label */
  visitedLabel?: string;
  /** @defaultValue `ButtonStyle.BLUE` */
  style?: ButtonStyle;
  /** @defaultValue `'everyone'` */
  audience?: ButtonAudience;
  clickLimit?: number;
  groupId?: string;
  /** @defaultValue `'Please update QQ to use this button'` */
  unsupportedTips?: string;
}

/** A button before {@link keyboard} gives it its default id. */
export interface ButtonSpec extends Omit<KeyboardButton, 'id'> {
  id?: string;
}

export const MAX_KEYBOARD_ROWS = 5;
export const MAX_BUTTONS_PER_ROW = 5;
const DEFAULT_TIPS = 'Please update QQ to use this button';

function permission(audience: ButtonAudience = 'everyone'): ButtonPermission {
  if (audience === 'everyone') return { type: 2 };
  if (audience === 'admins') return { type: 1 };
  if ('users' in audience) return { type: 0, specify_user_ids: [...audience.users] };
  return { type: 3, specify_role_ids: [...audience.roles] };
}

function button(
  label: string,
  type: ButtonActionType,
  data: string,
  options: ButtonOptions,
  extra: Partial<ButtonAction> = {},
): ButtonSpec {
  if (typeof label !== 'string' || label === '')
    throw invalidOption('Expected a button label to be a non-empty string');
  if (typeof data !== 'string' || data === '')
    throw invalidOption(`Expected the action data of button "${label}" to be a non-empty string`);
  const action: ButtonAction = {
    type,
    permission: permission(options.audience),
    data,
    unsupport_tips: options.unsupportedTips ?? DEFAULT_TIPS,
    ...extra,
  };
  if (options.clickLimit !== undefined) action.click_limit = options.clickLimit;
  const spec: ButtonSpec = {
    render_data: { label, visited_label: options.visitedLabel ?? label, style: options.style ?? ButtonStyle.BLUE },
    action,
  };
  if (options.id !== undefined) spec.id = options.id;
  if (options.groupId !== undefined) spec.group_id = options.groupId;
  return spec;
}

/** A button that opens `url`: an `https://` (or `http://`) URL, nothing else (`javascript:`, `file:` are refused). */
export function linkButton(label: string, url: string, options: ButtonOptions = {}): ButtonSpec {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:')
    throw invalidOption(`Expected the URL of link button "${label}" to be an https:// (or http://) URL`);
  return button(label, ButtonActionType.LINK, url, options);
}

/** A button whose press arrives as `INTERACTION_CREATE` with `data.resolved.button_data === data`; ACK it. */
export function callbackButton(label: string, data: string, options: ButtonOptions = {}): ButtonSpec {
  return button(label, ButtonActionType.CALLBACK, data, options);
}

/** A button that puts `command` in the input box (`enter`: sends it at once; `reply`: quotes the message). */
export function commandButton(
  label: string,
  command: string,
  options: ButtonOptions & { enter?: boolean; reply?: boolean } = {},
): ButtonSpec {
  const extra: Partial<ButtonAction> = {};
  if (options.enter !== undefined) extra.enter = options.enter;
  if (options.reply !== undefined) extra.reply = options.reply;
  return button(label, ButtonActionType.COMMAND, command, options, extra);
}

/**
 * A keyboard from rows of buttons (at most 5 rows of 5); buttons without an id get `<row>-<column>`.
 * @example keyboard([callbackButton('Yes', 'vote:yes'), callbackButton('No', 'vote:no')], [linkButton('Docs', 'https://q.qq.com')])
 */
export function keyboard(...rows: ReadonlyArray<readonly ButtonSpec[]>): KeyboardPayload {
  if (rows.length === 0 || rows.length > MAX_KEYBOARD_ROWS)
    throw invalidOption(`Expected 1 to ${MAX_KEYBOARD_ROWS} keyboard rows, got ${rows.length}`);
  return {
    content: {
      rows: rows.map((row, r) => {
        if (row.length === 0 || row.length > MAX_BUTTONS_PER_ROW)
          throw invalidOption(
            `Expected 1 to ${MAX_BUTTONS_PER_ROW} buttons in keyboard row ${r + 1}, got ${row.length}`,
          );
        return { buttons: row.map((b, c) => ({ ...b, id: b.id ?? `${r}-${c}` })) };
      }),
    },
  };
}

/** A keyboard template approved in the QQ console, by its id. */
export function keyboardTemplate(id: string): KeyboardPayload {
  if (typeof id !== 'string' || id === '')
    throw invalidOption('Expected a keyboard template id to be a non-empty string');
  return { id };
}
