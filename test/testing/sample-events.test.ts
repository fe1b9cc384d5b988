import { describe, expect, it } from 'vitest';
import { isKnownDispatchType } from '../../src/protocol/events/event-map.js';
import { validateEvent } from '../../src/protocol/events/validate.js';
import { SAMPLE_EVENT_TYPES, SAMPLE_IDS, sampleEventData, sampleTime } from '../../src/testing/sample-events.js';

const AT = sampleTime(Date.parse('2026-12-06T10:00:00Z'));

/** Fields live payloads carry beside the openids, equal to them (docs/testing.md, "Fidelity"): path → the path it equals. */
const LIVE_ALIASES: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  GROUP_AT_MESSAGE_CREATE: [
    ['group_id', 'group_openid'],
    ['author.id', 'author.member_openid'],
  ],
  GROUP_MESSAGE_CREATE: [
    ['group_id', 'group_openid'],
    ['author.id', 'author.member_openid'],
  ],
  C2C_MESSAGE_CREATE: [['author.id', 'author.user_openid']],
};

function at(data: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined),
      data,
    );
}

describe('sample events', () => {
  it('has a sample for known dispatch types only, the message types among them', () => {
    expect(SAMPLE_EVENT_TYPES.every(isKnownDispatchType)).toBe(true);
    expect(SAMPLE_EVENT_TYPES).toEqual(
      expect.arrayContaining([
        'GROUP_AT_MESSAGE_CREATE',
        'C2C_MESSAGE_CREATE',
        'AT_MESSAGE_CREATE',
        'DIRECT_MESSAGE_CREATE',
        'INTERACTION_CREATE',
      ]),
    );
  });

  it.each(SAMPLE_EVENT_TYPES)('%s: its sample passes the connector edge checks and carries n', (type) => {
    const data = sampleEventData(type, 7, AT);
    expect(validateEvent(type, data)).toBeUndefined();
    expect(data.n).toBe(7);
  });

  it.each(Object.entries(LIVE_ALIASES))('%s carries the live aliases of its openids', (type, aliases) => {
    const data = sampleEventData(type, 1, AT);
    for (const [alias, openid] of aliases) {
      expect(at(data, alias), alias).toEqual(expect.any(String));
      expect(at(data, alias), alias).toBe(at(data, openid));
    }
  });

  it('stamps message events with ISO time and management events with unix seconds, as the platform does', () => {
    expect(sampleEventData('C2C_MESSAGE_CREATE', 0, AT).timestamp).toBe('2026-12-06T10:00:00.000Z');
    expect(sampleEventData('GROUP_ADD_ROBOT', 0, AT)).toMatchObject({
      timestamp: 1_796_551_200,
      group_openid: SAMPLE_IDS.group,
    });
    expect(sampleEventData('FRIEND_ADD', 0, AT)).toMatchObject({ timestamp: 1_796_551_200, openid: SAMPLE_IDS.user });
  });

  it('gives a type it has no shape for { n, content }', () => {
    expect(sampleEventData('SOMETHING_NEW', 3, AT)).toEqual({ n: 3, content: 'event 3' });
    expect(sampleEventData('toString', 3, AT)).toEqual({ n: 3, content: 'event 3' });
  });
});
