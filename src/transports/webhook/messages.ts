import type { EventProblem } from '../../protocol/events/validate.js';

/** The webhook attempt's own events, carried as the payload of the protocol's `Transport` event. */
export const WebhookEventOp = {
  /** The listener is bound (the port may have been picked by the OS). */
  Listening: 0,
  /** An op 13 validation to sign; the host answers {@link WebhookReplyOp.Signature}. */
  Sign: 1,
  /**
   * A verified callback's dispatch, to deliver unless a copy of it was (its `key`); the host answers
   * {@link WebhookReplyOp.Ack} once it is delivered, here or by another process, or {@link WebhookReplyOp.Undelivered}
   * when it is not (the request gets a 503, the platform redelivers).
   */
  Dispatch: 2,
} as const;

export type WebhookEvent =
  | { op: typeof WebhookEventOp.Listening; address: string; port: number }
  | { op: typeof WebhookEventOp.Sign; ref: number; eventTs: string; plainToken: string }
  | {
      op: typeof WebhookEventOp.Dispatch;
      ref: number;
      type: string;
      id: string | undefined;
      frame: string;
      problem: EventProblem | undefined;
      key: string;
      expiresAt: number;
    };

/** The host side's answers to the attempt (the protocol's host → attempt messages), batched like events. */
export const WebhookReplyOp = {
  /** The signature of a {@link WebhookEventOp.Sign} request; `null` when the host refused to sign it. */
  Signature: 0,
  /** The dispatches of these {@link WebhookEventOp.Dispatch} refs were delivered (here or by another process). */
  Ack: 1,
  /** The dispatches of these refs were not delivered: answer 503. */
  Undelivered: 2,
} as const;

export type WebhookReply =
  | { op: typeof WebhookReplyOp.Signature; ref: number; signature: string | null }
  | { op: typeof WebhookReplyOp.Ack | typeof WebhookReplyOp.Undelivered; refs: number[] };
