import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, QQBotError } from './errors.js';
import type { ConnectorEventMap, DispatchEvent, ShardStatus } from './events.js';
import { raceAbort } from './http/abortable.js';
import { QQOpenAPI, type CallOptions, type ReplyContent, type SendResult } from './http/openapi.js';
import type { ReplyableEvent } from './http/passive-reply.js';
import type { StreamReplyOptions, StreamReplyResult } from './http/stream-reply.js';
import { TokenManager } from './http/token-manager.js';
import { invalidEventError, validateEvent } from './protocol/events/validate.js';
import { resolveOptions, type QQBotConnectorOptions, type ResolvedOptions } from './options.js';
import { IdentifyGate } from './supervisor/identify-gate.js';
import { PoolHost } from './supervisor/pool-host.js';
import type { WorkerStatus } from './protocol/worker-messages.js';
import { ShardSupervisor, type ShardSink } from './supervisor/shard-supervisor.js';
import { defaultWorkerFile, kWorkerFile } from './supervisor/worker-file.js';
import { DedupeWindow } from './supervisor/session-record.js';
import type { GatewayFrame } from './protocol/payloads.js';
import { resolveWebhookTransport } from './transports/webhook/options.js';
import { RefusalReport } from './transports/webhook/refusal-report.js';
import type { WebhookDispatch } from './transports/webhook/request-handler.js';
import { WebhookHost } from './transports/webhook/webhook-host.js';

export interface StartOptions {
  /** Aborting it closes the connector and rejects `start()` with `QQBOT_ABORTED`. */
  signal?: AbortSignal;
}

type Listener = (...args: never[]) => unknown;

/** The shape of a QQ dispatch type (`GROUP_AT_MESSAGE_CREATE`); the connector's own events are lower case. */
const PLATFORM_EVENT_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Connects a host process to the QQ gateway. Each shard's connection lives in a worker thread; a supervisor on
 * this thread restarts it after crashes, hangs and disconnects, and resumes the session so that the host sees
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
export class QQBotConnector extends EventEmitter<ConnectorEventMap> {
  /** The OpenAPI client: shares this connector's access token and its refreshes with the gateway. */
  readonly api: QQOpenAPI;
  readonly #options: ResolvedOptions;
  readonly #tokens: TokenManager;
  readonly #workerFile: string;
  #pool: PoolHost | undefined;
  #shards: ShardSupervisor[] = [];
  #started: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #fatal: QQBotError | undefined;
  #webhook: { host: WebhookHost; ids: DedupeWindow } | undefined;

