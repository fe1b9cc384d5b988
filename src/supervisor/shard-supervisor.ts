import { ErrorCodes, QQBotError, fromWire } from '../errors.js';
import type { ReadyEvent, RestartEvent, ResumedEvent, ShardState, ShardStatus } from '../events.js';
import type { ShardDelivery } from '../delivery/pipeline.js';
import { gatewayUrlAllowed, gatewayUrlRefused } from '../http/gateway-url.js';
import { publish } from '../metrics/channels.js';
import type { ResolvedOptions } from '../options.js';
import { CLOSE_ENDING_SESSION, CLOSE_FOR_RESUME } from '../protocol/close-codes.js';
import type { Outcome } from '../protocol/outcome.js';
import { budgetProbeMs } from '../protocol/session-start.js';
import { WorkerEventOp, type AttemptSpec, type SessionEvent, type WorkerStatus } from '../protocol/worker-messages.js';
import type { AttemptRunner, RunningAttempt } from '../runners/runner.js';
import type { ShardCheckpointer } from '../store/checkpointer.js';
import type { FleetIdentifyGate, IdentifySlot } from '../fleet/identify-gate.js';
import type { LeaseWait, ShardLease, ShardLeases } from '../fleet/leases.js';
import type { SessionStore } from '../store/session-store.js';
import { hostAnswers } from '../http/probe.js';
import type { TokenSource } from '../http/token-manager.js';
import type { Transport, TransportHostSide } from '../transports/transport.js';
import { ContestWatch } from './contest-watch.js';
import { RetryLoop, unreachedHost, type RetryDecision, type RetryStep, type TryEnd } from './retry-loop.js';

/** Where a shard supervisor sends what the host should see. Implemented by the connector. */
export interface ShardSink {
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
  options: Pick<ResolvedOptions, 'appId' | 'intents' | 'endpoints' | 'timeouts' | 'restart' | 'maxPayloadBytes'>;
  runner: AttemptRunner;
  tokens: TokenSource;
  delivery: ShardDelivery;
  store: SessionStore;
  /** Writes this shard's checkpoints to `store`, in batches, off the event path. */
  checkpointer: ShardCheckpointer;
  sink: ShardSink;
  /** Spaces IDENTIFYs across shards (`max_concurrency` per 5 s); absent for a single shard. */
  identifyGate: FleetIdentifyGate | undefined;
  /**
   * The store is durable and shared but has no ownership (`lease: false`): watch for another process taking
   * the session again and again (`QQBOT_SESSION_CONTESTED`).
   */
  watchContest?: boolean;
  /** How events reach the host: the attempts' spec, token needs, own events and readiness are the transport's. */
  transport: Transport;
  /** Injected for tests. @defaultValue `Date.now` and `Math.random` */
  now?: () => number;
  random?: () => number;
}

