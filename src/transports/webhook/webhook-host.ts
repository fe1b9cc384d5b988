import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookAttemptSpec } from './webhook-spec.js';
import type { DeliverCallback } from './host-side.js';
import { WEBHOOK, WEBHOOK_ENTRY } from './webhook-entry.js';
import type { ResolvedWebhookTransport } from './options.js';
import { WebhookRequestHandler, type WebhookRefusal } from './request-handler.js';
import { answerValidation, exportPublicKey, webhookKeyPair, type WebhookKeyPair } from './signature.js';

/**
 * The main thread's webhook state for one connector: the key pair (derived from the secret, which stays here),
 * the worker's attempt spec, the inline handler behind `webhookHandler()`, and `deliver`, where both paths hand
 * their verified callbacks (the connector's CallbackGate).
 */
export class WebhookHost {
  readonly #appId: string;
  readonly #transport: ResolvedWebhookTransport;
  readonly #keys: WebhookKeyPair;
  readonly deliver: DeliverCallback;

  constructor(appId: string, secret: string, transport: ResolvedWebhookTransport, deliver: DeliverCallback) {
    this.#appId = appId;
    this.#transport = transport;
    this.#keys = webhookKeyPair(secret);
    this.deliver = deliver;
  }

  /** How long the first bind is retried before start() rejects (`transport.startTimeoutMs`). */
  get startTimeoutMs(): number {
    return this.#transport.startTimeoutMs;
  }

  get privateKey(): WebhookKeyPair['privateKey'] {
    return this.#keys.privateKey;
  }

  /** What a listener attempt gets, field by field: the public key and the listener's settings, nothing else. */
  spec(): WebhookAttemptSpec {
    const t = this.#transport;
    return {
      transport: WEBHOOK,
      entry: WEBHOOK_ENTRY,
      // Its server drops its connections before its thread is terminated (WorkerControl.quiesce).
      quiesceFirst: true,
      appId: this.#appId,
      host: t.host,
      port: t.port,
      path: t.path,
      tls: t.tls === null ? null : { key: t.tls.key, cert: t.tls.cert },
      publicKey: exportPublicKey(this.#keys.publicKey),
      maxBodyBytes: t.maxBodyBytes,
      timestampWindowMs: t.timestampWindowMs,
      maxConcurrentRequests: t.maxConcurrentRequests,
      maxUnverifiedRequests: t.maxUnverifiedRequests,
      bodyTimeoutMs: t.bodyTimeoutMs,
      deliverTimeoutMs: t.deliverTimeoutMs,
      drainMs: t.drainMs,
    };
  }

  /**
   * `(req, res)` for the host's own server: the same checks as the listener, on the host's thread; signing
   * happens inline and the events go to {@link deliver}.
   */
  handler(
    refused: (reason: WebhookRefusal) => void,
    verified: (ok: boolean) => void,
  ): (req: IncomingMessage, res: ServerResponse) => void {
    const t = this.#transport;
    const privateKey = this.#keys.privateKey;
    const handler = new WebhookRequestHandler(
      {
        appId: this.#appId,
        path: t.path,
        publicKey: this.#keys.publicKey,
        maxBodyBytes: t.maxBodyBytes,
        timestampWindowMs: t.timestampWindowMs,
        maxConcurrentRequests: t.maxConcurrentRequests,
        maxUnverifiedRequests: t.maxUnverifiedRequests,
        bodyTimeoutMs: t.bodyTimeoutMs,
        deliverTimeoutMs: t.deliverTimeoutMs,
      },
      {
        signValidation: (request) => answerValidation(privateKey, request).signature,
        deliver: this.deliver,
        refused,
        verified,
      },
    );
    return handler.handle;
  }
}
