import { Worker, type ResourceLimits } from 'node:worker_threads';
import { ErrorCodes, QQBotError, errnoOf, toWire } from '../errors.js';
import { unpackBatch } from '../protocol/event-batch.js';
import type { Outcome } from '../protocol/outcome.js';
import {
  LinkOp,
  type ControlCall,
  type HostFrame,
  type WorkerBoot,
  type WorkerFrame,
} from '../protocol/worker-link.js';
import {
  WORKER_PROTOCOL_VERSION,
  WorkerEventOp,
  type AttemptSpec,
  type HostMessage,
  type WorkerEvent,
  type WorkerStatus,
} from '../protocol/worker-messages.js';
import { withDeadline } from '../util/abort.js';
import { TurnBatch } from '../util/turn-batch.js';
import { WATCHDOG_TICK_MS, Watchdog, tickFor } from './watchdog.js';

/**
 * The worker's flags, all of them: none of the host's. Node refuses V8 and process-wide flags in a worker
 * (`--max-old-space-size`, `--stack-size`, `--title`, `--expose-gc` … → `ERR_WORKER_INVALID_EXEC_ARGV`), and the
 * host's preloads (`--import`, `--require dotenv/config`) could fill the worker's empty environment with the
 * secret. `NODE_OPTIONS` does not reach the worker either: it reads it from its own environment, which is empty.
 *
 * Node ≥ 20.19 may load an ESM module with a synchronous `require()`; terminating a thread during that load
 * aborted the whole process (V8 `Module::IsGraphAsync must be used on an instantiated module`): 3 aborts in 720
 * pool destroys during start-up with require(esm) on, 0 in 720 with it off (docs/design-notes.md).
 */
export const WORKER_EXEC_ARGV: readonly string[] = process.allowedNodeEnvironmentFlags.has(
  '--no-experimental-require-module',
)
  ? ['--no-experimental-require-module']
  : [];

/** How long a thread may take to exit after it was told to. */
const EXIT_GRACE_MS = 5_000;

export type DeathCause = Extract<Outcome, { kind: 'worker-died' }>['cause'];

/** What a thread needs of one attempt it hosts. */
export interface HostedSession {
  /** Who started it (a connector's runner): a thread is drained for a clean slate only when all its sessions are one owner's. */
  readonly owner: object;
  /** The smallest `watchdogMs` of a thread's sessions is its watchdog's limit. */
  readonly watchdogMs: number;
  /** The attempt serves HTTP (the webhook listener): it drops its connections before the thread is terminated. */
  readonly quiesceFirst: boolean;
  onEvent(event: WorkerEvent): void;
  onOutcome(outcome: Outcome): void;
  /** The thread died with this attempt in it (`err`: what Node reported, if anything). */
  onDeath(cause: DeathCause, err: unknown): void;
}

export interface WorkerThreadOptions {
  workerFile: string;
  resourceLimits: ResourceLimits | undefined;
  /** Attempt modules the thread imports at boot ({@link WorkerBoot.entries}). */
  entries: string[];
  /** A session ended and the thread goes on. */
  onSessionEnd(thread: WorkerThread): void;
  /** The thread is gone; `idleError` is set when it failed while hosting nothing (nobody else hears of it). */
  onExit(thread: WorkerThread, idleError: QQBotError | undefined): void;
}

interface PendingCall {
  attempt: number;
  method: ControlCall['method'];
  resolve(value: WorkerStatus | null): void;
  reject(error: QQBotError): void;
}

let nextAttemptId = 0;
let nextCallId = 0;

/**
 * One worker thread of a pool and its one link: the attempts it hosts (of any bot), their control calls, the
 * watchdog, and how its death is read (crashed, hung, terminated, bootstrap) for every attempt in it.
 */
export class WorkerThread {
  readonly threadId: number;
  readonly #worker: Worker;
  readonly #sessions = new Map<number, HostedSession>();
  readonly #calls = new Map<number, PendingCall>();
  readonly #out: TurnBatch<HostFrame>;
  readonly #watchdog: Watchdog;
  readonly #options: WorkerThreadOptions;
  /** Set when we end the thread ourselves, so its death is not mistaken for a crash or a bootstrap failure. */
  #killedBy: 'hung' | 'terminated' | undefined;
  /** The worker said hello: it loaded, and a death from now on is a crash. */
  #booted = false;
  #versionError: QQBotError | undefined;
  #error: unknown;
  #exited = false;
  readonly #exit: Promise<void>;
  /** No new session is placed here (the pool retires it when it empties). */
  draining = false;