  constructor(options: QQBotConnectorOptions) {
    super();
    this.#options = resolveOptions(options);
    const o = this.#options;
    this.#tokens = new TokenManager({ appId: o.appId, secret: o.secret, url: o.endpoints.token, timeoutMs: o.timeouts.httpMs });
    this.api = QQOpenAPI.fromTokenManager(this.#tokens, {
      apiBase: o.endpoints.api,
      timeouts: o.timeouts,
      ...(o.logger === undefined ? {} : { logger: o.logger }),
    });
    const override = (options as unknown as Record<symbol, unknown>)[kWorkerFile];
    this.#workerFile = typeof override === 'string' ? override : defaultWorkerFile();
  }

  /** Connects every shard; resolves when each has a session (READY or RESUMED), rejects with the fatal error. */
  start(options: StartOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new QQBotError(ErrorCodes.CLOSED, 'the connector is closed'));
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
  replyStream(event: ReplyableEvent, chunks: AsyncIterable<string>, options?: StreamReplyOptions): Promise<StreamReplyResult> {
    return this.api.replyStream(event, chunks, options);
  }

  /**
   * `(req, res)` for an HTTP server the host already runs (node:http, express, fastify, koa): the platform's
   * callbacks get the same checks as the webhook listener (signature before anything, timestamp window, app id,
   * size, method, path `/qqbot`) and their events the same dedupe and
   * `'dispatch'` listeners. It runs on the host's thread, by the host's choice. Mount it before any body
   * parser: it needs the raw body. See docs/webhook.md.
   */
  webhookHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    const { host } = this.#webhookState();
    const refusals = new RefusalReport((error) => this.#report(error));
    return host.handler((dispatch) => this.#deliverWebhook(dispatch), refusals.count);
  }

  #webhookState(): { host: WebhookHost; ids: DedupeWindow } {
    const o = this.#options;
    const transport = resolveWebhookTransport({ kind: 'webhook' });
    this.#webhook ??= { host: new WebhookHost(o.appId, o.secret, transport), ids: new DedupeWindow(o.dedupeWindow) };
    return this.#webhook;
  }

  /** A verified callback event: dropped when its id was seen (a platform redelivery), else delivered. */
  #deliverWebhook(dispatch: WebhookDispatch): void {
    const { ids } = this.#webhookState();
    if (dispatch.id !== undefined) {
      if (ids.has(dispatch.id)) return;
      ids.add(dispatch.id);
    }
    const data = (JSON.parse(dispatch.frame) as GatewayFrame).d;
    this.#sink().dispatch({ shard: 0, seq: dispatch.seq, type: dispatch.type, id: dispatch.id, data } as DispatchEvent);
  }

  /** Per shard: state, session, last delivered seq, restarts, last error, heartbeat latency. */
  status(): ShardStatus[] {
    return this.#shards.map((shard) => shard.status());
  }

  /** Hard-kills the thread hosting `shard`, exactly like a crash; the supervisor restarts and resumes it. */
  async terminateWorker(shard = 0): Promise<void> {
    await this.#shard(shard).terminateWorker();
  }

  /**
   * Asks the worker hosting `shard` for its own view (phase, last seq it read, heartbeat interval and latency)
   * over the control port. Rejects with `QQBOT_CONTROL_TIMEOUT` after `timeouts.controlMs`, and at once if the
   * worker dies meanwhile.
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
    if (supervisor === undefined) throw new QQBotError(ErrorCodes.INVALID_OPTION, `no shard ${shard} (have ${this.#shards.length})`);
    return supervisor;
  }

  /** Graceful close frames, then terminate; cancels pending restarts and timers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #start(): Promise<void> {
    const o = this.#options;
    const pool = new PoolHost({
      workerFile: this.#workerFile,
      concurrency: o.shards,
      resourceLimits: o.resourceLimits,
      onPoolError: (err) => this.#report(new QQBotError(ErrorCodes.WORKER_DIED, 'an idle worker thread failed', { cause: err, retryable: true })),
    });
    this.#pool = pool;
    const sink = this.#sink();
    const identifyGate = o.shards > 1 ? new IdentifyGate() : undefined;
    this.#shards = Array.from({ length: o.shards }, (_, i) => new ShardSupervisor(i, o.shards, { options: o, pool, tokens: this.#tokens, sink, identifyGate }));
    for (const shard of this.#shards) shard.onFatal = (error) => this.#onFatal(error);
    await Promise.all(this.#shards.map((shard) => shard.start()));
  }

  async #close(): Promise<void> {
    await Promise.all(this.#shards.map((shard) => shard.close()));
    await this.#pool?.destroy();
    this.#pool = undefined;
    await this.api.close();
  }

  #onFatal(error: QQBotError): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = error;
    this.#options.logger?.error({ code: error.code }, error.message);
    this.#deliver('fatal', error);
    // Nothing keeps running after a fatal error.
    void this.close();
  }

  #abortable(started: Promise<void>, signal: AbortSignal): Promise<void> {
    // Aborting closes the connector; the caller gets QQBOT_ABORTED.
    const onAbort = (): void => void this.close();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return raceAbort(started, [signal], (s) => new QQBotError(ErrorCodes.ABORTED, 'start() was aborted', { retryable: false, cause: s.reason })).finally(() =>
      signal.removeEventListener('abort', onAbort),
    );
  }


  #sink(): ShardSink {
    const logger = this.#options.logger;
    return {
      dispatch: (event: DispatchEvent) => {
        const type = String(event.type);
        // A message without the fields handlers rely on (its id, …) is reported, never delivered.
        const problem = validateEvent(type, event.data);
        if (problem !== undefined) return this.#report(invalidEventError({ type, seq: event.seq, id: event.id }, problem));
        this.#deliver('dispatch', event);
        // Then the per-type listeners, `bot.on('GROUP_AT_MESSAGE_CREATE', …)`. Platform names are upper case, ours
        // lower case: a platform event can never reach an 'error' or 'fatal' listener.
        if (this.listenerCount(type as keyof ConnectorEventMap) > 0 && PLATFORM_EVENT_NAME.test(type)) this.#deliver(type as 'dispatch', event);
      },
      ready: (event) => {
        logger?.info({ shard: event.shard, sessionId: event.sessionId }, 'session ready');
        this.#deliver('ready', event);
      },
      resumed: (event) => {
        logger?.info({ shard: event.shard, sessionId: event.sessionId, seq: event.seq }, 'session resumed');
        this.#deliver('resumed', event);
      },
      restart: (event) => {
        logger?.warn({ shard: event.shard, kind: event.kind, closeCode: event.closeCode, delayMs: event.delayMs, attempt: event.attempt }, `restarting: ${event.reason}`);
        this.#deliver('restart', event);
      },
      error: (error) => this.#report(error),
      debug: (message) => {
        logger?.debug(message);
        this.#deliver('debug', message);
      },
      debugEnabled: () => this.listenerCount('debug') > 0 || (logger !== undefined && (logger.isLevelEnabled?.('debug') ?? true)),
    };
  }

  #report(error: QQBotError): void {
    this.#options.logger?.warn({ code: error.code }, error.message);
    if (this.listenerCount('error') > 0) this.#deliver('error', error);
  }

  /**
   * Calls every listener even when one throws (or returns a rejected promise): the failure is reported as an
   * `'error'` and delivery goes on. Plain `emit` would stop at the first throw.
   */
  #deliver<K extends keyof ConnectorEventMap>(name: K, ...args: ConnectorEventMap[K]): void {
    const listeners = this.rawListeners(name as never) as Listener[];
    for (const listener of listeners) {
      try {
        const result = (listener as (...a: unknown[]) => unknown).apply(this, args);
        if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
          (result as Promise<unknown>).catch((err: unknown) => this.#listenerThrew(name, err));
        }
      } catch (err) {
        this.#listenerThrew(name, err);
      }
    }
  }

  #listenerThrew(name: string, err: unknown): void {
    const error = new QQBotError(ErrorCodes.LISTENER_THREW, `a '${name}' listener threw; delivery went on`, { retryable: true, cause: err });
    this.#options.logger?.error({ code: error.code, event: name }, error.message);
    // An 'error' listener that throws is logged only, never re-reported (no loop).
    if (name !== 'error' && this.listenerCount('error') > 0) this.#deliver('error', error);
  }
}
