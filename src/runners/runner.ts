import type { Outcome, Phase } from '../protocol/outcome.js';
import type { AttemptSpec, HostMessage, SessionEvent, WorkerStatus } from '../protocol/worker-messages.js';
import type { ThreadPool } from './thread-pool.js';

/** One attempt a runner started. */
export interface RunningAttempt {
  /**
   * The attempt's one Outcome. Resolves (never rejects) after every event of the attempt was handed to the
   * sink and everything the attempt held (thread, socket, ports) is released: the next attempt may start.
   */
  readonly done: Promise<Outcome>;
  /** Where the attempt is now. */
  readonly phase: Phase;
  /** The thread hosting the attempt, once known; `null` in process or before the thread reported. */
  readonly threadId: number | null;
  /** Ends the attempt at once, exactly like a crash of its thread; resolves when it is gone. */
  kill(): Promise<void>;
  /** Asks the attempt to close gracefully (close frame with `code`); true if it ended within the control deadline. */
  shutdown(code: number): Promise<boolean>;
  /** The attempt's own view (phase, last seq it read, heartbeat); rejects past the control deadline or when it ended. */
  status(): Promise<WorkerStatus>;
  /** Host → attempt message (a transport's acknowledgements); dropped once the attempt ended. */
  send(message: HostMessage): void;
}

/**
 * Where an attempt runs (discord.js's sharding strategies are the model): the supervisor decides what happens
 * next and knows nothing of threads, ports or pools; a runner knows nothing of backoff.
 */
export interface AttemptRunner {
  /** Starts one attempt; `onEvent` receives its session events in order. */
  start(spec: AttemptSpec, onEvent: (event: SessionEvent) => void): RunningAttempt;
  /** A clean slate after repeated failures (fresh threads). Called only while no attempt runs. */
  reset(): Promise<void>;
  /** Releases everything; no attempt may be running. */
  close(): Promise<void>;
}

/** Which runner the connector uses: a name, or a runner of the host's own. */
export type RunnerOption = 'thread' | 'in-process' | AttemptRunner;

/** Which worker threads host a connector's sessions: the process's shared pool, its own, or a pool of the host's. */
export type ThreadsOption = 'shared' | 'own' | ThreadPool;
