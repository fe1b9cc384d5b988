import { ShardDelivery } from '../delivery/pipeline.js';
import type { ResolvedOptions } from '../options.js';
import type { SessionStore } from '../store/session-store.js';
import type { Transport } from '../transports/transport.js';
import { CallbackGate } from '../transports/webhook/callback-gate.js';
import { resolveWebhookTransport, type ResolvedTransport } from '../transports/webhook/options.js';
import { WebhookHost } from '../transports/webhook/webhook-host.js';
import { WebhookTransport } from '../transports/webhook/webhook-transport.js';
import { WebSocketTransport } from '../transports/websocket/websocket-transport.js';
import type { HostEvents } from './host-events.js';

/** A connector's transport: what runs its shards, and the delivery pipeline of shard `i`. */
export interface TransportChoice {
  transport: Transport;
  delivery: (i: number) => ShardDelivery;
}

/**
 * Which transport runs a connector's shards, by `transport.kind`, and the webhook state both webhook paths (the
 * listener and `webhookHandler()`) share. Every transport feeds the same pipeline end (the host's listeners).
 */
export class TransportWiring {
  readonly #options: ResolvedOptions;
  readonly #store: SessionStore;
  readonly #events: HostEvents;
  #webhook: { host: WebhookHost; delivery: ShardDelivery } | undefined;

  constructor(options: ResolvedOptions, store: SessionStore, events: HostEvents) {
    this.#options = options;
    this.#store = store;
    this.#events = events;
  }

  /** The transport `transport.kind` names. */
  choose(): TransportChoice {
    return this.#choices[this.#options.transport.kind]();
  }

  readonly #choices: { [K in ResolvedTransport['kind']]: () => TransportChoice } = {
    websocket: () => {
      const o = this.#options;
      const target = this.#events.dispatchTarget();
      return {
        transport: new WebSocketTransport(o),
        delivery: (i) => new ShardDelivery(i, o.dedupeWindow, target, o.appId),
      };
    },
    // One listener, supervised like a shard; its worker gets the public key only. Both webhook paths share one pipeline.
    webhook: () => {
      const { host, delivery } = this.webhook();
      return { transport: new WebhookTransport(host), delivery: () => delivery };
    },
  };

  /**
   * The webhook key pair and the pipeline both webhook paths share, behind one gate: a copy of a callback is
   * dropped whichever path it takes, and, with a store that offers claims, whichever process it reaches.
   */
  webhook(): { host: WebhookHost; delivery: ShardDelivery } {
    if (this.#webhook !== undefined) return this.#webhook;
    const o = this.#options;
    const transport = o.transport.kind === 'webhook' ? o.transport : resolveWebhookTransport({ kind: 'webhook' });
    // No seq: callbacks may arrive concurrently, so they are deduplicated by their key alone.
    const delivery = new ShardDelivery(0, o.dedupeWindow, this.#events.dispatchTarget(), o.appId);
    const gate = new CallbackGate({
      shared: this.#store.claims,
      deliver: (dispatch) => void delivery.deliver(-1, dispatch.type, dispatch.id, dispatch.frame, dispatch.problem),
      duplicate: () => delivery.dropped('id'),
      report: (error) => this.#events.report(error),
      deliverTimeoutMs: transport.deliverTimeoutMs,
    });
    this.#webhook = {
      host: new WebhookHost(o.appId, o.secret, transport, (dispatch) => gate.deliver(dispatch)),
      delivery,
    };
    return this.#webhook;
  }
}
