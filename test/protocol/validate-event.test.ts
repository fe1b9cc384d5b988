import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { isKnownDispatchType } from '../../src/protocol/events/event-map.js';
import { REQUIRED_EVENT_FIELDS, invalidEventError, validateEvent } from '../../src/protocol/events/validate.js';

const group = {
  id: 'M1',
  content: ' hi',
  timestamp: '2026-12-02T10:00:00+08:00',
  group_openid: 'G1',
  author: { member_openid: 'A1' },
};
const c2c = { id: 'M2', content: 'hi', timestamp: '2026-12-02T10:00:00+08:00', author: { user_openid: 'U1' } };
const channel = {
  id: 'M3',
  content: 'hi',
  timestamp: '2026-12-02T10:00:00+08:00',
  channel_id: 'C1',
  guild_id: 'GU1',
  author: { id: 'A3' },
};

/** Deletes a dotted path from a deep copy. */
function without(data: object, path: string): unknown {
  const copy = structuredClone(data) as Record<string, unknown>;
  const keys = path.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[keys.at(-1) as string];
  return copy;
}

describe('validateEvent', () => {
  it.each([
    ['GROUP_AT_MESSAGE_CREATE', group],
    ['GROUP_MESSAGE_CREATE', group],
    ['C2C_MESSAGE_CREATE', c2c],
    ['AT_MESSAGE_CREATE', channel],
    ['MESSAGE_CREATE', channel],
    ['DIRECT_MESSAGE_CREATE', channel],
    ['INTERACTION_CREATE', { id: 'I1', type: 11, data: { type: 11, resolved: {} } }],
    ['GROUP_ADD_ROBOT', { timestamp: 1_700_000_000, group_openid: 'G1', op_member_openid: 'A1' }],
  ])('passes a complete %s', (type, data) => {
    expect(validateEvent(type, data)).toBeUndefined();
  });

  // Every row of the table: each required field, removed, is the problem reported.
  const rows = Object.entries(REQUIRED_EVENT_FIELDS).flatMap(([type, fields]) =>
    (fields ?? []).map(([path, kind]) => ({ type, path, kind })),
  );
  const samples: Record<string, object> = {
    GROUP_AT_MESSAGE_CREATE: group,
    GROUP_MESSAGE_CREATE: group,
    C2C_MESSAGE_CREATE: c2c,
    AT_MESSAGE_CREATE: channel,
    MESSAGE_CREATE: channel,
    DIRECT_MESSAGE_CREATE: channel,
    INTERACTION_CREATE: { id: 'I1' },
  };
  it.each(rows)('refuses a $type without $path', ({ type, path, kind }) => {
    const sample = samples[type];
    if (sample === undefined) throw new Error(`no sample for ${type}: add one with the new row`);
    expect(validateEvent(type, without(sample, path))).toEqual({ path, expected: kind });
  });

  it('refuses a message whose id is empty or not a string, so a handler never sees a message without an id', () => {
    expect(validateEvent('GROUP_AT_MESSAGE_CREATE', { ...group, id: '' })).toEqual({ path: 'id', expected: 'id' });
    expect(validateEvent('C2C_MESSAGE_CREATE', { ...c2c, id: 42 })).toEqual({ path: 'id', expected: 'id' });
  });

  it('accepts empty content (a text field), but not missing or non-string content', () => {
    expect(validateEvent('C2C_MESSAGE_CREATE', { ...c2c, content: '' })).toBeUndefined();
    expect(validateEvent('C2C_MESSAGE_CREATE', { ...c2c, content: null })).toEqual({
      path: 'content',
      expected: 'text',
    });
  });

  it('refuses data that is not an object for every known type, even one without required fields', () => {
    for (const data of [null, 'text', 7, ['x']]) {
      expect(validateEvent('GUILD_CREATE', data)).toEqual({ path: '', expected: 'object' });
      expect(validateEvent('GROUP_AT_MESSAGE_CREATE', data)).toEqual({ path: '', expected: 'object' });
    }
  });

  it('lets any type it does not know through untouched (the platform adds events)', () => {
    expect(isKnownDispatchType('SOME_NEW_EVENT')).toBe(false);
    expect(validateEvent('SOME_NEW_EVENT', null)).toBeUndefined();
    expect(validateEvent('SOME_NEW_EVENT', 'anything')).toBeUndefined();
  });

  it('does not take inherited names for known types', () => {
    expect(isKnownDispatchType('toString')).toBe(false);
    expect(isKnownDispatchType('GROUP_AT_MESSAGE_CREATE')).toBe(true);
  });
});

describe('invalidEventError', () => {
  it('is QQBOT_INVALID_EVENT, not retryable, naming type, field, seq and id but never the content', () => {
    const err = invalidEventError(
      { type: 'GROUP_AT_MESSAGE_CREATE', seq: 7, id: 'evt-1' },
      { path: 'author.member_openid', expected: 'id' },
    );
    expect(err.code).toBe(ErrorCodes.INVALID_EVENT);
    expect(err.retryable).toBe(false);
    expect(err.details).toEqual({
      type: 'GROUP_AT_MESSAGE_CREATE',
      field: 'data.author.member_openid',
      seq: 7,
      id: 'evt-1',
    });
    expect(err.message).toContain('data.author.member_openid');
    expect(
      invalidEventError({ type: 'C2C_MESSAGE_CREATE', seq: 1 }, { path: '', expected: 'object' }).details.field,
    ).toBe('data');
  });
});
