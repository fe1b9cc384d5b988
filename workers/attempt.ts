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
  LOAD_LIMIT_MS,
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
 * The frames of each attempt whose transport's module is still loading, in order: an attempt must exist before its
 * calls and messages are handled. Other attempts on the thread go on meanwhile.
 */
const held = new Map<number, HostFrame[]>();
/** Modules loading now; while any is, ticks are dated ahead (tickAhead). */
let loads = 0;

/** Starts the attempt once its transport's module is loaded (usually at once: a module loads once per thread). */
function starting(frame: StartFrame): void {
  const loading = loadAttempt(frame.spec);
  if (loading === undefined) return start(frame.attempt, frame.spec, undefined);
  held.set(frame.attempt, []);
  // Evaluating the module blocks the event loop (no tick): it gets the load limit, not the attempt's watchdogMs.
  if (loads++ === 0) tickAhead(LOAD_LIMIT_MS);
  void loading.then((loadError) => {
    if (--loads === 0) tickAhead(0);
    start(frame.attempt, frame.spec, loadError);
    const waiting = held.get(frame.attempt) ?? [];
    held.delete(frame.attempt);
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
  const waiting = held.get(frame.attempt);
  if (waiting !== undefined) {
    waiting.push(frame);
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
/** While a module loads, ticks are dated this late, so the watchdog allows the load its limit. */
let aheadUntil = 0;
const beat = (): void => {
  Atomics.store(tick, 0, BigInt(Math.max(Date.now(), aheadUntil)));
};
function tickAhead(ms: number): void {
  aheadUntil = ms === 0 ? 0 : Date.now() + ms;
  beat();
}
beat();
/** As often as the most watchful attempt hosted so far asks (a thread never ticks slower again: it costs little). */
let tickMs = boot.watchdogTickMs;
let ticking = setInterval(beat, tickMs);
function tickEvery(ms: number): void {
  // A fresh tick before the attempt starts (starting() ticks ahead if its transport's module must load first).
  beat();
  if (ms >= tickMs) return;
  tickMs = ms;
  clearInterval(ticking);
  ticking = setInterval(beat, tickMs);
}

// The transports the pool ran so far load at boot, before Hello (as when this file imported them statically), not
// once a session that lost its thread waits on it. A session may be placed here meanwhile (its Start waits in the
// port): the load gets the load limit, not that session's watchdogMs. A module that fails to load is reported by the
// attempt that needs it.
tickAhead(LOAD_LIMIT_MS);
await Promise.all(boot.entries.map((entry) => import(entry).catch(() => undefined)));
tickAhead(0);
frames.push({ op: LinkOp.Hello, version: WORKER_PROTOCOL_VERSION });
link.on('message', (batch: HostFrame[]) => batch.forEach(onFrame));
