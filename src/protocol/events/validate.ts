import { ErrorCodes, QQBotError } from '../../errors.js';
import { isKnownDispatchType, type KnownDispatchType } from './event-map.js';

/**
 * Cheap checks at the edge: the fields a handler of a message event relies on (its id, the ids a reply is routed
 * by, the text). An event that fails them is reported, not delivered, so a handler never sees a message without
 * an `id`. Other types are only checked to carry an object. One table, one loop: a new rule is a new row.
 */

/** `id`: a non-empty string (an id); `text`: any string; `object`: a non-null, non-array object. */
export type FieldKind = 'id' | 'text' | 'object';

/** A dotted path into `data` and what it must hold. */
export type RequiredField = readonly [path: string, kind: FieldKind];

const MESSAGE_BASE: readonly RequiredField[] = [
  ['id', 'id'],
  ['content', 'text'],
];

const CHANNEL_MESSAGE: readonly RequiredField[] = [
  ...MESSAGE_BASE,
  ['channel_id', 'id'],
  ['guild_id', 'id'],
  ['author.id', 'id'],
];
const GROUP_MESSAGE: readonly RequiredField[] = [
  ...MESSAGE_BASE,
  ['group_openid', 'id'],
  ['author.member_openid', 'id'],
];

/** The required fields per dispatch type. Types not listed only need `data` to be an object. */
export const REQUIRED_EVENT_FIELDS: Readonly<Partial<Record<KnownDispatchType, readonly RequiredField[]>>> = {
  GROUP_AT_MESSAGE_CREATE: GROUP_MESSAGE,
  GROUP_MESSAGE_CREATE: GROUP_MESSAGE,
  C2C_MESSAGE_CREATE: [...MESSAGE_BASE, ['author.user_openid', 'id']],
  AT_MESSAGE_CREATE: CHANNEL_MESSAGE,
  MESSAGE_CREATE: CHANNEL_MESSAGE,
  // A DM is answered through its guild_id (the DM session's guild).
  DIRECT_MESSAGE_CREATE: CHANNEL_MESSAGE,
  // The ACK names the interaction id.
  INTERACTION_CREATE: [['id', 'id']],
};

/** Why an event was refused: the first field that failed. */
export interface EventProblem {
  /** `''` when `data` itself is not an object. */
  path: string;
  expected: FieldKind;
}

function holds(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'id':
      return typeof value === 'string' && value !== '';
    case 'text':
      return typeof value === 'string';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

type Getter = (data: Record<string, unknown>) => unknown;

/** Reads a dotted path; the getter is built once per row (the check runs for every event delivered). */
function getter(path: string): Getter {
  const [first = '', ...rest] = path.split('.');
  if (rest.length === 0) return (data) => data[first];
  return (data) => {
    let value: unknown = data[first];
    for (const key of rest) {
      if (typeof value !== 'object' || value === null) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}

/** The table, compiled at load. */
const COMPILED = new Map(
  Object.entries(REQUIRED_EVENT_FIELDS).map(([type, fields]) => [
    type,
    (fields ?? []).map(([path, kind]) => ({ path, get: getter(path), kind })),
  ]),
);

/**
 * Checks `data` of a `type` dispatch: a known type's data must be an object holding its
 * {@link REQUIRED_EVENT_FIELDS}; an unknown type always passes (the platform adds events, and they must arrive).
 * Pure; returns the first problem, or `undefined` when the event may be delivered.
 */
export function validateEvent(type: string, data: unknown): EventProblem | undefined {
  if (!isKnownDispatchType(type)) return undefined;
  if (!holds(data, 'object')) return { path: '', expected: 'object' };
  const fields = COMPILED.get(type);
  if (fields === undefined) return undefined;
  for (const { path, get, kind } of fields)
    if (!holds(get(data as Record<string, unknown>), kind)) return { path, expected: kind };
  return undefined;
}

const EXPECTED: Readonly<Record<FieldKind, string>> = {
  id: 'a non-empty string',
  text: 'a string',
  object: 'an object',
};

/**
 * The error reported for an event that {@link validateEvent} refused: `QQBOT_INVALID_EVENT`, not retryable (a
 * redelivery would carry the same data). Names the type, the field and the event's seq and id; never its content.
 */
export function invalidEventError(
  event: { type: string; seq: number; id?: string | undefined },
  problem: EventProblem,
): QQBotError {
  const field = problem.path === '' ? 'data' : `data.${problem.path}`;
  return new QQBotError(
    ErrorCodes.INVALID_EVENT,
    `a ${event.type} event (seq ${event.seq}) was not delivered: ${field} is not ${EXPECTED[problem.expected]}`,
    {
      retryable: false,
      details: { type: event.type, field, seq: event.seq, id: event.id ?? null },
    },
  );
}
