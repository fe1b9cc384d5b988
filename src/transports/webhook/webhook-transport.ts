import type { WebhookAttemptSpec } from './webhook-spec.js';
import type { AttemptHost, Transport } from '../transport.js';
import { WebhookHostSide } from './host-side.js';
import type { WebhookAddress } from './listener.js';
import type { WebhookHost } from './webhook-host.js';

/**
 * The webhook listener as a transport: its attempts are listeners the platform calls, so they need no token and
 * have no session. Bound is "up": `'ready'` the first time, `'resumed'` after a restart (nothing was lost, the
 * platform redelivers). The port it was bound to is kept: the next attempt binds it again, even when the option
 * said 0.
 */
export class WebhookTransport implements Transport {
  readonly needsToken = false;
  readonly hasSession = false;
  readonly #host: WebhookHost;
  /** Where the listener was last bound; `null` until the first bind. */
  #address: WebhookAddress | null = null;

  constructor(host: WebhookHost) {
    this.#host = host;
  }

  get startTimeoutMs(): number {
    return this.#host.startTimeoutMs;
  }

  /** The listener's spec (WebhookHost builds it field by field: the public key, never the secret or the signing key). */
  spec(): WebhookAttemptSpec {
    const spec = this.#host.spec();
    return this.#address === null ? spec : { ...spec, port: this.#address.port };
  }

  hostSide(host: AttemptHost): WebhookHostSide {
    return new WebhookHostSide(this.#host.privateKey, host, this.#host.deliver, (address) => {
      const first = this.#address === null;
      this.#address = address;
      host.up(!first);
    });
  }

  /** Where the listener was last bound (the connector shows it while the shard is up). */
  address(): WebhookAddress | null {
    return this.#address;
  }
}
