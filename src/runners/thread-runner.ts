import { ErrorCodes, QQBotError, errnoOf, toWire, type ErrorCode } from '../errors.js';
import type { Outcome, Phase } from '../protocol/outcome.js';
import {
  WorkerEventOp,
  type AttemptSpec,
  type HostMessage,
  type SessionEvent,
  type WorkerStatus,
} from '../protocol/worker-messages.js';
import { withDeadline } from '../util/abort.js';
import { TurnBatch } from '../util/turn-batch.js';
import type { AttemptRunner, RunningAttempt } from './runner.js';
import type { ThreadPool } from './thread-pool.js';
import type { DeathCause, WorkerThread } from './worker-thread.js';

/** How a worker thread's death is reported, by cause. */
const DEATHS: Readonly<Record<DeathCause, { code: ErrorCode; text: (watchdogMs: number) => string }>> = {
  hung: {
    code: ErrorCodes.WORKER_HUNG,
    text: (ms) => `the worker's event loop stalled for more than ${ms} ms and was terminated`,
  },
  terminated: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread was terminated' },
  crashed: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread died' },
  bootstrap: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread failed to start' },
};

export interface ThreadRunnerOptions {
  /** The threads this runner's attempts run in (shared with other connectors, or its own). */
  pool: ThreadPool;
  /** A thread whose event loop has not ticked for this long is terminated, with every attempt in it. */
  watchdogMs: number;
  /** Deadline of control calls (`status`, `shutdown`). */
  controlMs: number;
  /** Errors outside any attempt (an idle thread failing). Never thrown into the host. */
  onError(error: QQBotError): void;
}

/**
 * The default runner: each attempt runs in a worker thread of a {@link ThreadPool}, beside attempts of other
 * shards and bots, watched by the thread's watchdog and reachable over the thread's one link.
 */
export class ThreadRunner implements AttemptRunner {
  readonly #options: ThreadRunnerOptions;
  /** Threads this runner's attempts used since the last reset(). */
  readonly #used = new Set<WorkerThread>();

  constructor(options: ThreadRunnerOptions) {
    this.#options = options;
    options.pool.acquire(options.onError);
  }

  start(spec: AttemptSpec, onEvent: (event: SessionEvent) => void): RunningAttempt {
    const attempt = new ThreadAttempt(spec, onEvent, this.#options, this);
    this.#used.add(attempt.thread);
    return attempt;
  }

  /** Later attempts start on other threads than the ones used so far, unless another connector's sessions share them. */
  reset(): Promise<void> {
    this.#options.pool.drain(this.#used, this);
    this.#used.clear();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.#options.pool.release(this.#options.onError);
  }
}

/** One attempt in a pool thread: its session there, and how its end is read. */
class ThreadAttempt implements RunningAttempt {
  readonly done: Promise<Outcome>;
  readonly thread: WorkerThread;
  readonly #id: number;
  #phase: Phase = 'gateway';
  #finished = false;
  readonly #options: ThreadRunnerOptions;
  readonly #outbox: TurnBatch<HostMessage>;

  constructor(
    spec: AttemptSpec,
    onEvent: (event: SessionEvent) => void,
    options: ThreadRunnerOptions,
    owner: ThreadRunner,
  ) {
    this.#options = options;
    let settle!: (outcome: Outcome) => void;
    this.done = new Promise<Outcome>((resolve) => {
      settle = (outcome) => {
        this.#finished = true;
        resolve(outcome);
      };
    });
    const placed = options.pool.start(spec, {
      owner,
      watchdogMs: options.watchdogMs,
      quiesceFirst: spec.quiesceFirst,
      onEvent: (event) => {
        if (event.op === WorkerEventOp.Phase) this.#phase = event.phase;
        onEvent(event);
      },
      onOutcome: settle,
      onDeath: (cause, err) => settle(this.#death(cause, err)),
    });
    this.thread = placed.thread;
    this.#id = placed.attempt;
    // Batched per turn, like events the other way.
    this.#outbox = new TurnBatch((messages) => this.thread.send(this.#id, messages));
  }

  get phase(): Phase {
    return this.#phase;
  }

  get threadId(): number {
    return this.thread.threadId;
  }

  /**
   * Ends the attempt at once, like a crash of its thread: the thread itself when the attempt is alone in it,
   * else only the attempt, inside it (its socket dropped without a close frame); a thread that does not answer
   * is terminated.
   */
  async kill(): Promise<void> {
    if (this.#finished) return;
    if (this.thread.sessions <= 1) {
      await this.thread.terminate();
    } else {
      const outcome = this.#death('terminated', undefined);
      const aborted = await this.thread.call(this.#id, { method: 'abort', outcome }, this.#options.controlMs).then(
        () => true,
        () => false,
      );
      if (!aborted && !this.#finished) await this.thread.terminate();
    }
    await this.done;
  }

  shutdown(code: number): Promise<boolean> {
    const ended = this.thread.call(this.#id, { method: 'shutdown', code }, this.#options.controlMs).then(
      () => this.done.then(() => true),
      () => false,
    );
    return withDeadline(ended, this.#options.controlMs, () => false);
  }

  async status(): Promise<WorkerStatus> {
    return (await this.thread.call(this.#id, { method: 'status' }, this.#options.controlMs)) as WorkerStatus;
  }

  send(message: HostMessage): void {
    if (!this.#finished) this.#outbox.push(message);
  }

  #death(cause: DeathCause, err: unknown): Outcome {
    const errno = errnoOf(err);
    const what = DEATHS[cause];
    const error = new QQBotError(
      what.code,
      `${what.text(this.#options.watchdogMs)}${errno === undefined ? '' : ` (${errno})`}`,
      {
        retryable: cause !== 'bootstrap',
        cause: err,
        details: { cause, errno: errno ?? null },
      },
    );
    return { kind: 'worker-died', phase: this.#phase, error: toWire(error), cause, reason: error.message };
  }
}
