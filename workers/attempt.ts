/**
 * Worker entry: hosts the attempts the pool places on this thread, of any bot and any transport, over the
 * thread's one link (src/protocol/worker-link.ts). Keeps the watchdog ticking, packs each attempt's events, and
 * answers control calls. An attempt knows only its own spec: attempts of different bots share nothing here but
 * the event loop. The logic lives in the attempt classes, which their transport's module (the spec's `entry`)
 * registers: this file names no transport.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import { toWire } from '../src/errors.js';
import { EventBatch } from '../src/protocol/event-batch.js';
import {
  LinkOp,
  type ControlCall,
  type HostFrame,
  type WorkerBoot,
  type WorkerFrame,
} from '../src/protocol/worker-link.js';
import { WORKER_PROTOCOL_VERSION, type HostMessage, type WorkerStatus } from '../src/protocol/worker-messages.js';
import { createAttempt, loadAttempt, type Attempt } from '../src/transports/attempts.js';
import { TurnBatch } from '../src/util/turn-batch.js';

interface Hosted {
  attempt: Attempt;
  onHostMessage: ((message: HostMessage) => void) | undefined;
}

if (parentPort === null) throw new Error("workers/attempt.js runs in a worker thread of the connector's pool");
const link = parentPort;
const boot = workerData as WorkerBoot;

const hosted = new Map<number, Hosted>();
/** Each attempt's events of this turn, packed until the frames go out (or until another frame of it follows). */
const pending = new Map<number, EventBatch>();
const frames = new TurnBatch<WorkerFrame>(
  (batch) => link.postMessage(batch),
  () => {
    for (const attempt of [...pending.keys()]) closeEvents(attempt);
  },
);

function closeEvents(attempt: number): void {
  const batch = pending.get(attempt);
  if (batch === undefined) return;
  pending.delete(attempt);
  frames.push({ op: LinkOp.Events, attempt, events: batch.take() });
}

/** A frame about one attempt: its events so far go first. */
function frameOf(attempt: number, frame: WorkerFrame): void {
  closeEvents(attempt);
  frames.push(frame);
}

type StartFrame = Extract<HostFrame, { op: typeof LinkOp.Start }>;

/**
 * Frames that arrived while an attempt module loaded, in order: the attempt they start, call or message must exist
 * before they are handled. `undefined` while nothing loads (the usual case: a transport loads once per thread).
 */
let held: HostFrame[] | undefined;

/** Starts the attempt, once its transport's module is loaded; later frames wait meanwhile, so that order is kept. */
function starting(frame: StartFrame): void {
  const loading = loadAttempt(frame.spec);
  if (loading === undefined) return start(frame.attempt, frame.spec, undefined);
  held = [];
  void loading.then((loadError) => {
    start(frame.attempt, frame.spec, loadError);
    const waiting = held ?? [];
    held = undefined;
    waiting.forEach(onFrame);
  });
}

function start(id: number, spec: StartFrame['spec'], loadError: unknown): void {
  const entry: Hosted = { attempt: undefined as unknown as Attempt, onHostMessage: undefined };
  entry.attempt = createAttempt(
    spec,
    {
      threadId,
      post: (event) => {
        let batch = pending.get(id);
        if (batch === undefined) pending.set(id, (batch = new EventBatch()));
        batch.push(event);
        frames.schedule();
      },
      onHostMessage: (handler) => {
        entry.onHostMessage = handler;
      },
    },
    loadError,
  );
  hosted.set(id, entry);
  void entry.attempt.run().then((outcome) => {
    hosted.delete(id);
    frameOf(id, { op: LinkOp.Outcome, attempt: id, outcome });
  });
}

function control(attempt: Attempt, call: ControlCall): WorkerStatus | null {
  switch (call.method) {
    case 'status':
      return attempt.status();
    case 'shutdown':
      attempt.shutdown(call.code);
      return null;
    case 'quiesce':
      attempt.quiesce?.();
      return null;
    case 'abort':
      attempt.terminate(call.outcome);
      return null;
  }
}

function onFrame(frame: HostFrame): void {
  if (held !== undefined) {
    held.push(frame);
    return;
  }
  if (frame.op === LinkOp.Start) {
    tickEvery(frame.watchdogTickMs);
    return starting(frame);
  }
  const entry = hosted.get(frame.attempt);
  if (frame.op === LinkOp.Host) {
    frame.messages.forEach((message) => entry?.onHostMessage?.(message));
    return;
  }
  // A call on an attempt that has ended: the host already has its outcome and rejects the call itself.
  if (entry === undefined) return;
  try {
    frameOf(frame.attempt, {
      op: LinkOp.Reply,
      call: frame.call,
      value: control(entry.attempt, frame.control),
      error: null,
    });
  } catch (err) {
    frameOf(frame.attempt, { op: LinkOp.Reply, call: frame.call, value: null, error: toWire(err) });
  }
}

const tick = new BigInt64Array(boot.watchdog);
const beat = (): void => {
  Atomics.store(tick, 0, BigInt(Date.now()));
};
beat();
/** As often as the most watchful attempt hosted so far asks (a thread never ticks slower again: it costs little). */
let tickMs = boot.watchdogTickMs;
let ticking = setInterval(beat, tickMs);
function tickEvery(ms: number): void {
  // A fresh tick before the attempt starts: its first steps (loading the HTTP client) may take a while.
  beat();
  if (ms >= tickMs) return;
  tickMs = ms;
  clearInterval(ticking);
  ticking = setInterval(beat, tickMs);
}

frames.push({ op: LinkOp.Hello, version: WORKER_PROTOCOL_VERSION });
// The transports the pool ran so far load now, not when a session that lost its thread waits for them here. A
// module that fails to load is reported by the attempt that needs it.
for (const entry of boot.entries) import(entry).catch(() => undefined);
link.on('message', (batch: HostFrame[]) => batch.forEach(onFrame));
