import type { Outcome, Phase } from '../protocol/outcome.js';
import type { AttemptIO, AttemptSpec, WorkerStatus } from '../protocol/worker-messages.js';
import { WebhookAttempt } from './webhook/webhook-attempt.js';
import { ConnectionAttempt } from './websocket/connection-attempt.js';

/** One attempt of a transport: what a runner runs, in a worker thread or in process. */
export interface Attempt {
  /** Resolves with exactly one Outcome, after every socket and timer of the attempt is released. */
  run(): Promise<Outcome>;
  status(): WorkerStatus;
  /** Graceful stop: the outcome is `shutdown`. */
  shutdown(code: number): void;
  /** Ends the attempt at once with `outcome` (an in-process stand-in for a thread's death). */
  terminate(outcome: Outcome): void;
  /** Drops every server connection at once, before the thread is terminated (see `WorkerControl.quiesce`). */
  quiesce?(): void;
  readonly phase: Phase;
}

type AttemptFactory<S extends AttemptSpec> = (spec: S, io: AttemptIO) => Attempt;

/** Which class runs which transport: the one table both the worker entry and the in-process runner read. */
const ATTEMPTS: { [T in AttemptSpec['transport']]: AttemptFactory<Extract<AttemptSpec, { transport: T }>> } = {
  websocket: (spec, io) => new ConnectionAttempt(spec, io),
  webhook: (spec, io) => new WebhookAttempt(spec, io),
};

export function createAttempt(spec: AttemptSpec, io: AttemptIO): Attempt {
  return (ATTEMPTS[spec.transport] as AttemptFactory<AttemptSpec>)(spec, io);
}
