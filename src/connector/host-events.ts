import type { EventEmitter } from 'node:events';
import { callIsolated } from '../delivery/isolate.js';
import type { DeliveryTarget } from '../delivery/pipeline.js';
import { ErrorCodes, QQBotError, type ErrorCode } from '../errors.js';
import type { ConnectorEventMap, DispatchEvent } from '../events.js';
import type { Logger } from '../options/shared.js';
import type { ShardSink } from '../supervisor/shard-supervisor.js';

/** The shape of a QQ dispatch type (`GROUP_AT_MESSAGE_CREATE`); the connector's own events are lower case. */
const PLATFORM_EVENT_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * How the connector tells the host: its events, each listener isolated; the logger; and, with neither a listener
 * nor a logger, `process.emitWarning` once per code. Never silent, never a crash.
 */
export class HostEvents {
  readonly #emitter: EventEmitter<ConnectorEventMap>;
  readonly #logger: Logger | undefined;
  /** Codes already reported through `process.emitWarning` (once per code). */
  readonly #warned = new Set<ErrorCode>();

  /** `emitter`: the connector, whose listeners are called with it as `this`. */
  constructor(emitter: EventEmitter<ConnectorEventMap>, logger: Logger | undefined) {
    this.#emitter = emitter;
    this.#logger = logger;
  }

  /** A handled problem: the logger, the `'error'` listeners, else a warning. */
  report(error: QQBotError): void {
    this.#logger?.warn({ code: error.code }, error.message);
    if (this.#emitter.listenerCount('error') > 0) void this.deliver('error', error);
    else if (this.#logger === undefined) this.#warn(error);
  }

  /** The connector stops: the logger, the `'fatal'` listeners, and a warning when nobody would hear it. */
  fatal(error: QQBotError): void {
    this.#logger?.error({ code: error.code }, error.message);
    // A fatal nobody hears would leave the host up with QQ dead and no trace: say it the Node way.
    if (this.#emitter.listenerCount('fatal') === 0 && this.#logger === undefined) this.#warn(error);
    void this.deliver('fatal', error);
  }

  /** Where the shard supervisors send what the host should see. */
  sink(): ShardSink {
    const logger = this.#logger;
    return {
      ready: (event) => {
        logger?.info({ shard: event.shard, sessionId: event.sessionId }, 'session ready');
        void this.deliver('ready', event);
      },
      resumed: (event) => {
        logger?.info({ shard: event.shard, sessionId: event.sessionId, seq: event.seq }, 'session resumed');
        void this.deliver('resumed', event);
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
        void this.deliver('restart', event);
      },
      error: (error) => this.report(error),
      debug: (message) => {
        logger?.debug(message);
        void this.deliver('debug', message);
      },
      debugEnabled: () =>
        this.#emitter.listenerCount('debug') > 0 ||
        (logger !== undefined && (logger.isLevelEnabled?.('debug') ?? true)),
    };
  }

  /**
   * The end of the delivery pipeline: `'dispatch'`, then the per-type listeners (`bot.on('GROUP_AT_MESSAGE_CREATE', …)`);
   * an event without the fields handlers rely on (its id, …) was refused by the transport and is reported here.
   * Platform names are upper case, ours lower case: a platform event can never reach an 'error' listener.
   */
  dispatchTarget(): DeliveryTarget {
    return {
      dispatch: (event: DispatchEvent) => {
        const settled = this.deliver('dispatch', event);
        const type = String(event.type);
        if (this.#emitter.listenerCount(type as keyof ConnectorEventMap) === 0 || !PLATFORM_EVENT_NAME.test(type))
          return settled;
        const typed = this.deliver(type as 'dispatch', event);
        return settled === undefined
          ? typed
          : typed === undefined
            ? settled
            : Promise.all([settled, typed]).then(() => undefined);
      },
      refused: (error) => this.report(error),
    };
  }

  /** Every listener is called even when one throws or rejects: the failure is reported and delivery goes on. */
  deliver<K extends keyof ConnectorEventMap>(name: K, ...args: ConnectorEventMap[K]): Promise<void> | undefined {
    const listeners = this.#emitter.rawListeners(name as never) as ((...a: never[]) => unknown)[];
    return callIsolated(listeners, this.#emitter, args, (err) => this.#listenerThrew(name, err));
  }

  #listenerThrew(name: string, err: unknown): void {
    const error = new QQBotError(ErrorCodes.LISTENER_THREW, `a '${name}' listener threw; delivery went on`, {
      retryable: true,
      cause: err,
    });
    this.#logger?.error({ code: error.code, event: name }, error.message);
    // An 'error' listener that throws is logged only, never re-reported (no loop).
    if (name !== 'error' && this.#emitter.listenerCount('error') > 0) void this.deliver('error', error);
    else if (this.#logger === undefined) this.#warn(error);
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
}
