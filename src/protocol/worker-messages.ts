import type { WireError } from '../errors.js';
import type { EventProblem } from './events/validate.js';
import type { Phase } from './outcome.js';

/** Bumped whenever a message shape below changes; the runner refuses a worker of another version. */
export const WORKER_PROTOCOL_VERSION = 10;

/**
 * What every attempt's spec says, whatever its transport; each transport's spec adds its own fields, built field by
 * field on the main thread (never the secret). The runners and the link pass it on as it is: only the transport's
 * attempt reads the rest, so a new transport needs no change here.
 */
export interface AttemptSpec {
  /** The transport's name: the key its attempt module registers its attempt under. */
  transport: string;
  /**
   * The URL of that module. A worker thread imports it before the first attempt of this transport, so it runs
   * transports its entry file never names.
   */
  entry: string;
  /**
   * The attempt serves HTTP (the webhook listener): its connections are dropped before its thread is terminated
   * ({@link WorkerControl.quiesce}).
   */
  quiesceFirst: boolean;
}

/** Attempt → host message ops. */
export const WorkerEventOp = {
  Dispatch: 1,
  Phase: 2,
  GatewayUrl: 3,
  Ready: 4,
  Resumed: 5,
  Heartbeat: 6,
  Error: 7,
  Debug: 8,
  /**
   * A transport's own event ({@link TransportPayload}): the protocol and the supervisor carry it, only that
   * transport's host side reads it (the webhook's listening, op 13 and callbacks).
   */
  Transport: 10,
  /** Thread runner wire only: consecutive valid dispatches packed as one {@link DispatchRun}. */
  DispatchRun: 13,
} as const;

export type WorkerEvent =
  /**
   * `frame` is the dispatch's JSON text as received: copying a string across threads costs far less than
   * cloning the parsed object, and the host parses `d` only when a listener first reads `data`. `problem` is set when
   * the transport's edge checks refused `d` (validateEvent, run where the frame was parsed): the host reports
   * the event instead of delivering it.
   */
  | {
      op: typeof WorkerEventOp.Dispatch;
      seq: number;
      type: string;
      id: string | undefined;
      frame: string;
      problem?: EventProblem | undefined;
    }
  | { op: typeof WorkerEventOp.Phase; phase: Phase }
  /** A `/gateway/bot` answer: the URL, and the limits the identify gate keeps (`null` when not reported). */
  | {
      op: typeof WorkerEventOp.GatewayUrl;
      url: string;
      maxConcurrency: number | null;
      remaining: number | null;
      resetAfterMs: number | null;
    }
  | { op: typeof WorkerEventOp.Ready; sessionId: string; user: unknown; seq: number }
  | { op: typeof WorkerEventOp.Resumed; seq: number }
  | { op: typeof WorkerEventOp.Heartbeat; latencyMs: number }
  | { op: typeof WorkerEventOp.Error; error: WireError }
  | { op: typeof WorkerEventOp.Debug; message: string }
  | { op: typeof WorkerEventOp.Transport; payload: TransportPayload };

/**
 * What a transport's two halves say to each other through the protocol, either way: structured-cloneable, opaque
 * to everything between them (the runners, the link, the supervisor). Each transport narrows its own.
 */
export type TransportPayload = unknown;

/** What a runner hands the supervisor: every event of the attempt, in order. */
export type SessionEvent = WorkerEvent;

/** Host → attempt messages: a transport's host side to its attempt (the webhook's acknowledgements and signatures), batched like events. */
export type HostMessage = TransportPayload;

/** How an attempt talks to its host, wherever it runs. */
export interface AttemptIO {
  post(event: WorkerEvent): void;
  /** Registers the handler of host → attempt messages. */
  onHostMessage(handler: (message: HostMessage) => void): void;
  /** The thread the attempt runs on (the main thread's id in process). */
  threadId: number;
}

/** The control API an attempt exposes (over the worker's link: {@link LinkOp.Call}). */
export interface WorkerControl {
  status(): WorkerStatus;
  /** Close the connection with `code` (graceful close frame) and end the attempt with outcome `shutdown`. */
  shutdown(code: number): void;
  /**
   * Drop every connection at once, without answering: called right before the thread is terminated. A thread
   * terminated while node's HTTP parser runs in it can abort the whole process (seen on Node 20.20: FATAL
   * ToLocalChecked under llhttp, the nodejs/node#38418 class of bugs); with its sockets gone, nothing parses.
   */
  quiesce(): void;
}

export interface WorkerStatus {
  phase: Phase;
  threadId: number;
  lastSeq: number | null;
  sessionId: string | null;
  heartbeatIntervalMs: number | null;
  lastHeartbeatLatencyMs: number | null;
}
