/**
 * Complete `d` payloads for the message events, so that what the fake emits passes the connector's edge checks
 * (`REQUIRED_EVENT_FIELDS`) and can be replied to. Each carries the event number `n` the fake counts with.
 * @module
 */

type Sample = (n: number, timestamp: string) => Record<string, unknown>;

const GROUP: Sample = (n, timestamp) => ({ id: `fake-msg-${n}`, content: ` event ${n}`, timestamp, group_openid: 'fake-group', author: { member_openid: 'fake-member' } });
const CHANNEL: Sample = (n, timestamp) => ({ id: `fake-msg-${n}`, content: `event ${n}`, timestamp, channel_id: 'fake-channel', guild_id: 'fake-guild', author: { id: 'fake-user' } });

/** Message types → a sample of their data. Other types get `{ n, content }`. */
const SAMPLES: Readonly<Record<string, Sample>> = {
  GROUP_AT_MESSAGE_CREATE: GROUP,
  GROUP_MESSAGE_CREATE: GROUP,
  C2C_MESSAGE_CREATE: (n, timestamp) => ({ id: `fake-msg-${n}`, content: `event ${n}`, timestamp, author: { user_openid: 'fake-user' } }),
  AT_MESSAGE_CREATE: CHANNEL,
  MESSAGE_CREATE: CHANNEL,
  DIRECT_MESSAGE_CREATE: CHANNEL,
};

/** The data of the `n`-th event `emitEvents` sends as `type`; `n` comes first so it is easy to spot. */
export function sampleEventData(type: string, n: number, timestamp: string): Record<string, unknown> {
  const sample = SAMPLES[type];
  return sample === undefined ? { n, content: `event ${n}` } : { n, ...sample(n, timestamp) };
}
