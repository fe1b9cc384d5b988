import { ErrorCodes, QQBotError, fromWire } from '../errors.js';
import type { ShardState, ShardStatus } from '../events.js';
import { publish } from '../metrics/channels.js';
import { CLOSE_ENDING_SESSION, CLOSE_FOR_RESUME } from '../protocol/close-codes.js';
import type { Outcome } from '../protocol/outcome.js';
import { budgetProbeMs } from '../protocol/session-start.js';
import { WorkerEventOp, type SessionEvent, type WorkerStatus } from '../protocol/worker-messages.js';
import type { RunningAttempt } from '../runners/runner.js';
import type { IdentifySlot } from '../fleet/identify-gate.js';
import type { LeaseWait } from '../fleet/leases.js';
import { AttemptRecord } from './attempt-record.js';
import { ContestWatch } from './contest-watch.js';
import { FirstSession } from './first-session.js';
import type { RetryDecision, RetryLoop, RetryStep, TryEnd } from './retry-loop.js';
import type { ShardContext } from './shard-context.js';
import { ShardOwnership } from './shard-ownership.js';
import { reportRestart, shardRetryLoop } from './shard-retry.js';
import { ShardSession } from './shard-session.js';

export type { ShardContext, ShardSink } from './shard-context.js';

/**
 * A shard's whole life: attempts through a runner, and between them the retry loop (the decision table, backoff,
 * probes, escalation).
 * It knows nothing of threads or ports (the runner's), nor of duplicates and listeners (the delivery pipeline's).
 */
export class ShardSupervisor {
  readonly shard: number;
  readonly #count: number;
  readonly #ctx: ShardContext;
  /** Token, decide(), backoff, escalation and give-up between attempts. */
  readonly #retry: RetryLoop;
  readonly #now: () => number;
  readonly #closing = new AbortController();
  readonly #contest: ContestWatch | undefined;
  #state: ShardState = 'idle';
  #attempt: RunningAttempt | undefined;
  readonly #session: ShardSession;
  #restarts = 0;
  #lastError: QQBotError | undefined;
  #heartbeatLatencyMs: number | null = null;
  #connectedSince: number | null = null;
  #disconnectedSince: number;
  #nextAttemptAt: number | null = null;
  /** This process's hold on the shard, with a leased store (several processes). */
  readonly #ownership: ShardOwnership;
  #loop: Promise<void> | undefined;
  readonly #firstSession: FirstSession;
  /** Set by the connector: called once when this shard stops for good. */
  onFatal: ((error: QQBotError) => void) | undefined;

