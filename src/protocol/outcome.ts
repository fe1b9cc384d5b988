import { ErrorCodes, toWire, type WireError } from '../errors.js';

/**
 * Where a connection attempt was when it ended. `token` is before any attempt (the access token could not be
 * had); `session` means READY/RESUMED was reached and events were flowing.
 */
export type Phase = 'token' | 'gateway' | 'handshake' | 'hello' | 'ready' | 'session';

/**
 * How one connection attempt ended: a plain, cloneable record (docs/design-notes.md, "One attempt, one outcome"). An attempt
 * resolves with one of these; `worker-died` is built by the runner when the attempt's thread dies instead, and
 * `token-failed` by the supervisor when there was no token to start an attempt with.
 */
export type Outcome =
  /** The access token could not be had (refused credentials, an outage of the token endpoint). */
  | { kind: 'token-failed'; phase: 'token'; error: WireError; reason: string }
  /** A phase did not finish within its timeout. */
  | { kind: 'timeout'; phase: Phase; ms: number; reason: string }
  /** The socket could not be opened, or `/gateway/bot` could not be fetched. */
  | { kind: 'connect-failed'; phase: Phase; error: WireError; authRejected: boolean; reason: string }
  /** `/gateway/bot` says no session may start before `retryAfterMs` (`remaining` = 0). */
  | { kind: 'session-limit'; phase: 'gateway'; retryAfterMs: number; reason: string }
  /** The server closed the socket (or it dropped: 1006). */
  | { kind: 'closed'; phase: Phase; closeCode: number; reason: string }
  /** The server asked for a reconnect (op 7). */
  | { kind: 'reconnect'; phase: Phase; reason: string }
  /** op 9. `resumable` is the frame's `d === true`. */
  | { kind: 'invalid-session'; phase: Phase; resumable: boolean; reason: string }
  /** A heartbeat got no ACK before the next was due: the link is half-open. */
  | { kind: 'zombie'; phase: Phase; reason: string }
  /**
   * A webhook listener could not bind its port. `retryable` is false for what only the configuration can fix
   * (EACCES: a privileged port; EADDRNOTAVAIL: an address not on this machine; a bad TLS key or certificate).
   */
  | { kind: 'listen-failed'; phase: Phase; error: WireError; retryable: boolean; reason: string }
  /** The supervisor asked the attempt to stop. */
  | { kind: 'shutdown'; phase: Phase; reason: string }
  /** The attempt's thread died or was terminated (built by the runner). */
  | {
      kind: 'worker-died';
      phase: Phase;
      error: WireError;
      cause: 'crashed' | 'hung' | 'terminated' | 'bootstrap';
      reason: string;
    };

export type OutcomeKind = Outcome['kind'];

/**
 * How a failed `GET /gateway/bot` ends an attempt: a timeout in phase `gateway`, else `connect-failed` (a 401
 * says the access token was refused, so the token is refreshed once). Shared by the worker's attempt and the
 * main thread's `shards: 'auto'` fetch, so both take the same decision.
 */
export function gatewayFetchFailed(err: unknown, timeoutMs: number): Outcome {
  const wire = toWire(err);
  if (wire.code === ErrorCodes.HTTP_TIMEOUT)
    return { kind: 'timeout', phase: 'gateway', ms: timeoutMs, reason: wire.message };
  return {
    kind: 'connect-failed',
    phase: 'gateway',
    error: wire,
    authRejected: wire.details.status === 401,
    reason: wire.message,
  };
}
