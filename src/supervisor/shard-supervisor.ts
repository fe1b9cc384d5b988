import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { ErrorCodes, QQBotError, errnoOf, fromWire, toWire, type ErrorCode } from '../errors.js';
import type { DispatchEvent, ReadyEvent, RestartEvent, ResumedEvent, ShardState, ShardStatus } from '../events.js';
import type { TokenManager } from '../http/token-manager.js';
import type { ResolvedOptions } from '../options.js';
import { decide, type Decision } from '../protocol/close-codes.js';
import type { Outcome, Phase } from '../protocol/outcome.js';
import type { GatewayFrame } from '../protocol/payloads.js';
import { WORKER_PROTOCOL_VERSION, WorkerEventOp, type AttemptTask, type WorkerEvent, type WorkerStatus } from '../protocol/worker-messages.js';
import { abortableSleep } from './abortable-sleep.js';
import { ControlClient } from './control-client.js';
import type { IdentifyGate, IdentifySlot } from './identify-gate.js';
import type { PoolHost } from './pool-host.js';
import { RestartPolicy } from './restart-policy.js';
import { SessionRecord } from './session-record.js';
import { Watchdog } from './watchdog.js';

type DeathCause = Extract<Outcome, { kind: 'worker-died' }>['cause'];

/** How a worker thread's death is reported, by cause. */
const DEATHS: Readonly<Record<DeathCause, { code: ErrorCode; text: (watchdogMs: number) => string }>> = {
  hung: { code: ErrorCodes.WORKER_HUNG, text: (ms) => `the worker's event loop stalled for more than ${ms} ms and was terminated` },
  terminated: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread was terminated' },
  crashed: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread died' },
  bootstrap: { code: ErrorCodes.WORKER_DIED, text: () => 'the worker thread failed to start' },
};

/** Where a shard supervisor sends what the host should see. Implemented by the connector. */
export interface ShardSink {
  dispatch(event: DispatchEvent): void;
  ready(event: ReadyEvent): void;
  resumed(event: ResumedEvent): void;
  restart(event: RestartEvent): void;
  /** A handled problem, for the host's `'error'` listeners. */
  error(error: QQBotError): void;
  /** Called only when `debugEnabled()`: debug text is not even built otherwise. */
  debug(message: string): void;
  debugEnabled(): boolean;
}

export interface ShardContext {
  options: ResolvedOptions;
  pool: PoolHost;
  tokens: TokenManager;
  sink: ShardSink;
  /** Spaces IDENTIFYs across shards (`max_concurrency` per 5 s); absent for a single shard. */
  identifyGate: IdentifyGate | undefined;
}

/** One running attempt: its thread, ports and watchdog. */
interface LiveAttempt {
  readonly control: ControlClient;
  readonly kill: AbortController;
  readonly done: Promise<unknown>;
  worker: Worker | undefined;
  started: boolean;
  phase: Phase;
  reachedSession: boolean;
  /** The identify window this attempt holds; stamped when the worker sends its Identify. */
  identifySlot: IdentifySlot | undefined;
  /** Set when we ended the thread ourselves, so its death is not mistaken for a crash or a bootstrap failure. */
  killedBy: 'hung' | 'terminated' | 'closing' | undefined;
  /** The End marker arrived: every event the worker forwarded is in. */
  ended: boolean;
  onEnd: (() => void) | undefined;
}

/** A shard's whole life: attempts in worker threads, the decision table between them, backoff and budget. */
export class ShardSupervisor {
  readonly shard: number;
  readonly #count: number;
  readonly #ctx: ShardContext;
  readonly #record: SessionRecord;
  readonly #policy: RestartPolicy;
  readonly #closing = new AbortController();
  #state: ShardState = 'idle';
  #live: LiveAttempt | undefined;
  #restarts = 0;
  #lastError: QQBotError | undefined;
  #heartbeatLatencyMs: number | null = null;
  /** Set after a 4004/401: the next attempt first refreshes this (rejected) token. */
  #rejectedToken: string | undefined;
  #loop: Promise<void> | undefined;
  #firstSession!: { resolve: () => void; reject: (err: QQBotError) => void };
  readonly #firstSessionPromise: Promise<void>;

