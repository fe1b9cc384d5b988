import { MessageChannel, type ResourceLimits, type Worker } from 'node:worker_threads';
import { ErrorCodes, QQBotError, errnoOf, toWire, type ErrorCode } from '../errors.js';
import { unpackBatch, type WireEvent } from '../protocol/event-batch.js';
import type { Outcome, Phase } from '../protocol/outcome.js';
import {
  WORKER_PROTOCOL_VERSION,
  WorkerEventOp,
  type AttemptSpec,
  type AttemptTask,
  type HostMessage,
  type SessionEvent,
  type WorkerEvent,
  type WorkerStatus,
} from '../protocol/worker-messages.js';
import { withDeadline } from '../util/abort.js';
import { ControlClient } from './control-client.js';
import { PoolHost } from './pool-host.js';
import type { AttemptRunner, RunningAttempt } from './runner.js';
import { Watchdog } from './watchdog.js';
import { defaultWorkerFile } from './worker-file.js';

type DeathCause = Extract<Outcome, { kind: 'worker-died' }>['cause'];

/** How a worker thread's death is reported, by cause. */
const DEATHS: Readonly<Record<DeathCause, { code: ErrorCode; text: (watchdogMs: number) => string }>> = {
  hung: { code: ErrorCodes.WORKER_HUNG, text: (ms) => `the worker's event loop stalled for more than ${ms} ms and was terminated` },
  terminated: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread was terminated' },
  crashed: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread died' },
  bootstrap: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread failed to start' },
};

/** How long to wait for the End marker after the task resolved (it was posted first, on another port). */
const END_MARKER_WAIT_MS = 1_000;

export interface ThreadRunnerOptions {
  /** Attempts that may run at once (one per shard). */
  concurrency: number;
  resourceLimits: ResourceLimits | undefined;
  /** A worker whose event loop has not ticked for this long is terminated. */
  watchdogMs: number;
  /** Deadline of control calls (`status`, `shutdown`). */
  controlMs: number;
  /** Errors outside any attempt (an idle thread failing). Never thrown into the host. */
  onError(error: QQBotError): void;
  /** The worker entry; tests pass one that can be told to crash. @defaultValue the built `workers/attempt.js` */
  workerFile?: string;
}

/**
 * The default runner: each attempt is a piscina task in its own worker thread, watched by a watchdog and
 * reachable over a comlink control port. It classifies deaths (crashed, hung, terminated, bootstrap).
 */
export class ThreadRunner implements AttemptRunner {
  readonly #options: ThreadRunnerOptions;
  #pool: PoolHost;
  /** Attempts running per pool: a pool replaced by reset() is destroyed when its last attempt ends. */
  readonly #running = new Map<PoolHost, number>();

  constructor(options: ThreadRunnerOptions) {
    this.#options = options;
    this.#pool = this.#newPool();
  }