/** What one attempt showed, read from its events. */
interface AttemptRecord {
  resuming: boolean;
  /** The RESUME frame went out (phase `ready` reached while resuming). */
  resumeSent: boolean;
  /** READY/RESUMED arrived at this time. */
  sessionAt: number | undefined;
  /** After READY/RESUMED: a live event or a heartbeat ACK. */
  live: boolean;
  identifySlot: IdentifySlot | undefined;
  /** The transport's main-thread half of this attempt, reading the transport's own events; undefined when it has none. */
  hostSide: TransportHostSide | undefined;
}

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
  #sessionId: string | null = null;
  #gatewayUrl: string | null = null;
  /**
   * The next attempt reads `/gateway/bot` though a URL is at hand (connecting to it failed). Once per outage:
   * the platform rate-limits `/gateway` (100017), and a URL just fetched is as good as the next fetch would give.
   */
  #refetchGateway = false;
  #refetchedSinceSession = false;
  /** The transport was up once: from then on, attempts that fail to come up are retried without limit. */
  #everUp = false;
  /** When start() was called: the transport's first time up has `startTimeoutMs` from here. */
  #startedAt = 0;
  #restarts = 0;
  #lastError: QQBotError | undefined;
  #heartbeatLatencyMs: number | null = null;
  #connectedSince: number | null = null;
  #disconnectedSince: number;
  #nextAttemptAt: number | null = null;
  /** This process's hold on the shard, with a leased store (several processes). */
  #lease: ShardLease | undefined;
  #loop: Promise<void> | undefined;
  #firstSession!: { resolve: () => void; reject: (err: QQBotError) => void };
  readonly #firstSessionPromise: Promise<void>;
  /** Set by the connector: called once when this shard stops for good. */
  onFatal: ((error: QQBotError) => void) | undefined;

  constructor(shard: number, count: number, ctx: ShardContext) {
    this.shard = shard;
    this.#count = count;
    this.#ctx = ctx;
    this.#now = ctx.now ?? Date.now;
    const { endpoints, restart } = ctx.options;
    this.#retry = new RetryLoop({
      restart,
      probe: {
        intervalMs: restart.probeIntervalMs,
        target: (outcome) =>
          unreachedHost(outcome, { token: endpoints.token, api: endpoints.api, gateway: this.#gatewayUrl }),
        answers: hostAnswers,
        probed: (url, answered) => {
          this.#debug(() => `probe of ${new URL(url).host}: ${answered ? 'answered' : 'no answer'}`);
          publish('probe', () => ({ appId: ctx.options.appId, shard, answered }));
        },
      },
      // A listener the platform calls needs no access token.
      tokens: ctx.transport.needsToken ? ctx.tokens : undefined,
      names: {
        subject: `shard ${shard}`,
        failures: 'attempts without progress',
        lacking: `shard ${shard}: no session`,
      },
      now: ctx.now,
      random: ctx.random,
    });
    this.#contest = ctx.watchContest === true ? new ContestWatch(shard) : undefined;
    this.#disconnectedSince = this.#now();
    // Every delivered event, in order, to the checkpointer: it writes the acknowledged seq.
    ctx.delivery.onDelivered = (seq, id, settled) => ctx.checkpointer.delivered(seq, id, settled);
    this.#firstSessionPromise = new Promise<void>((resolve, reject) => {
      this.#firstSession = { resolve, reject };
    });
    // A rejection nobody awaits yet must not become an unhandled rejection in the host.
    this.#firstSessionPromise.catch(() => undefined);
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
    if (this.#loop === undefined) this.#startedAt = this.#now();
    this.#loop ??= this.#run().catch((err: unknown) => {
      // The loop handles every expected failure; anything else is our bug. Report it, never crash the host.
      this.#fail(new QQBotError(ErrorCodes.INTERNAL, 'the shard supervisor failed unexpectedly', { cause: err }));
    });
    return this.#firstSessionPromise;
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
      sessionId: this.#sessionId,
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
    // Only a holder writes the last checkpoint, or clears the session (a standby's writes would be fenced off).
    const holder = this.#leases() === undefined || this.#lease?.held() === true;
    if (endSession && holder) this.#ctx.checkpointer.forget();
    await this.#ctx.checkpointer.close(holder && !endSession);
    await this.#lease?.release();
    if (this.#state !== 'fatal') this.#state = 'closed';
  }

  /** With leases: hold the shard's lease, run the shard until the lease is lost, then wait for it again. */
  async #run(): Promise<void> {
    const leases = this.#leases();
    while (!this.#closing.signal.aborted) {
      if (leases !== undefined) {
        this.#state = 'idle';
        const lease = await leases.acquire(
          this.shard,
          this.#closing.signal,
          (kind) => this.#waiting(kind),
          (error) => this.#ctx.sink.error(error),
        );
        if (lease === undefined) return;
        this.#lease = lease;
        // Waiting for the lease is not an outage of ours: giveUpAfterMs and the reconnect latency count from here.
        this.#disconnectedSince = this.#now();
        lease.lost.addEventListener('abort', () => this.#leaseLost(lease), { once: true });
      }
      await this.#restore();
      await this.#runSession();
      if (leases === undefined || this.#closing.signal.aborted || this.#state === 'fatal') return;
    }
  }

  /** The store's ownership, if the shard runs under it. A transport without a session has nothing to own: every replica listens. */
  #leases(): ShardLeases | undefined {
    return this.#ctx.transport.hasSession ? this.#ctx.store.fleet?.leases : undefined;
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
  #leaseLost(lease: ShardLease): void {
    if (this.#closing.signal.aborted) return;
    this.#ctx.sink.error(lease.lost.reason as QQBotError);
    void this.#attempt?.kill();
  }

  #leaseGone(): boolean {
    return this.#lease?.lost.aborted === true;
  }

  async #runSession(): Promise<void> {
    const lost = this.#lease?.lost;
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

  /**
   * The session a stored checkpoint holds, if any: the first attempt RESUMEs it. Run at start and each time a
   * lease is taken (the process that held it before may have moved the session on).
   */
  async #restore(): Promise<void> {
    this.#sessionId = null;
    this.#ctx.delivery.newSession(0);
    try {
      const checkpoint = await this.#ctx.store.load(this.shard);
      if (checkpoint === null) return;
      this.#sessionId = checkpoint.sessionId;
      this.#gatewayUrl = this.#trustedGatewayUrl(checkpoint.gatewayUrl);
      const checkpointer = this.#ctx.checkpointer;
      // Handed over by close(): its deliveredSeq is exact. After a crash, up to a batch more may have been delivered.
      const unrecorded = checkpoint.handedOver === true ? 0 : checkpointer.unrecordedBound;
      this.#ctx.delivery.restore(checkpoint.seq, checkpoint.recentIds, checkpoint.deliveredSeq, unrecorded);
      checkpointer.session(
        checkpoint.sessionId,
        this.#gatewayUrl,
        checkpoint.seq,
        checkpoint.recentIds,
        checkpoint.deliveredSeq,
      );
    } catch (err) {
      // QQBOT_STORE_CORRUPT or QQBOT_STORE_UNAVAILABLE from the store itself; anything else is wrapped.
      this.#ctx.sink.error(
        err instanceof QQBotError
          ? err
          : new QQBotError(
              ErrorCodes.STORE_UNAVAILABLE,
              `shard ${this.shard}: the session store could not load a checkpoint; identifying`,
              { retryable: true, cause: err },
            ),
      );
    }
  }

  /**
   * A stored URL is untrusted input: whoever can write the store must not get the token by naming a host. One
   * not allowed is reported and dropped; the attempt fetches `/gateway/bot` instead (the session is still resumed).
   */
  #trustedGatewayUrl(url: string | null): string | null {
    if (url === null || gatewayUrlAllowed(url, this.#ctx.options.endpoints.api)) return url;
    this.#ctx.sink.error(gatewayUrlRefused('checkpoint', url, `shard ${this.shard}`));
    return null;
  }

  /** `fetchGateway`: read `/gateway/bot` even with a URL at hand (a probe's answer sets the identify budget). */
  #spec(token: string, fetchGateway: boolean): AttemptSpec {
    const sessionId = this.#sessionId;
    return this.#ctx.transport.spec({
      shard: [this.shard, this.#count],
      accessToken: token,
      gatewayUrl: fetchGateway || this.#refetchGateway ? null : this.#gatewayUrl,
      resume: sessionId === null ? null : { sessionId, seq: this.#ctx.delivery.seq },
    });
  }

  /** Runs one attempt to its end; `undefined` if the connector closed (or the lease went) while waiting for an identify slot. */
  async #runAttempt(token: string): Promise<TryEnd<never> | undefined> {
    const resuming = this.#sessionId !== null;
    let identifySlot: IdentifySlot | undefined;
    if (!resuming && this.#ctx.identifyGate !== undefined) {
      identifySlot = await this.#ctx.identifyGate.acquire(
        this.#closing.signal,
        budgetProbeMs(this.#ctx.options.timeouts.httpMs),
      );
      if (identifySlot === undefined) return undefined;
    }
    // The lease may have gone while we waited: never connect without it (and free the grant's place).
    if (this.#leaseGone()) {
      identifySlot?.sent();
      return undefined;
    }
    this.#debug(() =>
      resuming ? `resuming ${this.#sessionId ?? ''} from seq ${this.#ctx.delivery.seq}` : 'identifying',
    );
    const record: AttemptRecord = {
      resuming,
      resumeSent: false,
      sessionAt: undefined,
      live: false,
      identifySlot,
      hostSide: undefined,
    };
    this.#heartbeatLatencyMs = null;
    const spec = this.#spec(token, identifySlot?.probe === true);
    this.#refetchGateway = false;
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
    // A kill by the host (terminateWorker) is a drill, not evidence against the session or the platform.
    const killedByHost = outcome.kind === 'worker-died' && outcome.cause === 'terminated';
    const progressed =
      record.sessionAt !== undefined &&
      (record.live || killedByHost || end - record.sessionAt >= this.#ctx.options.restart.stableAfterMs);
    if (record.sessionAt !== undefined) {
      this.#connectedSince = null;
      this.#disconnectedSince = end;
      // The session is gone: the 'restart' listeners and health() must not read 'ready' while the next step is decided.
      if (this.#state === 'ready') this.#state = 'connecting';
    }
    // Only a RESUME the platform saw and refused (or a resumed session that died before progress) costs the
    // session; a failure to reach the gateway never does, and neither does a kill by the host.
    if (progressed) this.#retry.history.resumeFailures = 0;
    else if (record.resumeSent && !killedByHost) this.#retry.history.resumeFailures += 1;
    const contested = this.#contest?.ended(outcome, record.sessionAt !== undefined, end);
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
    if (decision.kind === 'identify' && this.#sessionId !== null) this.#forgetSession();
    if (decision.refetchGateway === true && !this.#refetchedSinceSession) this.#refetchGatewayOnce();
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
    this.#refetchGatewayOnce();
    await this.#ctx.runner.reset();
    this.#ctx.sink.error(report);
    const failures = this.#retry.consecutiveFailures;
    publish('escalation', () => ({ appId: this.#ctx.options.appId, shard: this.shard, failures }));
  }

  /** The next attempt reads the URL again; if that fails, the one at hand is still used after it. */
  #refetchGatewayOnce(): void {
    this.#refetchGateway = true;
    this.#refetchedSinceSession = true;
  }

  #restarting(step: RetryStep): void {
    const { outcome, decision, delayMs, progressed } = step;
    this.#restarts += 1;
    const event: RestartEvent = {
      shard: this.shard,
      reason: outcome.reason,
      kind: outcome.kind,
      ...(outcome.kind === 'closed' ? { closeCode: outcome.closeCode } : {}),
      decision: decision.kind,
      progressed,
      escalated: step.escalated,
      attempt: this.#restarts,
      delayMs,
    };
    this.#ctx.sink.restart(event);
    publish('restart', () => ({
      appId: this.#ctx.options.appId,
      shard: this.shard,
      kind: outcome.kind,
      decision: decision.kind,
      delayMs,
      progressed,
    }));
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
    const timeoutMs = this.#ctx.transport.startTimeoutMs;
    if (this.#everUp || timeoutMs === undefined) return Number.POSITIVE_INFINITY;
    return this.#startedAt + timeoutMs - this.#now();
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
        if (this.#lease !== undefined && !this.#lease.held()) return;
        this.#ctx.delivery.deliver(e.seq, e.type, e.id, e.frame, e.problem);
        return;
      case WorkerEventOp.Heartbeat:
        this.#heartbeatLatencyMs = e.latencyMs;
        this.#live(record);
        return;
      case WorkerEventOp.Phase:
        this.#debug(() => `phase ${e.phase}`);
        // The attempt enters 'ready' right after sending Identify/Resume.
        if (e.phase === 'ready') {
          record.identifySlot?.sent();
          if (record.resuming) record.resumeSent = true;
        }
        return;
      case WorkerEventOp.GatewayUrl:
        this.#gatewayUrl = e.url;
        if (this.#sessionId !== null) this.#ctx.checkpointer.session(this.#sessionId, e.url, this.#ctx.delivery.seq);
        if (this.#ctx.identifyGate !== undefined) {
          if (e.maxConcurrency !== null) this.#ctx.identifyGate.maxConcurrency = e.maxConcurrency;
          void this.#ctx.identifyGate.budget(e.remaining ?? undefined, e.resetAfterMs ?? undefined);
        }
        return;
      case WorkerEventOp.Ready:
        this.#sessionId = e.sessionId;
        this.#ctx.delivery.newSession(e.seq);
        this.#retry.history.resumeFailures = 0;
        this.#sessionUp(record, false);
        this.#ctx.sink.ready({ shard: this.shard, sessionId: e.sessionId, user: e.user, newSession: true });
        this.#firstSession.resolve();
        return;
      case WorkerEventOp.Resumed:
        this.#ctx.delivery.resumedAt(e.seq);
        this.#sessionUp(record, true);
        this.#ctx.sink.resumed({ shard: this.shard, sessionId: this.#sessionId ?? '', seq: this.#ctx.delivery.seq });
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
    if (record.sessionAt !== undefined && !record.live) this.#progress(record);
  }

  #progress(record: AttemptRecord): void {
    record.live = true;
    this.#retry.progress();
  }

  #sessionUp(record: AttemptRecord, resumed: boolean): void {
    const now = this.#now();
    record.sessionAt = now;
    this.#everUp = true;
    this.#state = 'ready';
    this.#retry.history.authFailures = 0;
    this.#refetchedSinceSession = false;
    this.#connectedSince = now;
    publish('reconnect', () => ({
      appId: this.#ctx.options.appId,
      shard: this.shard,
      ms: now - this.#disconnectedSince,
      resumed,
    }));
    this.#checkpoint();
  }

  /** A new session is stored at once; the acknowledged seq follows in batches (the checkpointer, off the event path). */
  #checkpoint(): void {
    const sessionId = this.#sessionId;
    if (sessionId === null) return;
    this.#ctx.checkpointer.session(sessionId, this.#gatewayUrl, this.#ctx.delivery.seq);
  }

  #forgetSession(): void {
    this.#sessionId = null;
    this.#ctx.delivery.newSession(0);
    this.#retry.history.resumeFailures = 0;
    this.#ctx.checkpointer.forget();
  }
}
