import type { QQBotError } from '../errors.js';
import type { DispatchEvent } from '../events.js';
import { channels, publish } from '../metrics/channels.js';
import { invalidEventError, type EventProblem } from '../protocol/events/validate.js';
import { DedupeWindow } from './dedupe.js';
import { dispatchEvent } from './dispatch-event.js';

/** Where delivered events go: the connector's isolated `'dispatch'` emit. */
export interface DeliveryTarget {
  /** Calls every `'dispatch'` listener, isolated; a promise only when some listener returned one. */
  dispatch(event: DispatchEvent): Promise<void> | undefined;
  /** An event the transport's edge checks refused (`QQBOT_INVALID_EVENT`): reported, never delivered. */
  refused(error: QQBotError): void;
}

/**
 * The delivery pipeline of one shard, fed by every transport: drops duplicates (by seq, then by event id),
 * builds the event (its `data` parsed on first read) and hands it to the host's listeners, in order. It owns
 * the delivered `seq` — the main thread's truth that a replacement attempt RESUMEs from — and the dedupe window.
 *
 * A transport without a session order (the webhook, whose requests may arrive concurrently) passes `seq` -1
 * and is deduplicated by event id alone.
 */
export class ShardDelivery {
  readonly shard: number;
  readonly #target: DeliveryTarget;
  readonly #ids: DedupeWindow;
  #seq = 0;
  #duplicates = 0;
  #delivered = 0;
  /**
   * Called for each delivered event, in delivery order, with the promise of the listeners that returned one
   * (`undefined` when all returned at once): the event is acknowledged when it settles. The shard's
   * checkpointer listens here (src/store/checkpointer.ts).
   */
  onDelivered: ((seq: number, id: string | undefined, settled: Promise<void> | undefined) => void) | undefined;
  /** Replaying a session restored from a store, until RESUMED: the process before may have delivered some of these. */
  #redelivering = false;
  /** Restored: every event up to this seq was delivered by the process before (its checkpoint's `deliveredSeq`). */
  #deliveredBefore = 0;
  /** Restored: how many events past `#deliveredBefore` it may have delivered after its last checkpoint. */
  #unrecorded = 0;

  /** `appId` names the bot in the metrics channels. */
  constructor(
    shard: number,
    dedupeWindow: number,
    target: DeliveryTarget,
    readonly appId: string,
  ) {
    this.shard = shard;
    this.#ids = new DedupeWindow(dedupeWindow);
    this.#target = target;
  }

  /** The last seq delivered to the host in this session; 0 before any. */
  get seq(): number {
    return this.#seq;
  }

  get duplicatesDropped(): number {
    return this.#duplicates;
  }

  get delivered(): number {
    return this.#delivered;
  }

  /** The dedupe window's ids, oldest first. */
  recentIds(): string[] {
    return this.#ids.toArray();
  }

  /** READY: a new session starts after `seq`. */
  newSession(seq: number): void {
    this.#seq = Math.max(seq, 0);
    this.#redelivering = false;
  }

  /** RESUMED: the server's replay is over at `seq`. */
  resumedAt(seq: number): void {
    if (seq > this.#seq) this.#seq = seq;
    this.#redelivering = false;
  }

  /**
   * A stored checkpoint: resume after `seq`, and never deliver `ids` again. Until RESUMED, replayed events that the
   * process before may have delivered are flagged `redelivered`: those up to `deliveredSeq`, then the next
   * `unrecorded` (delivered after its last checkpoint, if it died). Without `deliveredSeq`, all of them.
   */
  restore(seq: number, ids: readonly string[], deliveredSeq: number | undefined, unrecorded: number): void {
    this.#seq = Math.max(seq, 0);
    for (const id of ids) this.#ids.add(id);
    this.#redelivering = true;
    this.#deliveredBefore = deliveredSeq ?? Number.MAX_SAFE_INTEGER;
    this.#unrecorded = unrecorded;
  }

  /**
   * One dispatch as its frame's JSON text (already parsed once by the transport, so valid JSON). `seq` < 0
   * means the frame had none. `problem`: the transport's edge checks refused `d` (validateEvent): once past
   * dedupe, the event is reported and acknowledged, never delivered. Returns false when it was a duplicate and
   * dropped.
   */
  deliver(seq: number, type: string, id: string | undefined, frame: string, problem?: EventProblem): boolean {
    if (seq >= 0 && seq <= this.#seq) return this.#drop('seq');
    if (seq > this.#seq) this.#seq = seq;
    if (id !== undefined) {
      if (this.#ids.has(id)) return this.#drop('id');
      this.#ids.add(id);
    }
    if (problem !== undefined) {
      this.#target.refused(invalidEventError({ type, seq, id }, problem));
      this.onDelivered?.(seq, id, undefined);
      return true;
    }
    this.#delivered += 1;
    const event = dispatchEvent(this.shard, seq, type, id, frame);
    if (this.#redelivering && this.#mayHaveBeenDelivered(seq)) event.redelivered = true;
    const settled = this.#target.dispatch(event);
    // Checked here, not in publish(): no closure per event while nobody listens.
    if (channels.delivered.hasSubscribers) channels.delivered.publish({ appId: this.appId, shard: this.shard, type });
    this.onDelivered?.(seq, id, settled);
    return true;
  }

  /** Replaying a restored session: up to the old owner's high-water mark, then at most `#unrecorded` more. */
  #mayHaveBeenDelivered(seq: number): boolean {
    if (seq <= this.#deliveredBefore) return true;
    if (this.#unrecorded > 0) {
      this.#unrecorded -= 1;
      return true;
    }
    this.#redelivering = false;
    return false;
  }

  /** A duplicate the transport dropped before the pipeline (a webhook copy another process delivered): counted like ours. */
  dropped(reason: 'seq' | 'id'): void {
    this.#drop(reason);
  }

  #drop(reason: 'seq' | 'id'): false {
    this.#duplicates += 1;
    publish('duplicate', () => ({ appId: this.appId, shard: this.shard, reason }));
    return false;
  }
}