  constructor(shard: number, count: number, ctx: ShardContext) {
    this.shard = shard;
    this.#count = count;
    this.#ctx = ctx;
    this.#now = ctx.now ?? Date.now;
    this.#session = new ShardSession(shard, ctx);
    this.#ownership = new ShardOwnership(shard, ctx);
    this.#retry = shardRetryLoop(
      shard,
      ctx,
      () => this.#session.gatewayUrl,
      (text) => this.#debug(text),
    );
    this.#contest = ctx.watchContest === true ? new ContestWatch(shard) : undefined;
    this.#disconnectedSince = this.#now();
    // Every delivered event, in order, to the checkpointer: it writes the acknowledged seq.
    ctx.delivery.onDelivered = (seq, id, settled) => ctx.checkpointer.delivered(seq, id, settled);
    this.#firstSession = new FirstSession(this.#now, ctx.transport.startTimeoutMs);
  }

  get state(): ShardState {
    return this.#state;
  }

  /** The last error seen, handled or fatal. */
  get lastError(): QQBotError | undefined {
    return this.#lastError;
  }

  /**
   * Starts the loop; resolves at the first READY/RESUMED however long that takes, or, with leases, as soon as the
   * shard is a standby (another process holds its lease); rejects with the fatal error.
   */
  start(): Promise<void> {
    if (this.#loop === undefined) this.#firstSession.started();
    this.#loop ??= this.#run().catch((err: unknown) => {
      // The loop handles every expected failure; anything else is our bug. Report it, never crash the host.
      this.#fail(new QQBotError(ErrorCodes.INTERNAL, 'the shard supervisor failed unexpectedly', { cause: err }));
    });
    return this.#firstSession.promise;
  }

  status(): ShardStatus {
    const attempt = this.#attempt;
    const e = this.#lastError;
    return {
      shard: this.shard,
      state: this.#state,
      connectedSince: this.#connectedSince,
      disconnectedSince: this.#connectedSince === null ? this.#disconnectedSince : null,
      consecutiveFailures: this.#retry.consecutiveFailures,
      nextAttemptAt: this.#state === 'backoff' ? this.#nextAttemptAt : null,
      phase: attempt?.phase ?? null,
      threadId: attempt?.threadId ?? null,
      sessionId: this.#session.id,
      seq: this.#ctx.delivery.seq,
      restarts: this.#restarts,
      lastError: e === undefined ? null : { code: e.code, message: e.message, details: e.details },
      heartbeatLatencyMs: this.#heartbeatLatencyMs,
      duplicatesDropped: this.#ctx.delivery.duplicatesDropped,
      contested: this.#contest?.contested(this.#now()) ?? false,
    };
  }

  /** Asks the running attempt itself; rejects with `QQBOT_NO_WORKER` when none runs, `QQBOT_CONTROL_TIMEOUT` past the deadline. */
  workerStatus(): Promise<WorkerStatus> {
    const attempt = this.#attempt;
    if (attempt === undefined)
      return Promise.reject(
        new QQBotError(ErrorCodes.NO_WORKER, `shard ${this.shard} has no running worker right now`, {
          retryable: true,
        }),
      );
    return attempt.status();
  }

  /** Ends the running attempt at once, exactly like a crash. Resolves once it is gone. */
  async terminateWorker(): Promise<void> {
    await this.#attempt?.kill();
  }

  /**
   * Graceful close frame, then a hard kill if the attempt does not end in time. Idempotent (the first call's
   * `endSession` counts). The session stays resumable — closed with {@link CLOSE_FOR_RESUME}, its checkpoint
   * written, the lease given up last — so a successor RESUMEs it; `endSession` closes with 1000 and clears it.
   */
  async close(endSession = false): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort();
      if (this.#state !== 'fatal') this.#state = 'closing';
      this.#firstSession.reject(
        new QQBotError(ErrorCodes.CLOSED, 'the connector was closed before a session was established'),
      );
      const attempt = this.#attempt;
      if (attempt !== undefined && !(await attempt.shutdown(endSession ? CLOSE_ENDING_SESSION : CLOSE_FOR_RESUME)))
        await attempt.kill();
    }
    await this.#loop;
    const holder = this.#ownership.holder;
    if (endSession && holder) this.#ctx.checkpointer.forget();
    await this.#ctx.checkpointer.close(holder && !endSession);
    await this.#ownership.release();
    if (this.#state !== 'fatal') this.#state = 'closed';
  }

  /** With leases: hold the shard's lease, run the shard until the lease is lost, then wait for it again. */
  async #run(): Promise<void> {
    const ownership = this.#ownership;
    while (!this.#closing.signal.aborted) {
      if (ownership.leased) {
        this.#state = 'idle';
        const waiting = (kind: LeaseWait): void => this.#waiting(kind);
        if (!(await ownership.take(this.#closing.signal, waiting, (error) => this.#leaseLost(error)))) return;
        // Waiting for the lease is not an outage of ours: giveUpAfterMs and the reconnect latency count from here.
        this.#disconnectedSince = this.#now();
      }
      await this.#session.restore();
      await this.#runSession();
      if (!ownership.leased || this.#closing.signal.aborted || this.#state === 'fatal') return;
    }
  }

  /**
   * Waiting for the lease, the state follows what Redis says: `'standby'` while another process runs the shard
   * (healthy, and start() need not wait), `'idle'` while nobody is known to (free but this process is at
   * `maxShards`, or Redis does not answer).
   */
  #waiting(kind: LeaseWait): void {
    if (this.#closing.signal.aborted) return;
    this.#state = kind;
    if (kind === 'standby') this.#firstSession.resolve();
  }

  /** Another process may run the shard from now on: stop at once, without a close frame (the session must stay resumable). */
  #leaseLost(error: QQBotError): void {
    if (this.#closing.signal.aborted) return;
    this.#ctx.sink.error(error);
    void this.#attempt?.kill();
  }

  async #runSession(): Promise<void> {
    const lost = this.#ownership.lost;
    const signal = lost === undefined ? this.#closing.signal : AbortSignal.any([this.#closing.signal, lost]);
    const result = await this.#retry.run<never>(
      {
        starting: () => {
          this.#state = 'connecting';
          this.#nextAttemptAt = null;
        },
        run: (token) => this.#runAttempt(token),
        decided: (decision, outcome, failure) => this.#decided(decision, outcome, failure),
        escalated: (report) => this.#escalate(report),
        restarting: (step) => this.#restarting(step),
        since: () => this.#disconnectedSince,
      },
      signal,
    );
    if (result.kind === 'fatal' && !this.#closing.signal.aborted) this.#fail(result.error);
  }

  /** Runs one attempt to its end; `undefined` if the connector closed (or the lease went) while waiting for an identify slot. */
  async #runAttempt(token: string): Promise<TryEnd<never> | undefined> {
    const resuming = this.#session.id !== null;
    let identifySlot: IdentifySlot | undefined;
    if (!resuming && this.#ctx.identifyGate !== undefined) {
      identifySlot = await this.#ctx.identifyGate.acquire(
        this.#closing.signal,
        budgetProbeMs(this.#ctx.options.timeouts.httpMs),
      );
      if (identifySlot === undefined) return undefined;
    }
    // The lease may have gone while we waited: never connect without it (and free the grant's place).
    if (this.#ownership.gone) {
      identifySlot?.sent();
      return undefined;
    }
    this.#debug(() =>
      resuming ? `resuming ${this.#session.id ?? ''} from seq ${this.#ctx.delivery.seq}` : 'identifying',
    );
    const record = new AttemptRecord(resuming, identifySlot);
    this.#heartbeatLatencyMs = null;
    const spec = this.#ctx.transport.spec(this.#session.attemptInput(this.#count, token, identifySlot?.probe === true));
    const attempt = this.#ctx.runner.start(spec, (event) => this.#onEvent(record, event));
    record.hostSide = this.#ctx.transport.hostSide({
      send: (message) => attempt.send(message),
      up: (resumed) => this.#transportUp(record, resumed),
      live: () => this.#live(record),
    });
    this.#attempt = attempt;
    const outcome = await attempt.done;
    this.#attempt = undefined;
    // Unsent, the grant would keep its place for IDENTIFY_SEND_HOLD_MS; an Identify may have gone out unreported: count from now.
    identifySlot?.sent();
    const end = this.#now();
    const progressed = record.settle(outcome, end, this.#ctx.options.restart.stableAfterMs, this.#retry.history);
    if (record.hadSession) {
      this.#connectedSince = null;
      this.#disconnectedSince = end;
      // The session is gone: the 'restart' listeners and health() must not read 'ready' while the next step is decided.
      if (this.#state === 'ready') this.#state = 'connecting';
    }
    const contested = this.#contest?.ended(outcome, record.hadSession, end);
    if (contested !== undefined) {
      this.#lastError = contested;
      this.#ctx.sink.error(contested);
    }
    return { outcome, progressed };
  }

  /** What a decision asks of this shard beyond the token and the backoff (the retry loop's); the most to wait, if limited. */
  #decided(decision: RetryDecision, outcome: Outcome, failure: QQBotError | undefined): number | undefined {
    this.#debug(
      () => `attempt ended in phase ${outcome.phase}: ${outcome.kind} (${outcome.reason}) → ${decision.kind}`,
    );
    this.#lastError = failure ?? this.#lastError;
    // No session starts left: no IDENTIFY anywhere the gate reaches until the reset, not only on this shard.
    if (outcome.kind === 'session-limit') void this.#ctx.identifyGate?.budget(0, outcome.retryAfterMs);
    if (decision.kind === 'identify' && this.#session.id !== null) this.#forgetSession();
    if (decision.refetchGateway === true) this.#session.refetchGateway();
    if (decision.report !== undefined) {
      this.#ctx.sink.error(
        new QQBotError(
          decision.report,
          `the gateway closed the connection as malformed (${outcome.reason}): please report this bug`,
          { retryable: true },
        ),
      );
    }
    return outcome.kind === 'listen-failed' ? this.#listenFailed() : undefined;
  }

  /** The budget is spent: start over from a clean slate (the loop drops the token; gateway URL refetched, fresh threads). */
  async #escalate(report: QQBotError): Promise<void> {
    this.#session.refetchGateway(true);
    await this.#ctx.runner.reset();
    this.#ctx.sink.error(report);
    const failures = this.#retry.consecutiveFailures;
    publish('escalation', () => ({ appId: this.#ctx.options.appId, shard: this.shard, failures }));
  }

  #restarting(step: RetryStep): void {
    this.#restarts += 1;
    reportRestart(this.shard, this.#ctx, this.#restarts, step);
    this.#nextAttemptAt = step.nextAttemptAt;
    if (step.nextAttemptAt > this.#now()) this.#state = 'backoff';
  }

  /**
   * A retryable bind failure (EADDRINUSE, EACCES) reaches `'error'` at once, with the address. Before the
   * transport was first up, start() waits at most its `startTimeoutMs`: returns the ms left (≤ 0: give up with
   * this error); once it was up, there is no limit.
   */
  #listenFailed(): number {
    this.#ctx.sink.error(this.#lastError!);
    return this.#firstSession.msLeft();
  }

  #fail(error: QQBotError): void {
    if (this.#state === 'fatal') return;
    this.#state = 'fatal';
    this.#lastError = error;
    this.#firstSession.reject(error);
    this.onFatal?.(error);
  }

  /** The text is built only when someone listens (pino's hasSubscribers idea). */
  #debug(message: () => string): void {
    if (this.#ctx.sink.debugEnabled()) this.#ctx.sink.debug(`shard ${this.shard}: ${message()}`);
  }

  /** Session events of the running attempt: the hot path is Dispatch, straight to the delivery pipeline. */
  #onEvent(record: AttemptRecord, e: SessionEvent): void {
    switch (e.op) {
      case WorkerEventOp.Dispatch:
        // Replays come before RESUMED; anything after it is live, and proves the session works.
        this.#live(record);
        // A process that woke from a pause past its lease must not deliver what its socket still holds.
        if (!this.#ownership.delivering) return;
        this.#ctx.delivery.deliver(e.seq, e.type, e.id, e.frame, e.problem);
        return;
      case WorkerEventOp.Heartbeat:
        this.#heartbeatLatencyMs = e.latencyMs;
        this.#live(record);
        return;
      case WorkerEventOp.Phase:
        this.#debug(() => `phase ${e.phase}`);
        record.entered(e.phase);
        return;
      case WorkerEventOp.GatewayUrl:
        this.#session.gatewayRead(e);
        return;
      case WorkerEventOp.Ready:
        this.#session.started(e.sessionId, e.seq);
        this.#retry.history.resumeFailures = 0;
        this.#sessionUp(record, false);
        this.#ctx.sink.ready({ shard: this.shard, sessionId: e.sessionId, user: e.user, newSession: true });
        this.#firstSession.resolve();
        return;
      case WorkerEventOp.Resumed:
        this.#ctx.delivery.resumedAt(e.seq);
        this.#sessionUp(record, true);
        this.#ctx.sink.resumed({ shard: this.shard, sessionId: this.#session.id ?? '', seq: this.#ctx.delivery.seq });
        this.#firstSession.resolve();
        return;
      case WorkerEventOp.Error:
        this.#ctx.sink.error(fromWire(e.error));
        return;
      case WorkerEventOp.Debug:
        this.#debug(() => e.message);
        return;
      case WorkerEventOp.Transport:
        record.hostSide?.onEvent(e.payload);
        return;
    }
  }

  /** The transport is up without a gateway session: 'ready' the first time, else 'resumed' (nothing was lost). */
  #transportUp(record: AttemptRecord, resumed: boolean): void {
    this.#sessionUp(record, resumed);
    if (resumed) this.#ctx.sink.resumed({ shard: this.shard, sessionId: '', seq: this.#ctx.delivery.seq });
    else this.#ctx.sink.ready({ shard: this.shard, sessionId: '', user: null, newSession: true });
    this.#firstSession.resolve();
  }

  /** An event after READY/RESUMED (or after the transport came up): the attempt works. */
  #live(record: AttemptRecord): void {
    if (record.live()) this.#retry.progress();
  }

  #sessionUp(record: AttemptRecord, resumed: boolean): void {
    const now = this.#now();
    record.sessionUp(now);
    this.#firstSession.up();
    this.#state = 'ready';
    this.#retry.history.authFailures = 0;
    this.#connectedSince = now;
    publish('reconnect', () => ({
      appId: this.#ctx.options.appId,
      shard: this.shard,
      ms: now - this.#disconnectedSince,
      resumed,
    }));
    this.#session.up();
  }

  #forgetSession(): void {
    this.#session.forget();
    this.#retry.history.resumeFailures = 0;
  }
}
