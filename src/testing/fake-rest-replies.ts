import { FakeRestCodes, type FakeMessageKind, type RegisteredMessage } from './fake-rest-types.js';

/**
 * The passive-reply rules of the REST fake, shared by message sends and streamed replies: the reply window of a
 * registered inbound message, the 5-replies limit per message, and the `msg_id` + `msg_seq` dedupe. Internal to
 * the testing kit.
 * @internal
 * @module
 */

/** The reply window of an inbound message, by its kind. */
export const REPLY_WINDOWS_MS: Readonly<Record<FakeMessageKind, number>> = {
  group: 5 * 60_000,
  channel: 5 * 60_000,
  dm: 5 * 60_000,
  c2c: 60 * 60_000,
};
const MAX_REPLIES = 5;

/** A refusal: the platform code and its message. */
export interface ReplyRefusal {
  code: number;
  message: string;
}

export class ReplyRules {
  readonly #registered = new Map<string, { at: number; kind: FakeMessageKind }>();
  /** `${kind}:${m|e}:${ref}` → replies accepted. */
  readonly #replyCounts = new Map<string, number>();
  /** `${countKey}#${seq}`: a `msg_seq` already used for that message. */
  readonly #usedSeqs = new Set<string>();

  constructor(private readonly now: () => number) {}

  /** Tells the rules about an inbound message, so replies to it are checked against its window. */
  register(message: RegisteredMessage): void {
    const at = typeof message.timestamp === 'number' ? message.timestamp : Date.parse(message.timestamp);
    if (Number.isNaN(at)) throw new TypeError('registerMessage: timestamp must be epoch ms or an ISO string');
    this.#registered.set(message.id, { at, kind: message.kind });
  }

  /** 40034005 when `msgId` names a registered message older than its window (`windowMs` of its kind). */
  expired(msgId: string | undefined, windowMs: (kind: FakeMessageKind) => number): ReplyRefusal | undefined {
    const registered = msgId === undefined ? undefined : this.#registered.get(msgId);
    if (registered !== undefined && this.now() > registered.at + windowMs(registered.kind))
      return { code: FakeRestCodes.REPLY_EXPIRED, message: '回复消息msg_id已过期' };
    return undefined;
  }

  /** 40054005 when `seqKey` was used, else 40034128 when `countKey` had its replies; `undefined` when allowed. */
  refusal(countKey: string, seqKey: string | undefined): ReplyRefusal | undefined {
    if (seqKey !== undefined && this.#usedSeqs.has(seqKey))
      return { code: FakeRestCodes.DUPLICATE_MSG_SEQ, message: '消息被去重，请检查请求msgseq' };
    if ((this.#replyCounts.get(countKey) ?? 0) >= MAX_REPLIES)
      return { code: FakeRestCodes.REPLY_LIMIT, message: '被动回复时间或次数超限' };
    return undefined;
  }

  /** Counts an accepted reply and marks its seq used. */
  take(countKey: string | undefined, seqKey: string | undefined): void {
    if (countKey !== undefined) this.#replyCounts.set(countKey, (this.#replyCounts.get(countKey) ?? 0) + 1);
    if (seqKey !== undefined) this.#usedSeqs.add(seqKey);
  }

  reset(): void {
    this.#registered.clear();
    this.#replyCounts.clear();
    this.#usedSeqs.clear();
  }
}
