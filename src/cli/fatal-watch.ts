import type { QQBotConnector } from '../connector.js';
import { ErrorCodes, QQBotError } from '../errors.js';
import type { StopSignal } from './stop-signal.js';

export interface FatalWatch {
  /** The run's first fatal error, if any. */
  readonly error: QQBotError | undefined;
  /**
   * For the `catch` around `start()` and the run: `QQBOT_ABORTED` (stopped while connecting) is not fatal;
   * anything else is recorded like a `fatal` event (a non-QQBotError as `QQBOT_INTERNAL`).
   */
  caught(err: unknown): void;
}

/** Records the connector's first fatal error, from its `fatal` event or from a throw, and stops the run with reason `'fatal'`. */
export function watchFatal(connector: QQBotConnector, stop: StopSignal): FatalWatch {
  let error: QQBotError | undefined;
  const record = (err: QQBotError): void => {
    error ??= err;
    stop.stop('fatal');
  };
  connector.on('fatal', record);
  return {
    get error() {
      return error;
    },
    caught(err) {
      if (err instanceof QQBotError && err.code === ErrorCodes.ABORTED) return;
      record(err instanceof QQBotError ? err : new QQBotError(ErrorCodes.INTERNAL, String(err)));
    },
  };
}
