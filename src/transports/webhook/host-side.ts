import type { KeyObject } from 'node:crypto';
import { HostMessageOp, WorkerEventOp, type WebhookHostMessage, type WorkerEvent } from '../../protocol/worker-messages.js';
import type { WebhookAddress } from './listener.js';
import { answerValidation, validationRequest } from './signature.js';

/**
 * The main-thread half of a webhook attempt: signs op 13 answers with the private key (which never leaves
 * this thread) and acknowledges delivered dispatches. Acks are batched: one message per turn of the event
 * loop, however many dispatches a batch of events carried.
 */
export class WebhookHostSide {
  readonly #privateKey: KeyObject;
  readonly #send: (message: WebhookHostMessage) => void;
  #acks: number[] = [];
  #flushing = false;
  /** Where the attempt's listener is bound; `null` until it is, and again after it ended. */
  address: WebhookAddress | null = null;

  constructor(privateKey: KeyObject, send: (message: WebhookHostMessage) => void) {
    this.#privateKey = privateKey;
    this.#send = send;
  }

  /**
   * Handles the webhook events of the attempt; false for every other event. Call it in event order, after
   * the events before it were delivered: an ack request means "the dispatch before me reached the host".
   */
  onEvent(event: WorkerEvent): boolean {
    switch (event.op) {
      case WorkerEventOp.WebhookAckRequest:
        this.#acks.push(event.ref);
        if (!this.#flushing) {
          this.#flushing = true;
          queueMicrotask(() => this.#flush());
        }
        return true;
      case WorkerEventOp.WebhookSign: {
        // Checked again here: the signer, not the worker, is what keeps op 13 from signing an event body.
        const request = validationRequest({ event_ts: event.eventTs, plain_token: event.plainToken });
        const signature = request === null ? null : answerValidation(this.#privateKey, request).signature;
        this.#send({ op: HostMessageOp.WebhookSignature, ref: event.ref, signature });
        return true;
      }
      case WorkerEventOp.WebhookListening:
        this.address = { address: event.address, port: event.port };
        return true;
      default:
        return false;
    }
  }

  #flush(): void {
    this.#flushing = false;
    const refs = this.#acks;
    this.#acks = [];
    if (refs.length > 0) this.#send({ op: HostMessageOp.WebhookAck, refs });
  }
}