  start(spec: AttemptSpec, onEvent: (event: SessionEvent) => void): RunningAttempt {
    const pool = this.#pool;
    this.#running.set(pool, (this.#running.get(pool) ?? 0) + 1);
    const attempt = new ThreadAttempt(pool, spec, onEvent, this.#options);
    void attempt.done.then(() => {
      const left = (this.#running.get(pool) ?? 1) - 1;
      this.#running.set(pool, left);
      if (left === 0 && pool !== this.#pool) void this.#retire(pool);
    });
    return attempt;
  }

  /** Later attempts start on a new pool's fresh threads; other shards' running attempts finish on the old one. */
  async reset(): Promise<void> {
    const old = this.#pool;
    this.#pool = this.#newPool();
    if ((this.#running.get(old) ?? 0) === 0) await this.#retire(old);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#running.keys(), this.#pool].map((pool) => this.#retire(pool)));
  }

  async #retire(pool: PoolHost): Promise<void> {
    this.#running.delete(pool);
    await pool.destroy();
  }

  #newPool(): PoolHost {
    const o = this.#options;
    return new PoolHost({
      workerFile: o.workerFile ?? defaultWorkerFile(),
      concurrency: o.concurrency,
      resourceLimits: o.resourceLimits,
      onPoolError: (err) => o.onError(new QQBotError(ErrorCodes.WORKER_DIED, 'an idle worker thread failed', { cause: err, retryable: true })),
    });
  }
}

/** One attempt in a worker thread: its task, ports, watchdog, and how its end is read. */
class ThreadAttempt implements RunningAttempt {
  readonly done: Promise<Outcome>;
  #phase: Phase = 'gateway';
  #worker: Worker | undefined;
  #started = false;
  /** Set when we end the thread ourselves, so its death is not mistaken for a crash or a bootstrap failure. */
  #killedBy: 'hung' | 'terminated' | undefined;
  #ended = false;
  #onEnd: (() => void) | undefined;
  #finished = false;
  readonly #pool: PoolHost;
  readonly #options: ThreadRunnerOptions;
  readonly #onEvent: (event: SessionEvent) => void;
  readonly #control: ControlClient;
  readonly #kill = new AbortController();
  readonly #events: MessageChannel['port1'];
  #outbox: HostMessage[] = [];
  /** The attempt serves HTTP (the webhook listener): see {@link ThreadAttempt.kill}. */
  readonly #quiesceFirst: boolean;

  constructor(pool: PoolHost, spec: AttemptSpec, onEvent: (event: SessionEvent) => void, options: ThreadRunnerOptions) {
    this.#pool = pool;
    this.#options = options;
    this.#onEvent = onEvent;
    this.#quiesceFirst = spec.transport === 'webhook';
    const events = new MessageChannel();
    const control = new MessageChannel();
    this.#events = events.port1;
    this.#control = new ControlClient(control.port1, options.controlMs);
    const watchdog = new Watchdog(options.watchdogMs);
    // Field by field: the spec was built that way, and the runner adds only its own plumbing.
    const task: AttemptTask = { ...spec, version: WORKER_PROTOCOL_VERSION, watchdog: watchdog.buffer, watchdogTickMs: watchdog.tickMs, events: events.port2, control: control.port2 };
    const onWorkerEvent = (event: WorkerEvent): void => this.#onWorkerEvent(event);
    events.port1.on('message', (batch: WireEvent[]) => unpackBatch(batch, onWorkerEvent));
    watchdog.start((staleMs) => {
      this.#killedBy ??= 'hung';
      this.#onEvent({ op: WorkerEventOp.Debug, message: `worker event loop stalled for ${staleMs} ms; terminating it` });
      void this.kill();
    });
    this.done = this.#run(task).finally(() => {
      this.#finished = true;
      watchdog.stop();
      this.#control.end();
      events.port1.close();
    });
  }

  get phase(): Phase {
    return this.#phase;
  }

  get threadId(): number | null {
    return this.#worker?.threadId ?? null;
  }

  async kill(): Promise<void> {
    this.#killedBy ??= 'terminated';
    const worker = this.#worker;
    // A server in the thread first drops its connections: terminating a thread while node parses HTTP in it can
    // abort the process (WorkerControl.quiesce). A hung thread cannot answer, so it is not asked.
    if (worker !== undefined && this.#quiesceFirst && this.#killedBy !== 'hung') await this.#control.quiesce().catch(() => undefined);
    // Not started yet: piscina terminates the thread of an aborted running task.
    if (worker === undefined) this.#kill.abort();
    else await this.#pool.terminate(worker);
    await this.done;
  }

  shutdown(code: number): Promise<boolean> {
    const ended = this.#control.shutdown(code).then(
      () => this.done.then(() => true),
      () => false,
    );
    return withDeadline(ended, this.#options.controlMs, () => false);
  }

  status(): Promise<WorkerStatus> {
    return this.#control.status();
  }

  send(message: HostMessage): void {
    if (this.#finished) return;
    // Batched per turn, like events the other way.
    if (this.#outbox.push(message) === 1) {
      setImmediate(() => {
        const batch = this.#outbox;
        this.#outbox = [];
        if (!this.#finished) this.#events.postMessage(batch);
      });
    }
  }

  async #run(task: AttemptTask): Promise<Outcome> {
    try {
      const outcome = await this.#pool.run(task, this.#kill.signal);
      // The End marker was posted before the task resolved, on another port: wait for it so every event the
      // worker forwarded reaches the host before anyone acts on the outcome.
      if (!this.#ended) {
        await withDeadline(
          new Promise<void>((resolve) => {
            this.#onEnd = resolve;
          }),
          END_MARKER_WAIT_MS,
          () => undefined,
        );
      }
      return outcome;
    } catch (err) {
      // Let messages the thread posted before it died reach us; whatever is lost, RESUME replays.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#worker !== undefined) await this.#pool.waitForExit(this.#worker);
      return this.#death(err);
    }
  }

  #death(err: unknown): Outcome {
    const errno = errnoOf(err);
    // A thread out of memory may stall in GC long enough for the watchdog to fire first: its own death wins.
    const cause: DeathCause = errno === 'ERR_WORKER_OUT_OF_MEMORY' ? 'crashed' : (this.#killedBy ?? (this.#started ? 'crashed' : 'bootstrap'));
    const what = DEATHS[cause];
    const error = new QQBotError(what.code, `${what.text(this.#options.watchdogMs)}${errno === undefined ? '' : ` (${errno})`}`, {
      retryable: cause !== 'bootstrap',
      cause: err,
      details: { cause, errno: errno ?? null },
    });
    return { kind: 'worker-died', phase: this.#phase, error: toWire(error), cause, reason: error.message };
  }

  /** The events port: the hot path. Runner markers are handled here; the rest goes to the supervisor. */
  #onWorkerEvent(event: WorkerEvent): void {
    switch (event.op) {
      case WorkerEventOp.Started:
        if (event.version !== WORKER_PROTOCOL_VERSION) {
          const error = new QQBotError(ErrorCodes.WORKER_BOOTSTRAP, `worker protocol version ${event.version}, expected ${WORKER_PROTOCOL_VERSION}`);
          this.#onEvent({ op: WorkerEventOp.Error, error: toWire(error) });
        }
        this.#started = true;
        this.#worker = this.#pool.findThread(event.threadId);
        return;
      case WorkerEventOp.End:
        this.#ended = true;
        this.#onEnd?.();
        return;
      case WorkerEventOp.Phase:
        this.#phase = event.phase;
        this.#onEvent(event);
        return;
      default:
        this.#onEvent(event);
    }
  }
}
