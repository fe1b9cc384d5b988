import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EventBatch, unpackBatch, type WireEvent } from '../../src/protocol/event-batch.js';
import { WorkerEventOp, type WorkerEvent } from '../../src/protocol/worker-messages.js';

type Dispatch = Extract<WorkerEvent, { op: typeof WorkerEventOp.Dispatch }>;
const dispatch = (seq: number, type: string, id: string | undefined): Dispatch => ({
  op: WorkerEventOp.Dispatch,
  seq,
  type,
  id,
  frame: `{"op":0,"s":${seq},"t":"${type}","d":{}}`,
});

/** Packs `events`, sends the batch through a real port (structured clone), and unpacks what arrived. */
function roundTrip(events: WorkerEvent[]): { wire: WireEvent[]; out: WorkerEvent[] } {
  const batch = new EventBatch();
  for (const event of events) batch.push(event);
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(batch.take());
  const wire = receiveMessageOnPort(port2)?.message as WireEvent[];
  port1.close();
  const out: WorkerEvent[] = [];
  unpackBatch(wire, (event) => out.push(event));
  return { wire, out };
}

describe('EventBatch', () => {
  it('packs consecutive dispatches into runs and hands every event back in order', () => {
    const invalid: WorkerEvent = {
      ...dispatch(4, 'C2C_MESSAGE_CREATE', 'e4'),
      problem: { path: 'id', expected: 'id' },
    };
    const events: WorkerEvent[] = [
      { op: WorkerEventOp.Phase, phase: 'session' },
      dispatch(1, 'GROUP_AT_MESSAGE_CREATE', 'e1'),
      dispatch(2, 'C2C_MESSAGE_CREATE', undefined),
      dispatch(3, 'GROUP_AT_MESSAGE_CREATE', 'e3'),
      invalid,
      dispatch(5, 'GROUP_AT_MESSAGE_CREATE', 'e5'),
      { op: WorkerEventOp.Heartbeat, latencyMs: 3 },
      dispatch(6, 'GROUP_AT_MESSAGE_CREATE', 'e6'),
    ];
    const { wire, out } = roundTrip(events);
    expect(wire.map((e) => e.op)).toEqual([
      WorkerEventOp.Phase,
      WorkerEventOp.DispatchRun,
      WorkerEventOp.Dispatch,
      WorkerEventOp.Dispatch,
      WorkerEventOp.Heartbeat,
      WorkerEventOp.Dispatch,
    ]);
    // Each type name crosses once per run.
    expect(wire[1]).toMatchObject({ typeNames: ['GROUP_AT_MESSAGE_CREATE', 'C2C_MESSAGE_CREATE'], types: [0, 1, 0] });
    expect(out).toEqual(events);
  });

  it('starts empty again after take()', () => {
    const batch = new EventBatch();
    expect(batch.empty).toBe(true);
    batch.push(dispatch(1, 'X', 'a'));
    expect(batch.empty).toBe(false);
    expect(batch.take()).toHaveLength(1);
    expect(batch.empty).toBe(true);
    batch.push(dispatch(2, 'X', 'b'));
    batch.push(dispatch(3, 'X', 'c'));
    expect(batch.take()).toEqual([
      {
        op: WorkerEventOp.DispatchRun,
        seqs: [2, 3],
        types: [0, 0],
        typeNames: ['X'],
        ids: ['b', 'c'],
        frames: [dispatch(2, 'X', 'b').frame, dispatch(3, 'X', 'c').frame],
      },
    ]);
  });

  it('a lone dispatch crosses as itself (a run of one would clone five arrays for it)', () => {
    const ack: WorkerEvent = { op: WorkerEventOp.Heartbeat, latencyMs: 1 };
    const events: WorkerEvent[] = [dispatch(1, 'X', 'a'), ack, dispatch(2, 'X', 'b')];
    const { wire, out } = roundTrip(events);
    expect(wire).toEqual(events);
    expect(out).toEqual(events);
  });
});