  constructor(options: WorkerThreadOptions) {
    this.#options = options;
    this.#watchdog = new Watchdog(() => this.#watchdogLimit());
    const boot: WorkerBoot = {
      version: WORKER_PROTOCOL_VERSION,
      watchdog: this.#watchdog.buffer,
      watchdogTickMs: WATCHDOG_TICK_MS,
      entries: options.entries,
    };
    this.#worker = new Worker(options.workerFile, {
      workerData: boot,
      execArgv: [...WORKER_EXEC_ARGV],
      // A worker gets a copy of process.env by default, and hosts keep secrets there (QQBOT_SECRET):
      // the secret must never reach a worker, and the worker needs nothing from the environment.
      env: {},
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    this.threadId = this.#worker.threadId;
    this.#out = new TurnBatch<HostFrame>((frames) => this.#worker.postMessage(frames));
    this.#worker.on('message', (frames: WorkerFrame[]) => frames.forEach((frame) => this.#onFrame(frame)));
    // Without a listener, a thread's failure would be an unhandled 'error' and crash the host.
    this.#worker.on('error', (err) => {
      this.#error ??= err;
    });
    this.#exit = new Promise((resolve) => this.#worker.once('exit', (code) => resolve(this.#onExit(code))));
    this.#watchdog.start((staleMs) => this.#hung(staleMs));
  }

  /** Attempts running here now. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** True when every session here is `owner`'s (none is, too). */
  ownedBy(owner: object): boolean {
    return [...this.#sessions.values()].every((session) => session.owner === owner);
  }

  /** Takes new sessions: alive, not being ended, not draining. */
  get open(): boolean {
    return !this.#exited && this.#killedBy === undefined && !this.draining;
  }

  /** Runs an attempt here; returns its id on this link. */
  start(spec: AttemptSpec, session: HostedSession): number {
    const attempt = nextAttemptId++;
    this.#sessions.set(attempt, session);
    if (this.#versionError !== undefined)
      session.onEvent({ op: WorkerEventOp.Error, error: toWire(this.#versionError) });
    this.#out.push({ op: LinkOp.Start, attempt, spec, watchdogTickMs: tickFor(session.watchdogMs) });
    return attempt;
  }

  /**
   * A control call on one attempt, answered within `deadlineMs`; rejects with `QQBOT_CONTROL_TIMEOUT` past it,
   * when the worker fails it, and at once when the attempt or the thread ends first.
   */
  call(attempt: number, control: ControlCall, deadlineMs: number): Promise<WorkerStatus | null> {
    const what = control.method;
    if (!this.#sessions.has(attempt)) return Promise.reject(controlError(what, 'the worker has already ended'));
    const call = nextCallId++;
    const answer = new Promise<WorkerStatus | null>((resolve, reject) => {
      this.#calls.set(call, { attempt, method: what, resolve, reject });
    });
    this.#out.push({ op: LinkOp.Call, attempt, call, control });
    return withDeadline(answer, deadlineMs, () => {
      this.#calls.delete(call);
      return Promise.reject(controlError(what, `no answer within ${deadlineMs} ms`, { deadlineMs }));
    });
  }

  /** Host → attempt messages; dropped once the attempt ended. */
  send(attempt: number, messages: HostMessage[]): void {
    if (this.#sessions.has(attempt)) this.#out.push({ op: LinkOp.Host, attempt, messages });
  }

  /**
   * Ends the thread and every attempt in it, like a crash (each attempt's outcome is `worker-died` with `cause`);
   * resolves once it is gone, its sockets closed with it.
   */
  async terminate(cause: 'terminated' | 'hung' = 'terminated'): Promise<void> {
    if (this.#killedBy === undefined) {
      this.#killedBy = cause;
      // A server in the thread first drops its connections: terminating a thread while node parses HTTP in it
      // can abort the process (WorkerControl.quiesce). A hung thread cannot answer, so it is not asked.
      if (cause !== 'hung') await Promise.all(this.#quiescing());
      this.#out.clear();
      void this.#worker.terminate();
    }
    await this.#exit;
  }

  /** Resolves once the thread has exited. */
  exited(): Promise<void> {
    return this.#exit;
  }

  #quiescing(): Promise<unknown>[] {
    return [...this.#sessions]
      .filter(([, session]) => session.quiesceFirst)
      .map(([attempt]) => this.call(attempt, { method: 'quiesce' }, EXIT_GRACE_MS).catch(() => undefined));
  }

  #watchdogLimit(): number | undefined {
    let limit: number | undefined;
    for (const session of this.#sessions.values()) limit = Math.min(limit ?? session.watchdogMs, session.watchdogMs);
    return limit;
  }

  #hung(staleMs: number): void {
    for (const session of this.#sessions.values())
      session.onEvent({
        op: WorkerEventOp.Debug,
        message: `worker event loop stalled for ${staleMs} ms; terminating it`,
      });
    void this.terminate('hung');
  }

  #onFrame(frame: WorkerFrame): void {
    switch (frame.op) {
      case LinkOp.Hello:
        this.#booted = true;
        if (frame.version !== WORKER_PROTOCOL_VERSION) {
          this.#versionError = new QQBotError(
            ErrorCodes.WORKER_BOOTSTRAP,
            `worker protocol version ${frame.version}, expected ${WORKER_PROTOCOL_VERSION}`,
          );
          for (const session of this.#sessions.values())
            session.onEvent({ op: WorkerEventOp.Error, error: toWire(this.#versionError) });
        }
        return;
      case LinkOp.Events: {
        const session = this.#sessions.get(frame.attempt);
        if (session !== undefined) unpackBatch(frame.events, (event) => session.onEvent(event));
        return;
      }
      case LinkOp.Outcome: {
        const session = this.#sessions.get(frame.attempt);
        if (session === undefined) return;
        this.#sessions.delete(frame.attempt);
        this.#endCalls((call) => call.attempt === frame.attempt, 'the worker ended before answering');
        session.onOutcome(frame.outcome);
        this.#options.onSessionEnd(this);
        return;
      }
      case LinkOp.Reply: {
        const call = this.#calls.get(frame.call);
        if (call === undefined) return;
        this.#calls.delete(frame.call);
        if (frame.error === null) call.resolve(frame.value);
        else
          call.reject(
            new QQBotError(ErrorCodes.CONTROL_TIMEOUT, `control call ${call.method} failed`, {
              retryable: true,
              cause: frame.error,
            }),
          );
        return;
      }
    }
  }

  /** Node drains the link before 'exit': every frame the thread posted was handled. What is left died with it. */
  #onExit(code: number): void {
    this.#exited = true;
    this.#watchdog.stop();
    this.#out.clear();
    this.#endCalls(() => true, 'the worker ended before answering');
    const err =
      this.#error ??
      (this.#killedBy === undefined ? new Error(`the worker thread exited with code ${code}`) : undefined);
    // A thread out of memory may stall in GC long enough for the watchdog to fire first: its own death wins.
    const cause: DeathCause =
      errnoOf(err) === 'ERR_WORKER_OUT_OF_MEMORY'
        ? 'crashed'
        : (this.#killedBy ?? (this.#booted ? 'crashed' : 'bootstrap'));
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const session of sessions) session.onDeath(cause, err);
    const idleError =
      sessions.length === 0 && this.#killedBy === undefined
        ? new QQBotError(ErrorCodes.WORKER_DIED, 'an idle worker thread failed', {
            cause: err,
            retryable: true,
            details: { errno: errnoOf(err) ?? null },
          })
        : undefined;
    this.#options.onExit(this, idleError);
  }

  #endCalls(which: (call: PendingCall) => boolean, why: string): void {
    for (const [id, call] of this.#calls) {
      if (!which(call)) continue;
      this.#calls.delete(id);
      call.reject(controlError(call.method, why));
    }
  }
}

function controlError(what: string, why: string, details: Record<string, number> = {}): QQBotError {
  return new QQBotError(ErrorCodes.CONTROL_TIMEOUT, `control call ${what}: ${why}`, { retryable: true, details });
}
