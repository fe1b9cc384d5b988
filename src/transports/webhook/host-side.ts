import type { KeyObject } from 'node:crypto';
import { HostMessageOp, WorkerEventOp, type WebhookHostMessage, type WorkerEvent } from '../../protocol/worker-messages.js';
import type { WebhookAddress } from './listener.js';
import type { WebhookDispatch } from './request-handler.js';
import { answerValidation, validationRequest } from './signature.js';

/** Hands a verified callback to the host (the connector's CallbackGate): settles once delivered, rejects when not. */
export type DeliverCallback = (dispatch: WebhookDispatch) => void | Promise<void>;

/**
 * The main-thread half of a webhook attempt: signs op 13 answers with the private key (which never leaves
 * this thread), delivers the attempt's dispatches and answers each (delivered or not). Answers are batched:
 * one message per kind per turn of the event loop, however many dispatches a batch of events carried.
 */
export class WebhookHostSide {
  readonly #privateKey: KeyObject;
  readonly #send: (message: WebhookHostMessage) => void;
  readonly #deliver: DeliverCallback;
  #acks: number[] = [];
  #undelivered: number[] = [];
  #flushing = false;
  /** Where the attempt's listener is bound; `null` until it is, and again after it ended. */
  address: WebhookAddress | null = null;

  constructor(privateKey: KeyObject, send: (message: WebhookHostMessage) => void, deliver: DeliverCallback) {
    this.#privateKey = privateKey;
    this.#send = send;
    this.#deliver = deliver;
  }

  /** Handles the webhook events of the attempt; false for every other event. */
  onEvent(event: WorkerEvent): boolean {
    switch (event.op) {
      case WorkerEventOp.WebhookDispatch:
        this.#dispatch(event);
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

  #dispatch(event: Extract<WorkerEvent, { op: typeof WorkerEventOp.WebhookDispatch }>): void {
    const { ref, type, id, frame, problem, key, expiresAt } = event;
    let settled: void | Promise<void>;
    try {
      settled = this.#deliver({ type, id, seq: -1, frame, problem, key, expiresAt });
    } catch {
      return this.#answer(this.#undelivered, ref);
    }
    if (settled === undefined) return this.#answer(this.#acks, ref);
    settled.then(
      () => this.#answer(this.#acks, ref),
      () => this.#answer(this.#undelivered, ref),
    );
  }

  #answer(list: number[], ref: number): void {
    list.push(ref);
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushing = false;
    const acks = this.#acks;
    const undelivered = this.#undelivered;
    this.#acks = [];
    this.#undelivered = [];
    if (acks.length > 0) this.#send({ op: HostMessageOp.WebhookAck, refs: acks });
    if (undelivered.length > 0) this.#send({ op: HostMessageOp.WebhookUndelivered, refs: undelivered });
  }
}
