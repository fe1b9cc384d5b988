import type { MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { ErrorCodes, QQBotError } from '../errors.js';
import type { WorkerControl, WorkerStatus } from '../protocol/worker-messages.js';
import { raceAbort, withDeadline } from '../util/abort.js';

/**
 * comlink over the control port, with what comlink lacks: every call has a deadline, and every pending call
 * rejects at once when the attempt ends (comlink alone waits forever on a dead worker).
 */
export class ControlClient {
  readonly #remote: Comlink.Remote<WorkerControl>;
  readonly #port: MessagePort;
  readonly #deadlineMs: number;
  readonly #ended = new AbortController();

  constructor(port: MessagePort, deadlineMs: number) {
    this.#port = port;
    this.#deadlineMs = deadlineMs;
    this.#remote = Comlink.wrap<WorkerControl>(port as unknown as Comlink.Endpoint);
  }

  status(): Promise<WorkerStatus> {
    return this.#call('status', () => this.#remote.status());
  }

  shutdown(code: number): Promise<void> {
    return this.#call('shutdown', () => this.#remote.shutdown(code));
  }

  quiesce(): Promise<void> {
    return this.#call('quiesce', () => this.#remote.quiesce());
  }

  /** The attempt is over: reject pending calls and release the port. */
  end(): void {
    this.#ended.abort();
    this.#port.close();
  }

  #call<T>(what: string, invoke: () => Promise<T>): Promise<T> {
    if (this.#ended.signal.aborted) return Promise.reject(this.#error(what, 'the worker has already ended'));
    const answer = invoke().catch((err: unknown) => {
      throw new QQBotError(ErrorCodes.CONTROL_TIMEOUT, `control call ${what} failed`, { retryable: true, cause: err });
    });
    const untilEnd = raceAbort(answer, [this.#ended.signal], () => this.#error(what, 'the worker ended before answering'));
    return withDeadline(untilEnd, this.#deadlineMs, () => Promise.reject(this.#error(what, `no answer within ${this.#deadlineMs} ms`)));
  }

  #error(what: string, why: string): QQBotError {
    return new QQBotError(ErrorCodes.CONTROL_TIMEOUT, `control call ${what}: ${why}`, { retryable: true, details: { deadlineMs: this.#deadlineMs } });
  }
}