  constructor(shard: number, count: number, ctx: ShardContext) {
    this.shard = shard;
    this.#count = count;
    this.#ctx = ctx;
    this.#record = new SessionRecord(ctx.options.dedupeWindow);
    this.#policy = new RestartPolicy(ctx.options.restart);
    this.#firstSessionPromise = new Promise<void>((resolve, reject) => {
      this.#firstSession = { resolve, reject };
    });
    // A rejection nobody awaits yet must not become an unhandled rejection in the host.
    this.#firstSessionPromise.catch(() => undefined);
  }

  get state(): ShardState {
    return this.#state;
  }

  /** Starts the loop; resolves at the first READY/RESUMED, rejects with the fatal error. */
  start(): Promise<void> {
    this.#loop ??= this.#run().catch((err: unknown) => {
      // The loop handles every expected failure; anything else is our bug. Report it, never crash the host.
      this.#fail(new QQBotError(ErrorCodes.INTERNAL, 'the shard supervisor failed unexpectedly', { cause: err }));
    });
    return this.#firstSessionPromise;
  }

  status(): ShardStatus {
    return {
      shard: this.shard,
      state: this.#state,
      phase: this.#live?.phase ?? null,
      threadId: this.#live?.worker?.threadId ?? null,
      sessionId: this.#record.sessionId,
      seq: this.#record.seq,
      restarts: this.#restarts,
      lastError: this.#lastError === undefined ? null : { code: this.#lastError.code, message: this.#lastError.message, details: this.#lastError.details },
      heartbeatLatencyMs: this.#heartbeatLatencyMs,
      duplicatesDropped: this.#record.duplicatesDropped,
    };
  }

  /** Asks the worker itself, over the control port; rejects with `QQBOT_CONTROL_TIMEOUT` past the deadline or when it dies. */
  workerStatus(): Promise<WorkerStatus> {
    const live = this.#live;
    if (live === undefined) return Promise.reject(new QQBotError(ErrorCodes.CONTROL_TIMEOUT, `shard ${this.shard} has no running worker`, { retryable: true }));
    return live.control.status();
  }

  /** Hard-kills the thread hosting this shard, exactly like a crash. Resolves once the thread is gone. */
  async terminateWorker(): Promise<void> {
    const live = this.#live;
    if (live === undefined) return;
    live.killedBy ??= 'terminated';
    await this.#kill(live);
  }

  /** Graceful close frame, then terminate if the worker does not finish in time. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort();
      if (this.#state !== 'fatal') this.#state = 'closing';
      this.#firstSession.reject(new QQBotError(ErrorCodes.CLOSED, 'the connector was closed before a session was established'));
      const live = this.#live;
      if (live !== undefined) {
        live.killedBy ??= 'closing';
        if (!(await this.#shutdownGracefully(live))) await this.#kill(live);
      }
    }
    await this.#loop;
    if (this.#state !== 'fatal') this.#state = 'closed';
  }

  /** Close frame via the control port; true if the attempt ended within `controlMs`. */
  async #shutdownGracefully(live: LiveAttempt): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, this.#ctx.options.timeouts.controlMs, false);
    });
    const ended = live.control.shutdown(1000).then(
      () => live.done.then(() => true),
      () => false,
    );
    try {
      return await Promise.race([ended, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #run(): Promise<void> {
    while (!this.#closing.signal.aborted) {
      this.#state = 'connecting';
      let token: string;
      try {
        token = this.#rejectedToken === undefined ? await this.#ctx.tokens.get() : await this.#ctx.tokens.refresh(this.#rejectedToken);
        this.#rejectedToken = undefined;
      } catch (err) {
        const error = err instanceof QQBotError ? err : new QQBotError(ErrorCodes.INTERNAL, 'token fetch failed', { cause: err, retryable: true });
        if (!error.retryable) return this.#fail(error);
        this.#lastError = error;
        const floor = typeof error.details.retryAfterMs === 'number' ? error.details.retryAfterMs : 0;
        const proceed = await this.#restartAfter({ kind: 'token-failed', reason: error.message, decision: 'resume-after-delay' }, false, floor);
        if (!proceed) return;
        continue;
      }
      if (this.#closing.signal.aborted) break;

      const resuming = this.#record.resumeTarget() !== null;
      let slot: IdentifySlot | undefined;
      if (!resuming && this.#ctx.identifyGate !== undefined) {
        slot = await this.#ctx.identifyGate.acquire(this.#closing.signal);
        if (slot === undefined) break;
      }
      this.#debug(() => (resuming ? `resuming ${this.#record.sessionId ?? ''} from seq ${this.#record.seq}` : 'identifying'));
      const { outcome, reachedSession } = await this.#attempt(token, slot);
      if (this.#closing.signal.aborted) break;
      if (resuming && !reachedSession) this.#record.resumeFailures += 1;

      const decision = decide(outcome, { resumeFailures: this.#record.resumeFailures, authFailures: this.#record.authFailures });
      this.#debug(() => `attempt ended in phase ${outcome.phase}: ${outcome.kind} (${outcome.reason}) → ${decision.kind}`);
      if (!(await this.#apply(decision, outcome, token))) return;
    }
  }

  /** Carries out a decision; false when the loop must end. */
  async #apply(decision: Decision, outcome: Outcome, token: string): Promise<boolean> {
    if (outcome.kind === 'worker-died' || outcome.kind === 'connect-failed') this.#lastError = fromWire(outcome.error);
    if (outcome.kind === 'timeout') {
      this.#lastError = new QQBotError(ErrorCodes.PHASE_TIMEOUT, outcome.reason, { retryable: true, details: { phase: outcome.phase, ms: outcome.ms } });
    }
    switch (decision.kind) {
      case 'stop':
        return false;
      case 'fatal':
        this.#fail(decision.error);
        return false;
      case 'identify-after-delay':
        this.#record.forgetSession();
        break;
      case 'resume-now':
      case 'resume-after-delay':
        break;
    }
    if ('refreshToken' in decision && decision.refreshToken === true) {
      this.#rejectedToken = token;
      this.#record.authFailures += 1;
    }
    if ('refetchGateway' in decision && decision.refetchGateway === true) this.#record.gatewayUrl = null;
    if ('report' in decision && decision.report !== undefined) {
      this.#ctx.sink.error(new QQBotError(decision.report, `the gateway closed the connection as malformed (${outcome.reason}): please report this bug`, { retryable: true }));
    }
    const base = {
      kind: outcome.kind,
      reason: outcome.reason,
      decision: decision.kind,
      ...(outcome.kind === 'closed' ? { closeCode: outcome.closeCode } : {}),
    } as const;
    const fixed = 'delayMs' in decision && decision.delayMs !== undefined ? decision.delayMs : 0;
    return this.#restartAfter(base, decision.kind === 'resume-now', fixed);
  }

  /** Counts a restart against the budget, announces it, waits; false if the budget is spent or we are closing. */
  async #restartAfter(base: Omit<RestartEvent, 'shard' | 'attempt' | 'delayMs'>, immediate: boolean, floorMs: number): Promise<boolean> {
    const next = this.#policy.next(Date.now(), immediate);
    if ('error' in next) {
      this.#fail(next.error);
      return false;
    }
    this.#restarts += 1;
    const delayMs = Math.max(next.delayMs, floorMs);
    this.#ctx.sink.restart({ shard: this.shard, attempt: this.#restarts, delayMs, ...base });
    if (delayMs === 0) return !this.#closing.signal.aborted;
    this.#state = 'backoff';
    return abortableSleep(delayMs, this.#closing.signal);
  }

  #fail(error: QQBotError): void {
    if (this.#state === 'fatal') return;
    this.#state = 'fatal';
    this.#lastError = error;
    this.#firstSession.reject(error);
    this.#onFatal?.(error);
  }

  /** Set by the connector: called once when this shard gives up. */
  #onFatal: ((error: QQBotError) => void) | undefined;
  set onFatal(handler: (error: QQBotError) => void) {
    this.#onFatal = handler;
  }

  #buildTask(token: string, events: MessagePort, control: MessagePort, watchdog: Watchdog): AttemptTask {
    const o = this.#ctx.options;
    // Field by field: nothing reaches the worker unless it is named here. The secret is not.
    return {
      version: WORKER_PROTOCOL_VERSION,
      shard: [this.shard, this.#count],
      accessToken: token,
      appId: o.appId,
      intents: o.intents,
      apiBase: o.endpoints.api,
      gatewayUrl: this.#record.gatewayUrl,
      resume: this.#record.resumeTarget(),
      timeouts: { httpMs: o.timeouts.httpMs, handshakeMs: o.timeouts.handshakeMs, helloMs: o.timeouts.helloMs, readyMs: o.timeouts.readyMs },
      maxPayloadBytes: o.maxPayloadBytes,
      watchdog: watchdog.buffer,
      watchdogTickMs: watchdog.tickMs,
      events,
      control,
    };
  }

  async #attempt(token: string, identifySlot: IdentifySlot | undefined): Promise<{ outcome: Outcome; reachedSession: boolean }> {
    const events = new MessageChannel();
    const control = new MessageChannel();
    const watchdog = new Watchdog(this.#ctx.options.timeouts.watchdogMs);
    const task = this.#buildTask(token, events.port2, control.port2, watchdog);
    let markDone!: () => void;
    const live: LiveAttempt = {
      control: new ControlClient(control.port1, this.#ctx.options.timeouts.controlMs),
      kill: new AbortController(),
      done: new Promise<void>((resolve) => {
        markDone = resolve;
      }),
      worker: undefined,
      started: false,
      phase: 'gateway',
      reachedSession: false,
      identifySlot,
      killedBy: undefined,
      ended: false,
      onEnd: undefined,
    };
    this.#live = live;
    this.#heartbeatLatencyMs = null;
    events.port1.on('message', (batch: WorkerEvent[]) => {
      for (const message of batch) this.#onWorkerEvent(live, message);
    });
    watchdog.start((staleMs) => {
      live.killedBy ??= 'hung';
      this.#debug(() => `worker event loop stalled for ${staleMs} ms; terminating it`);
      void this.#kill(live);
    });

    let outcome: Outcome;
    try {
      const resolved = await this.#ctx.pool.run(task, live.kill.signal);
      // The End message was posted before the task resolved, on another port: wait for it so every event
      // the worker forwarded reaches the host before we act on the outcome.
      if (!live.ended) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1_000);
          live.onEnd = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      outcome = resolved;
    } catch (err) {
      // Let messages the thread posted before it died reach us; whatever is lost, RESUME replays.
      await new Promise((resolve) => setImmediate(resolve));
      if (live.worker !== undefined) await this.#ctx.pool.waitForExit(live.worker);
      outcome = this.#death(live, err);
    } finally {
      watchdog.stop();
      live.control.end();
      events.port1.close();
      this.#live = undefined;
      markDone();
    }
    return { outcome, reachedSession: live.reachedSession };
  }

  #death(live: LiveAttempt, err: unknown): Outcome {
    const cause: DeathCause = live.killedBy === 'hung' ? 'hung' : live.killedBy !== undefined ? 'terminated' : live.started ? 'crashed' : 'bootstrap';
    const errno = errnoOf(err);
    const what = DEATHS[cause];
    const error = new QQBotError(what.code, `${what.text(this.#ctx.options.timeouts.watchdogMs)}${errno === undefined ? '' : ` (${errno})`}`, {
      retryable: cause !== 'bootstrap',
      cause: err,
      details: { cause, errno: errno ?? null },
    });
    return { kind: 'worker-died', phase: live.phase, error: toWire(error), cause, reason: error.message };
  }

  async #kill(live: LiveAttempt): Promise<void> {
    const worker = live.worker;
    if (worker === undefined) {
      // Not started yet: piscina terminates the thread of an aborted running task.
      live.kill.abort();
      await live.done;
      return;
    }
    await this.#ctx.pool.terminate(worker);
    await live.done;
  }

  /** The text is built only when someone listens (pino's hasSubscribers idea). */
  #debug(message: () => string): void {
    if (this.#ctx.sink.debugEnabled()) this.#ctx.sink.debug(`shard ${this.shard}: ${message()}`);
  }

  /** The events port: the hot path. One switch, no promise per message. */
  #onWorkerEvent(live: LiveAttempt, m: WorkerEvent): void {
    switch (m.op) {
      case WorkerEventOp.Dispatch:
        if (this.#record.accept(m.seq, m.id)) {
          // The worker parsed this text already: it is valid JSON.
          const data = (JSON.parse(m.frame) as GatewayFrame).d;
          // Typed by its `type` (src/protocol/events/); data of a known type is checked by validateEvent.
          this.#ctx.sink.dispatch({ shard: this.shard, seq: m.seq, type: m.type, id: m.id, data } as DispatchEvent);
        }
        return;
      case WorkerEventOp.Heartbeat:
        this.#heartbeatLatencyMs = m.latencyMs;
        return;
      case WorkerEventOp.Phase:
        live.phase = m.phase;
        this.#debug(() => `phase ${m.phase}`);
        // The worker enters 'ready' right after sending Identify/Resume.
        if (m.phase === 'ready') live.identifySlot?.sent();
        return;
      case WorkerEventOp.Started:
        if (m.version !== WORKER_PROTOCOL_VERSION) {
          this.#ctx.sink.error(new QQBotError(ErrorCodes.WORKER_BOOTSTRAP, `worker protocol version ${m.version}, expected ${WORKER_PROTOCOL_VERSION}`));
        }
        live.started = true;
        live.worker = this.#ctx.pool.findThread(m.threadId);
        return;
      case WorkerEventOp.GatewayUrl:
        this.#record.gatewayUrl = m.url;
        if (this.#ctx.identifyGate !== undefined && m.maxConcurrency !== null) this.#ctx.identifyGate.maxConcurrency = m.maxConcurrency;
        return;
      case WorkerEventOp.Ready:
        live.reachedSession = true;
        this.#record.ready(m.sessionId, m.seq);
        this.#sessionUp();
        this.#ctx.sink.ready({ shard: this.shard, sessionId: m.sessionId, user: m.user, newSession: true });
        this.#firstSession.resolve();
        return;
      case WorkerEventOp.Resumed:
        live.reachedSession = true;
        this.#record.resumed(m.seq);
        this.#sessionUp();
        this.#ctx.sink.resumed({ shard: this.shard, sessionId: this.#record.sessionId ?? '', seq: this.#record.seq });
        this.#firstSession.resolve();
        return;
      case WorkerEventOp.Error:
        this.#ctx.sink.error(fromWire(m.error));
        return;
      case WorkerEventOp.Debug:
        this.#debug(() => m.message);
        return;
      case WorkerEventOp.End:
        live.ended = true;
        live.onEnd?.();
        return;
    }
  }

  #sessionUp(): void {
    this.#state = 'ready';
    this.#policy.sessionUp(Date.now());
  }
}
