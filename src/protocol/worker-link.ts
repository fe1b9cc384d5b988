import type { WireError } from '../errors.js';
import type { WireEvent } from './event-batch.js';
import type { Outcome } from './outcome.js';
import type { AttemptSpec, HostMessage, WORKER_PROTOCOL_VERSION, WorkerStatus } from './worker-messages.js';

/**
 * One link per worker thread: the `Worker` and its `parentPort`, nothing else. A thread hosts several attempts
 * (of one bot or of many), so every frame names its attempt. Each side posts an array of frames once per turn
 * of its event loop. One port keeps one order: an attempt's events always reach the host before its outcome,
 * and everything a thread posted before it died reaches the host before its `exit` (Node drains the port first).
 */
export const LinkOp = {
  /** Worker → host, first frame of a thread: the protocol version the worker speaks. */
  Hello: 0,
  /** Host → worker: run an attempt. */
  Start: 1,
  /** Worker → host: the attempt's events, in order. */
  Events: 2,
  /** Worker → host: the attempt ended; its last frame. */
  Outcome: 3,
  /** Host → worker: a control call on one attempt. */
  Call: 4,
  /** Worker → host: the answer to a {@link LinkOp.Call}. */
  Reply: 5,
  /** Host → worker: a transport's messages to one attempt (webhook acknowledgements and signatures). */
  Host: 6,
} as const;

/** What the thread is told at boot (`workerData`). */
/**
 * How long a thread may take to load code (its boot, or a transport's module: `ws` evaluates its whole graph in one
 * go, seconds on a busy host) before the watchdog calls it hung, whatever its attempts' `watchdogMs`.
 */
export const LOAD_LIMIT_MS = 10_000;

export interface WorkerBoot {
  version: typeof WORKER_PROTOCOL_VERSION;
  /**
   * One BigInt64 slot: the thread stores `Date.now()` into it every `watchdogTickMs`, or more often when an
   * attempt it hosts asks for it (its {@link LinkOp.Start} frame's `watchdogTickMs`).
   */
  watchdog: SharedArrayBuffer;
  watchdogTickMs: number;
  /**
   * Attempt modules ({@link AttemptSpec.entry}) to import at boot: those of the attempts the pool started so far,
   * so that a spare thread that takes over from a dead one does not load them while its sessions wait.
   */
  entries: string[];
}

/**
 * The control calls: `abort` ends one attempt at once with the outcome the host built (a kill that spares the
 * other attempts of the thread); the rest are {@link WorkerControl}'s.
 */
export type ControlCall =
  | { method: 'status' }
  | { method: 'shutdown'; code: number }
  | { method: 'quiesce' }
  | { method: 'abort'; outcome: Outcome };

/** Host → worker frames. The spec of a Start is the only place an attempt's access token crosses. */
export type HostFrame =
  | { op: typeof LinkOp.Start; attempt: number; spec: AttemptSpec; watchdogTickMs: number }
  | { op: typeof LinkOp.Call; attempt: number; call: number; control: ControlCall }
  | { op: typeof LinkOp.Host; attempt: number; messages: HostMessage[] };

/** Worker → host frames. */
export type WorkerFrame =
  | { op: typeof LinkOp.Hello; version: number }
  | { op: typeof LinkOp.Events; attempt: number; events: WireEvent[] }
  | { op: typeof LinkOp.Outcome; attempt: number; outcome: Outcome }
  | { op: typeof LinkOp.Reply; call: number; value: WorkerStatus | null; error: WireError | null };
