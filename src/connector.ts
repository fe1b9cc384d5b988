import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { callIsolated } from './delivery/isolate.js';
import { ShardDelivery, type DeliveryTarget } from './delivery/pipeline.js';
import { ErrorCodes, QQBotError, type ErrorCode } from './errors.js';
import type {
  ConnectorEventMap,
  ConnectorEventName,
  ConnectorListener,
  DispatchEvent,
  HealthReport,
  ShardStatus,
} from './events.js';
import { QQOpenAPI } from './http/openapi.js';
import { DEFAULT_RETRY } from './http/openapi-options.js';
import { DEFAULT_PACING } from './http/pacing.js';
import { DEFAULT_UPLOAD } from './http/chunked-upload.js';
import type { CallOptions, SendResult } from './bodies/message-bodies.js';
import type { ReplyableEvent, ResolvedReplyTrackerOptions, StreamableEvent } from './replies/passive-reply.js';
import type { ReplyContent } from './replies/reply.js';
import type { StreamReplyOptions, StreamReplyResult } from './replies/stream-reply.js';
import { TokenManager } from './http/token-manager.js';
import { resolveOptions, type QQBotConnectorOptions, type ResolvedOptions } from './options.js';
import type { WorkerStatus } from './protocol/worker-messages.js';
import { InProcessRunner } from './runners/in-process-runner.js';
import type { AttemptRunner } from './runners/runner.js';
import { ThreadPool } from './runners/thread-pool.js';
import { ThreadRunner } from './runners/thread-runner.js';
import { IdentifyGate } from './fleet/memory-identify-gate.js';
import { ShardCheckpointer } from './store/checkpointer.js';
import { withLocalFallback } from './store/reply-fallback.js';
import { MemorySessionStore, type SessionStore } from './store/session-store.js';
import { fetchShardPlan, type ShardPlan } from './supervisor/shard-count.js';
import { ShardSupervisor, type ShardSink } from './supervisor/shard-supervisor.js';
import type { Transport } from './transports/transport.js';
import { CallbackGate } from './transports/webhook/callback-gate.js';
import { resolveWebhookTransport, type ResolvedTransport } from './transports/webhook/options.js';
import { RefusalReport } from './transports/webhook/refusal-report.js';
import { SecretMismatchReport } from './transports/webhook/secret-mismatch.js';
import type { WebhookAddress } from './transports/webhook/listener.js';
import { WebhookHost } from './transports/webhook/webhook-host.js';
import { WebhookTransport } from './transports/webhook/webhook-transport.js';
import { WebSocketTransport } from './transports/websocket/websocket-transport.js';
import { raceAbort } from './util/abort.js';

/** The shape of a QQ dispatch type (`GROUP_AT_MESSAGE_CREATE`); the connector's own events are lower case. */
const PLATFORM_EVENT_NAME = /^[A-Z][A-Z0-9_]*$/;

export interface CloseOptions {
  /**
   * End the sessions for good: close with 1000 and clear them from the store, so the next process IDENTIFYs. For a
   * bot being retired or moved to other credentials; a deploy or restart should leave it off.
   * @defaultValue `false`: the sessions stay resumable, and a successor RESUMEs them
   */
  endSession?: boolean;
}

export interface StartOptions {
  /** Aborting it closes the connector and rejects `start()` with `QQBOT_ABORTED`. */
  signal?: AbortSignal;
}

/**
 * Connects a host process to the QQ gateway. Each shard's connection lives in a worker thread (shared with other
 * connectors by default: see the `threads` option); a supervisor on this thread restarts it after crashes, hangs and disconnects, and resumes the session so that the host sees
 * every event once, in order.
 *
 * @example
 * ```ts
 * const bot = new QQBotConnector({ appId, secret, intents: Intents.GROUP_AND_C2C_EVENT });
 * bot.on('GROUP_AT_MESSAGE_CREATE', (e) => bot.reply(e, `echo: ${e.data.content.trim()}`));
 * bot.on('dispatch', (e) => log(e.type, e.data)); // every event, known types typed by `e.type`
 * await bot.start();
 * ```
 */
