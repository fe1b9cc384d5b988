import type { AttemptSpec } from '../../protocol/worker-messages.js';

/**
 * Everything one webhook listener attempt needs, built field by field on the main thread. Neither the app
 * secret nor the signing key is on this list: the listener verifies with the public key, and op 13 answers
 * are signed by the host.
 */
export interface WebhookAttemptSpec extends AttemptSpec {
  transport: 'webhook';
  appId: string;
  host: string;
  /** `0` picks a free port. */
  port: number;
  path: string;
  /** The TLS certificate and its key (not the webhook signing key); `null` for plain HTTP. */
  tls: { key: string; cert: string } | null;
  /** The 32 raw bytes of the Ed25519 public key. */
  publicKey: Uint8Array;
  maxBodyBytes: number;
  timestampWindowMs: number;
  maxConcurrentRequests: number;
  maxUnverifiedRequests: number;
  bodyTimeoutMs: number;
  /** A dispatch the host has not acknowledged within this long is answered 503 (the platform redelivers). */
  deliverTimeoutMs: number;
  /** On shutdown, requests in flight get this long to be answered. */
  drainMs: number;
}
