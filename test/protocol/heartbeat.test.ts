import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../../src/protocol/heartbeat.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

function heartbeat(
  intervalMs: number,
  random = 0.5,
): { hb: Heartbeat; sent: number[]; zombies: number[]; acks: number[] } {
  const sent: number[] = [];
  const zombies: number[] = [];
  const acks: number[] = [];
  const hb = new Heartbeat(intervalMs, {
    send: () => sent.push(Date.now()),
    onZombie: () => zombies.push(Date.now()),
    onAck: (ms) => acks.push(ms),
    random: () => random,
  });
  return { hb, sent, zombies, acks };
}

describe('Heartbeat', () => {
  it('beats first after a jittered fraction of the interval, then every interval', () => {
    const { hb, sent } = heartbeat(1_000, 0.25);
    hb.start();
    vi.advanceTimersByTime(250);
    hb.ack();
    vi.advanceTimersByTime(1_000);
    hb.ack();
    vi.advanceTimersByTime(1_000);
    expect(sent).toEqual([250, 1_250, 2_250]);
    hb.stop();
  });

  it('measures the latency of each ACK', () => {
    const { hb, acks } = heartbeat(1_000, 0);
    hb.start();
    vi.advanceTimersByTime(40);
    hb.ack();
    expect(acks).toEqual([40]);
    expect(hb.lastLatencyMs).toBe(40);
    hb.stop();
  });

  it('declares a zombie once when a beat is due and the previous one got no ACK, and stops', () => {
    const { hb, sent, zombies } = heartbeat(1_000, 0);
    hb.start();
    vi.advanceTimersByTime(0);
    vi.advanceTimersByTime(1_000);
    expect(zombies).toEqual([1_000]);
    vi.advanceTimersByTime(5_000);
    expect(zombies).toHaveLength(1);
    expect(sent).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores an ACK that answers nothing, and stop() leaves no timer', () => {
    const { hb, acks } = heartbeat(1_000);
    hb.ack();
    expect(acks).toEqual([]);
    hb.start();
    hb.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