/** Listener methods whose event name is checked, with a message naming the valid ones (see {@link ConnectorEventName}). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- narrows the inherited listener methods; no new member
export interface QQBotConnector {
  on<K extends string>(eventName: ConnectorEventName<K>, listener: ConnectorListener<K>): this;
  once<K extends string>(eventName: ConnectorEventName<K>, listener: ConnectorListener<K>): this;
  off<K extends string>(eventName: ConnectorEventName<K>, listener: ConnectorListener<K>): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class QQBotConnector extends EventEmitter<ConnectorEventMap> {
  /** The OpenAPI client: shares this connector's access token and its refreshes with the gateway. */
  readonly api: QQOpenAPI;
  readonly #options: ResolvedOptions;
  readonly #tokens: TokenManager;
  readonly #store: SessionStore;
  #runner: AttemptRunner | undefined;
  #shards: ShardSupervisor[] = [];
  /** Codes already reported through `process.emitWarning` (once per code). */
  readonly #warned = new Set<ErrorCode>();
  /** Every transport feeds the same pipeline: the host's own server's webhook callbacks too. */
  #webhook: { host: WebhookHost; delivery: ShardDelivery } | undefined;
  /** The transport the shards run, picked at start() from `transport.kind`. */
  #transport: Transport | undefined;
  #started: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Aborted by `close()`: ends the wait for the shard count (`shards: 'auto'`). */
  readonly #closed = new AbortController();
  #fatal: QQBotError | undefined;
  /** `webhookHandler()` was handed out: a connector used only through it is healthy without a shard. */
  #handlerServed = false;
  /** The last failure to read the shard count (`shards: 'auto'`), while no shard exists yet. */
  #planError: QQBotError | undefined;

  constructor(options: QQBotConnectorOptions) {
    super();
    this.#options = resolveOptions(options);
    const o = this.#options;
    this.#tokens = new TokenManager({
      appId: o.appId,
      secret: o.secret,
      url: o.endpoints.token,
      timeoutMs: o.timeouts.httpMs,
    });
    // Resolved already: the client takes the values as they are.
    this.api = new QQOpenAPI(
      {
        apiBase: o.endpoints.api,
        timeouts: o.timeouts,
        retry: DEFAULT_RETRY,
        logger: o.logger,
        replies: this.#replyOptions(),
        pacing: DEFAULT_PACING,
        upload: DEFAULT_UPLOAD,
      },
      this.#tokens,
    );
    this.#store = o.store ?? new MemorySessionStore();
  }

  /** A shared reply store (the option's or the session store's) never blocks a reply: see withLocalFallback. */
  #replyOptions(): ResolvedReplyTrackerOptions {
    const replies = this.#options.replies;
    const store = replies.store;
    if (store === undefined) return replies;
    return { ...replies, store: withLocalFallback(store, (error) => this.#report(error)) };
  }

  /**
   * Connects every shard; resolves when each has a session (READY or RESUMED) or, with a leased store, is a
   * standby (another process of the fleet holds its lease), however long an outage lasts. A shard nobody holds
   * that `lease.maxShards` keeps this process from taking is not a standby: start() waits for a process to run
   * it. With `shards: 'auto'` it first reads the count from `GET /gateway/bot`, retried with the restart backoff.
   * Rejects only with a fatal error, when `close()` is called first (`QQBOT_CLOSED`), or when `signal` aborts
   * (`QQBOT_ABORTED`, its `cause` the last error seen).
   */
  start(options: StartOptions = {}): Promise<void> {
    if (this.#closing !== undefined)
      return Promise.reject(new QQBotError(ErrorCodes.CLOSED, 'the connector is closed'));
    this.#started ??= this.#start();
    const signal = options.signal;
    if (signal === undefined) return this.#started;
    return this.#abortable(this.#started, signal);
  }

  /**
   * A passive reply to a dispatch event: picks the endpoint from the event type, sets `msg_id` (or `event_id`)
   * and an increasing `msg_seq`, and refuses what the platform would refuse (`QQBOT_PASSIVE_REPLY_EXPIRED`,
   * `QQBOT_PASSIVE_REPLY_LIMIT`) without sending it. `content` is text, a body (`markdown(…)`, `ark(…)`, …), or
   * media (`{ image: url | Buffer }`: uploaded, then sent as `msg_type` 7). See docs/rest.md.
   */
  reply(event: ReplyableEvent, content: ReplyContent, options?: CallOptions): Promise<SendResult> {
    return this.api.reply(event, content, options);
  }

  /** A streamed C2C reply: a shortcut for {@link QQOpenAPI.replyStream} (`bot.api.replyStream`). */
  replyStream(
    event: StreamableEvent,
    chunks: AsyncIterable<string>,
    options?: StreamReplyOptions,
  ): Promise<StreamReplyResult> {
    return this.api.replyStream(event, chunks, options);
  }

  /**
   * `(req, res)` for an HTTP server the host already runs (node:http, express, fastify, koa): the platform's
   * callbacks get the same checks as the webhook listener (signature before anything, timestamp window, app id,
   * size, method, path from `transport`, or the webhook defaults) and their events the same dedupe and `'dispatch'` listeners. It runs on the
   * host's thread, by the host's choice. Mount it before any body parser: it needs the raw body. See docs/webhook.md.
   */
  webhookHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    const { host } = this.#webhookState();
    this.#handlerServed = true;
    const report = (error: QQBotError): void => this.#report(error);
    return host.handler(new RefusalReport(report).count, new SecretMismatchReport(report).verified);
  }

  /**
   * Where the webhook listener (`transport: { kind: 'webhook' }`) is bound: with `port: 0`, the port the system
   * picked. `null` before `start()` has bound it, while it restarts, and with the WebSocket transport.
   */
  webhookAddress(): WebhookAddress | null {
    return this.#shards[0]?.state === 'ready' ? (this.#transport?.address() ?? null) : null;
  }

  /** Which transport runs the shards, by `transport.kind`: the transport, and the delivery pipeline of shard `i`. */
  readonly #transports: {
    [K in ResolvedTransport['kind']]: () => { transport: Transport; delivery: (i: number) => ShardDelivery };
  } = {
    websocket: () => {
      const o = this.#options;
      const target = this.#dispatchTarget();
      return {
        transport: new WebSocketTransport(o),
        delivery: (i) => new ShardDelivery(i, o.dedupeWindow, target, o.appId),
      };
    },
    // One listener, supervised like a shard; its worker gets the public key only. Both webhook paths share one pipeline.
    webhook: () => {
      const { host, delivery } = this.#webhookState();
      return { transport: new WebhookTransport(host), delivery: () => delivery };
    },
  };

  /**
   * The webhook key pair and the pipeline both webhook paths share, behind one gate: a copy of a callback is
   * dropped whichever path it takes, and, with a store that offers claims, whichever process it reaches.
   */
  #webhookState(): { host: WebhookHost; delivery: ShardDelivery } {
    if (this.#webhook !== undefined) return this.#webhook;
    const o = this.#options;
    const transport = o.transport.kind === 'webhook' ? o.transport : resolveWebhookTransport({ kind: 'webhook' });
    // No seq: callbacks may arrive concurrently, so they are deduplicated by their key alone.
    const delivery = new ShardDelivery(0, o.dedupeWindow, this.#dispatchTarget(), o.appId);
    const gate = new CallbackGate({
      shared: this.#store.claims,
      deliver: (dispatch) => void delivery.deliver(-1, dispatch.type, dispatch.id, dispatch.frame, dispatch.problem),
      duplicate: () => delivery.dropped('id'),
      report: (error) => this.#report(error),
      deliverTimeoutMs: transport.deliverTimeoutMs,
    });
    this.#webhook = {
      host: new WebhookHost(o.appId, o.secret, transport, (dispatch) => gate.deliver(dispatch)),
      delivery,
    };
    return this.#webhook;
  }

  /** Per shard: state, since when connected or not, failures in a row, next attempt, session, seq, last error. */
  status(): ShardStatus[] {
    return this.#shards.map((shard) => shard.status());
  }

  /**
   * For readiness probes: `ok` is true while every shard is `'ready'` (has a session) or `'standby'` (with a
   * leased store, another process holds its lease): a process that is a pure hot standby is healthy. Any other
   * state makes it false, as does a connector not started: connecting, backoff, fatal, closed, and idle — which,
   * with leases, includes a shard nobody holds while this process is at `lease.maxShards`, and Redis not answering.
   * Except a connector used only through {@link webhookHandler} (never started, no shard): it is ready once the
   * handler exists, until `close()`.
   */
  health(): HealthReport {
    const shards = this.status();
    if (shards.length === 0)
      return { ok: this.#handlerServed && this.#started === undefined && this.#closing === undefined, shards };
    return { ok: shards.every((s) => (s.state === 'ready' || s.state === 'standby') && !s.contested), shards };
  }

  /**
   * Ends `shard`'s attempt at once, exactly like a crash, and the supervisor restarts and resumes it: the thread
   * itself is terminated when the session is alone in it; in a thread shared with other sessions, only this one
   * ends (its thread-mates go on). `ThreadPool.terminateThread` ends a whole thread.
   */
  async terminateWorker(shard = 0): Promise<void> {
    await this.#shard(shard).terminateWorker();
  }

  /**
   * Asks the worker hosting `shard` for its own view (phase, last seq it read, heartbeat interval and latency)
   * over the worker's link. Rejects with `QQBOT_NO_WORKER` while no attempt runs, `QQBOT_CONTROL_TIMEOUT` after
   * `timeouts.controlMs`, and at once if the worker dies meanwhile.
   */
  workerStatus(shard = 0): Promise<WorkerStatus> {
    try {
      return this.#shard(shard).workerStatus();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #shard(shard: number): ShardSupervisor {
    if (this.#shards.length === 0) throw new QQBotError(ErrorCodes.CLOSED, 'the connector has not been started');
    const supervisor = this.#shards[shard];
    if (supervisor === undefined)
      throw new QQBotError(ErrorCodes.INVALID_OPTION, `no shard ${shard} (have ${this.#shards.length})`);
    return supervisor;
  }

  /**
   * Graceful close frames, then terminate; cancels pending restarts and timers. Idempotent (the first call's
   * options count). By default the sessions stay resumable: each socket is closed with 4000 (not 1000, which may
   * end the session), the checkpoints are written and the leases given up, so the next process — a standby, or
   * this host restarted — RESUMEs them and loses nothing. `{ endSession: true }` ends them for good: close
   * code 1000, and the stored sessions are cleared (the next process IDENTIFYs).
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closed.abort();
    this.#closing ??= this.#close(options.endSession === true);
    return this.#closing;
  }

  async #start(): Promise<void> {
    const o = this.#options;
    const plan = await this.#shardPlan();
    const count = plan.shards;
    const store = this.#store;
    const { transport, delivery: shardDelivery } = this.#transports[o.transport.kind]();
    // With leases (several processes), the IDENTIFY throttle spans every process sharing the store. A transport
    // without a session (a webhook listener) never IDENTIFYs: replicas must not wait on each other's gate.
    const identifyGate = transport.hasSession
      ? (store.fleet?.identifyGate ?? (count > 1 ? new IdentifyGate() : undefined))
      : undefined;
    if (identifyGate !== undefined && plan.maxConcurrency !== undefined)
      identifyGate.maxConcurrency = plan.maxConcurrency;
    // 'auto' read the session-start budget too: the first IDENTIFY need not probe for it.
    if (identifyGate !== undefined && plan.remaining !== undefined)
      await identifyGate.budget(plan.remaining, plan.resetAfterMs);
    // A close() during the awaits above found no shard to close: none may start now. From here to the shards'
    // start nothing awaits, so a later close() finds them all.
    if (this.#closed.signal.aborted) throw closedBeforeSession();
    const runner = this.#newRunner();
    this.#runner = runner;
    const sink = this.#sink();
    this.#transport = transport;
    // A durable store without ownership (`lease: false`) lets two processes fight over a session: say so if they do.
    const watchContest = transport.hasSession && store.fleet === undefined && !(store instanceof MemorySessionStore);
    this.#shards = Array.from({ length: count }, (_, i) => {
      const delivery = shardDelivery(i);
      const checkpointer = new ShardCheckpointer(i, store, o.checkpoint, o.dedupeWindow, (error) => sink.error(error));
      const context = {
        options: o,
        runner,
        tokens: this.#tokens,
        delivery,
        store,
        checkpointer,
        sink,
        identifyGate,
        transport,
      };
      return new ShardSupervisor(i, count, { ...context, watchContest });
    });
    for (const shard of this.#shards) shard.onFatal = (error) => this.#onFatal(error);
    await Promise.all(this.#shards.map((shard) => shard.start()));
  }

  /**
   * The end of the delivery pipeline: `'dispatch'`, then the per-type listeners (`bot.on('GROUP_AT_MESSAGE_CREATE', …)`);
   * an event without the fields handlers rely on (its id, …) was refused by the transport and is reported here.
   * Platform names are upper case, ours lower case: a platform event can never reach an 'error' listener.
   */
  #dispatchTarget(): DeliveryTarget {
    return {
      dispatch: (event: DispatchEvent) => {
        const settled = this.#deliver('dispatch', event);
        const type = String(event.type);
        if (this.listenerCount(type as keyof ConnectorEventMap) === 0 || !PLATFORM_EVENT_NAME.test(type))
          return settled;
        const typed = this.#deliver(type as 'dispatch', event);
        return settled === undefined
          ? typed
          : typed === undefined
            ? settled
            : Promise.all([settled, typed]).then(() => undefined);
      },
      refused: (error) => this.#report(error),
    };
  }

  /**
   * The shard count: the option's, or with `'auto'` the one `GET /gateway/bot` recommends (retried until it
   * comes; a fatal failure ends the connector like a shard's). Rejects with `QQBOT_CLOSED` after `close()`.
   */
  async #shardPlan(): Promise<ShardPlan> {
    const o = this.#options;
    if (o.shards !== 'auto')
      return { shards: o.shards, maxConcurrency: undefined, remaining: undefined, resetAfterMs: undefined };
    let plan: ShardPlan | undefined;
    try {
      const onError = (error: QQBotError): void => {
        this.#planError = error;
        this.#report(error);
      };
      const fleet = this.#store.fleet?.shardCount;
      plan = await fetchShardPlan({
        options: o,
        tokens: this.#tokens,
        onError,
        report: (error) => this.#report(error),
        fleet,
        signal: this.#closed.signal,
      });
    } catch (err) {
      this.#onFatal(err as QQBotError);
      throw err;
    }
    if (plan === undefined || this.#closed.signal.aborted) throw closedBeforeSession();
    this.#options.logger?.info({ shards: plan.shards }, 'shard count from GET /gateway/bot');
    return plan;
  }

  #newRunner(): AttemptRunner {
    const o = this.#options;
    if (o.runner === 'in-process') return new InProcessRunner();
    if (o.runner !== 'thread') return o.runner;
    // 'own': a thread per shard plus a spare, as if each bot were alone in its process.
    const pool =
      o.threads === 'shared'
        ? ThreadPool.shared(o.resourceLimits)
        : o.threads === 'own'
          ? new ThreadPool({ sessionsPerThread: 1, ...limits(o.resourceLimits) })
          : o.threads;
    return new ThreadRunner({
      pool,
      watchdogMs: o.timeouts.watchdogMs,
      controlMs: o.timeouts.controlMs,
      onError: (error) => this.#report(error),
    });
  }

  async #close(endSession: boolean): Promise<void> {
    await Promise.all(this.#shards.map((shard) => shard.close(endSession)));
    await this.#runner?.close();
    this.#runner = undefined;
    await this.#store.close();
    await this.api.close();
  }

  #onFatal(error: QQBotError): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = error;
    this.#options.logger?.error({ code: error.code }, error.message);
    // A fatal nobody hears would leave the host up with QQ dead and no trace: say it the Node way.
    if (this.listenerCount('fatal') === 0 && this.#options.logger === undefined) this.#warn(error);
    void this.#deliver('fatal', error);
    // Nothing keeps running after a fatal error.
    void this.close();
  }

  #abortable(started: Promise<void>, signal: AbortSignal): Promise<void> {
    // Aborting closes the connector; the caller gets QQBOT_ABORTED, caused by the last error seen (the reason
    // the start was slow), else by the signal's reason.
    const onAbort = (): void => void this.close();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const aborted = (s: AbortSignal): QQBotError => {
      // Before the shards exist (`shards: 'auto'`), the last failure to read the count is the reason.
      const last = this.#shards.map((shard) => shard.lastError).find((e) => e !== undefined) ?? this.#planError;
      const why = last === undefined ? '' : `; the last error was ${last.code}: ${last.message}`;
      return new QQBotError(ErrorCodes.ABORTED, `start() was aborted before every shard had a session${why}`, {
        retryable: false,
        cause: last ?? s.reason,
      });
    };
    return raceAbort(started, [signal], aborted).finally(() => signal.removeEventListener('abort', onAbort));
  }

  #sink(): ShardSink {
    const logger = this.#options.logger;
    return {
      ready: (event) => {
        logger?.info({ shard: event.shard, sessionId: event.sessionId }, 'session ready');
        void this.#deliver('ready', event);
      },
      resumed: (event) => {
        logger?.info({ shard: event.shard, sessionId: event.sessionId, seq: event.seq }, 'session resumed');
        void this.#deliver('resumed', event);
      },
      restart: (event) => {
        logger?.warn(
          {
            shard: event.shard,
            kind: event.kind,
            closeCode: event.closeCode,
            delayMs: event.delayMs,
            attempt: event.attempt,
          },
          `restarting: ${event.reason}`,
        );
        void this.#deliver('restart', event);
      },
      error: (error) => this.#report(error),
      debug: (message) => {
        logger?.debug(message);
        void this.#deliver('debug', message);
      },
      debugEnabled: () =>
        this.listenerCount('debug') > 0 || (logger !== undefined && (logger.isLevelEnabled?.('debug') ?? true)),
    };
  }

  #report(error: QQBotError): void {
    this.#options.logger?.warn({ code: error.code }, error.message);
    if (this.listenerCount('error') > 0) void this.#deliver('error', error);
    else if (this.#options.logger === undefined) this.#warn(error);
  }

  /** Without a listener or logger, `process.emitWarning`, once per code: never silent, never a crash. */
  #warn(error: QQBotError): void {
    if (this.#warned.has(error.code)) return;
    this.#warned.add(error.code);
    process.emitWarning(
      `${error.message} (further ${error.code} warnings are not shown; add an 'error' listener or a logger)`,
      { type: 'QQBotWarning', code: error.code },
    );
  }

  /** Every listener is called even when one throws or rejects: the failure is reported and delivery goes on. */
  #deliver<K extends keyof ConnectorEventMap>(name: K, ...args: ConnectorEventMap[K]): Promise<void> | undefined {
    return callIsolated(this.rawListeners(name as never) as ((...a: never[]) => unknown)[], this, args, (err) =>
      this.#listenerThrew(name, err),
    );
  }

  #listenerThrew(name: string, err: unknown): void {
    const error = new QQBotError(ErrorCodes.LISTENER_THREW, `a '${name}' listener threw; delivery went on`, {
      retryable: true,
      cause: err,
    });
    this.#options.logger?.error({ code: error.code, event: name }, error.message);
    // An 'error' listener that throws is logged only, never re-reported (no loop).
    if (name !== 'error' && this.listenerCount('error') > 0) void this.#deliver('error', error);
    else if (this.#options.logger === undefined) this.#warn(error);
  }
}

function limits(resourceLimits: ResolvedOptions['resourceLimits']): {
  resourceLimits?: NonNullable<ResolvedOptions['resourceLimits']>;
} {
  return resourceLimits === undefined ? {} : { resourceLimits };
}

function closedBeforeSession(): QQBotError {
  return new QQBotError(ErrorCodes.CLOSED, 'the connector was closed before a session was established');
}
