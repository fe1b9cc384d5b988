import type { AttemptSpec } from '../../protocol/worker-messages.js';
import type { WebhookChecks } from './request-handler.js';

/**
 * Everything one webhook listener attempt needs, built field by field on the main thread: the request checks (the
 * public key as raw bytes, to cross the link) and where to listen. Neither the app secret nor the signing key is on
 * this list: the listener verifies with the public key, and op 13 answers are signed by the host.
 */
export interface WebhookAttemptSpec extends AttemptSpec, Omit<WebhookChecks, 'publicKey'> {
  transport: 'webhook';
  host: string;
  /** `0` picks a free port. */
  port: number;
  /** The TLS certificate and its key (not the webhook signing key); `null` for plain HTTP. */
  tls: { key: string; cert: string } | null;
  /** The 32 raw bytes of the Ed25519 public key. */
  publicKey: Uint8Array;
  /** On shutdown, requests in flight get this long to be answered. */
  drainMs: number;
}
