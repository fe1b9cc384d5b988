import { threadId } from 'node:worker_threads';
import { ErrorCodes, QQBotError, toWire } from '../errors.js';
import type { Outcome, Phase } from '../protocol/outcome.js';
import {
  type AttemptSpec,
  type HostMessage,
  type SessionEvent,
  type WorkerStatus,
} from '../protocol/worker-messages.js';
import { createAttempt, type Attempt } from '../transports/attempts.js';
import type { AttemptRunner, RunningAttempt } from './runner.js';

/**
 * Runs each attempt on the host's own thread: no isolation from crashes or hangs, but no thread either — for
 * tests, debugging, and hosts without worker threads. `kill()` ends the attempt as a thread's death would.
 */
export class InProcessRunner implements AttemptRunner {
  start(spec: AttemptSpec, onEvent: (event: SessionEvent) => void): RunningAttempt {
    return new InProcessAttempt(spec, onEvent);
  }

  reset(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class InProcessAttempt implements RunningAttempt {
  readonly done: Promise<Outcome>;
  readonly threadId = null;
  readonly #attempt: Attempt;
  #hostHandler: ((message: HostMessage) => void) | undefined;
  #finished = false;

  constructor(spec: AttemptSpec, onEvent: (event: SessionEvent) => void) {
    this.#attempt = createAttempt(spec, {
      threadId,
      post: onEvent,
      onHostMessage: (handler) => {
        this.#hostHandler = handler;
      },
    });
    this.done = this.#attempt.run().finally(() => {
      this.#finished = true;
    });
  }

  get phase(): Phase {
    return this.#attempt.phase;
  }

  async kill(): Promise<void> {
    const error = new QQBotError(ErrorCodes.WORKER_DIED, 'the attempt was terminated', {
      retryable: true,
      details: { cause: 'terminated', errno: null },
    });
    this.#attempt.terminate({
      kind: 'worker-died',
      phase: this.#attempt.phase,
      error: toWire(error),
      cause: 'terminated',
      reason: error.message,
    });
    await this.done;
  }

  async shutdown(code: number): Promise<boolean> {
    this.#attempt.shutdown(code);
    await this.done;
    return true;
  }

  status(): Promise<WorkerStatus> {
    if (this.#finished)
      return Promise.reject(
        new QQBotError(ErrorCodes.CONTROL_TIMEOUT, 'control call status: the attempt has already ended', {
          retryable: true,
        }),
      );
    return Promise.resolve(this.#attempt.status());
  }

  send(message: HostMessage): void {
    if (!this.#finished) this.#hostHandler?.(message);
  }
}
