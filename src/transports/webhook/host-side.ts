import type { KeyObject } from 'node:crypto';
import type { TransportPayload } from '../../protocol/worker-messages.js';
import type { AttemptHost, TransportHostSide } from '../transport.js';
import type { WebhookAddress } from './listener.js';
import { WebhookEventOp, WebhookReplyOp, type WebhookEvent, type WebhookReply } from './messages.js';
import type { WebhookDispatch } from './request-handler.js';
import { answerValidation, validationRequest } from './signature.js';

/** Hands a verified callback to the host (the connector's CallbackGate): settles once delivered, rejects when not. */
export type DeliverCallback = (dispatch: WebhookDispatch) => void | Promise<void>;

/**
 * The main-thread half of a webhook attempt: signs op 13 answers with the private key (which never leaves
 * this thread), delivers the attempt's dispatches and answers each (delivered or not). Answers are batched:
 * one message per kind per turn of the event loop, however many dispatches a batch of events carried.
 */
export class WebhookHostSide implements TransportHostSide {
  readonly #privateKey: KeyObject;
  readonly #host: Pick<AttemptHost, 'send' | 'live'>;
  readonly #deliver: DeliverCallback;
  readonly #listening: (address: WebhookAddress) => void;
  #acks: number[] = [];
  #undelivered: number[] = [];
  #flushing = false;

  /** `listening`: the attempt's listener is bound there. */
  constructor(
    privateKey: KeyObject,
    host: Pick<AttemptHost, 'send' | 'live'>,
    deliver: DeliverCallback,
    listening: (address: WebhookAddress) => void,
  ) {
    this.#privateKey = privateKey;
    this.#host = host;
    this.#deliver = deliver;
    this.#listening = listening;
  }

  /** The webhook attempt's own events: the payloads of its `Transport` events, which only it posts. */
  onEvent(payload: TransportPayload): void {
    const event = payload as WebhookEvent;
    switch (event.op) {
      case WebhookEventOp.Dispatch:
        this.#host.live();
        this.#dispatch(event);
        return;
      case WebhookEventOp.Sign: {
        // Checked again here: the signer, not the worker, is what keeps op 13 from signing an event body.
        const request = validationRequest({ event_ts: event.eventTs, plain_token: event.plainToken });
        const signature = request === null ? null : answerValidation(this.#privateKey, request).signature;
        this.#send({ op: WebhookReplyOp.Signature, ref: event.ref, signature });
        return;
      }
      case WebhookEventOp.Listening:
        this.#listening({ address: event.address, port: event.port });
        return;
    }
  }

  #send(message: WebhookReply): void {
    this.#host.send(message);
  }

  #dispatch(event: Extract<WebhookEvent, { op: typeof WebhookEventOp.Dispatch }>): void {
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
    if (acks.length > 0) this.#send({ op: WebhookReplyOp.Ack, refs: acks });
    if (undelivered.length > 0) this.#send({ op: WebhookReplyOp.Undelivered, refs: undelivered });
  }
}
