import { ErrorCodes, QQBotError, errnoOf, toWire } from '../../errors.js';
import type { Outcome, Phase } from '../../protocol/outcome.js';
import { untrustedText } from '../../util/untrusted-text.js';
import type { WebSocketAttemptSpec } from './websocket-spec.js';

/**
 * ws reports a peer's protocol violations as local errors (`WS_ERR_*`) and then closes with 1006; we name them
 * by the close code RFC 6455 gives them, so the decision table can tell them apart.
 */
const WS_ERROR_CLOSE_CODES: Readonly<Record<string, number>> = { WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009 };
const PROTOCOL_ERROR_CLOSE = 1002;

/** What the socket showed when it closed: the phase, the close frame, the upgrade's status and its last error. */
export interface SocketEnd {
  phase: Phase;
  code: number;
  reason: Buffer;
  /** The HTTP status of a refused upgrade. */
  upgradeStatus: number | undefined;
  socketError: unknown;
}

/**
 * How a closed socket ends the attempt: a failed handshake, a protocol violation of the peer (with `report`, an
 * error the host hears first), or the server's close code and its reason, filtered (it could echo the token).
 */
export function socketClosed(end: SocketEnd, task: WebSocketAttemptSpec): { outcome: Outcome; report?: QQBotError } {
  const { phase, socketError, upgradeStatus } = end;
  if (phase === 'handshake') {
    const error = new QQBotError(
      ErrorCodes.NETWORK,
      upgradeStatus === undefined
        ? 'the gateway socket could not be opened'
        : `the gateway answered the upgrade with HTTP ${upgradeStatus}`,
      {
        retryable: true,
        cause: socketError,
        details: { status: upgradeStatus ?? null, errno: errnoOf(socketError) ?? null },
      },
    );
    return {
      outcome: {
        kind: 'connect-failed',
        phase: 'handshake',
        error: toWire(error),
        authRejected: upgradeStatus === 401,
        reason: error.message,
      },
    };
  }
  const wsCode = errnoOf(socketError);
  if (wsCode?.startsWith('WS_ERR_') === true) {
    const closeCode = WS_ERROR_CLOSE_CODES[wsCode] ?? PROTOCOL_ERROR_CLOSE;
    const tooLarge = closeCode === 1009;
    const error = new QQBotError(
      tooLarge ? ErrorCodes.FRAME_TOO_LARGE : ErrorCodes.MALFORMED_FRAME,
      tooLarge
        ? `a gateway frame exceeded maxPayloadBytes (${task.maxPayloadBytes}) and was refused`
        : `the gateway broke the WebSocket protocol (${wsCode})`,
      { retryable: true, details: { wsCode, closeCode, maxPayloadBytes: task.maxPayloadBytes } },
    );
    return { outcome: { kind: 'closed', phase, closeCode, reason: error.message }, report: error };
  }
  // The server chose the reason's text: it reaches logs only filtered (it could echo the token).
  const text = untrustedText(end.reason.toString(), [task.accessToken]);
  return { outcome: { kind: 'closed', phase, closeCode: end.code, reason: text || `closed with ${end.code}` } };
}
