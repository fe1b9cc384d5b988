import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/delivery/dispatch-event.js';

const d = { id: 'M1', content: 'hi', author: { member_openid: 'U1' }, group_openid: 'G1' };
const frame = JSON.stringify({ op: 0, s: 7, t: 'GROUP_AT_MESSAGE_CREATE', id: 'evt-7', d });
const make = () => dispatchEvent(0, 7, 'GROUP_AT_MESSAGE_CREATE', 'evt-7', frame);
const plain = { shard: 0, seq: 7, type: 'GROUP_AT_MESSAGE_CREATE', id: 'evt-7', data: d };

describe('dispatchEvent: data parsed on first read', () => {
  it('reads like a plain object: data is the parsed d, the same object on every read', () => {
    const event = make();
    expect(event.data).toEqual(d);
    expect(event.data).toBe(event.data);
    expect(event).toEqual(plain);
  });

  it('data is an own enumerable property: keys, spread, JSON, structuredClone, postMessage and inspect see it unread', () => {
    expect(Object.keys(make())).toEqual(['shard', 'seq', 'type', 'id', 'data']);
    expect({ ...make() }).toEqual(plain);
    expect(JSON.parse(JSON.stringify(make()))).toEqual(plain);
    expect(structuredClone(make())).toEqual(plain);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(make());
    expect(receiveMessageOnPort(port2)?.message).toEqual(plain);
    port1.close();
    expect(inspect(make())).toContain("content: 'hi'");
  });

  it('data can be replaced, and a mutation of it is kept', () => {
    const event = make();
    (event.data as { content: string }).content = 'changed';
    expect((event.data as { content: string }).content).toBe('changed');
    (event as { data: unknown }).data = { other: true };
    expect(event.data).toEqual({ other: true });
    expect(JSON.parse(JSON.stringify(event)).data).toEqual({ other: true });
  });

  it('a frame without d gives data undefined', () => {
    expect(dispatchEvent(0, 1, 'X', undefined, '{"op":0,"t":"X"}').data).toBeUndefined();
  });
});
