import { ErrorCodes, QQBotError, invalidOption } from '../errors.js';
import { isObject } from '../options/checks.js';
import { custom, hasMethods, integer, resolve, Resolved, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import type { KnownDispatchType, UnknownEventType } from '../protocol/events/event-map.js';

/**
 * The platform's passive-reply rules (docs/protocol.md §8), enforced before anything is sent:
 * - a reply names the message (`msg_id`) or the event (`event_id`) it answers, and a `msg_seq` that is new for
 *   that id (the same id + seq twice is rejected as a duplicate);
 * - at most 5 replies per id;
 * - within 5 min of the message for groups, channels and DMs, 60 min for C2C.
 */

/** Where a reply goes. */
export type ReplyScope = 'group' | 'c2c' | 'channel' | 'dm';

/**
 * The dispatch types a reply can answer: messages (by `msg_id`) and the events the platform lets a bot answer by
 * `event_id` (a button press, being added to a group or as a friend, messages switched back on).
 */
export const REPLYABLE_EVENT_TYPES = [
  'GROUP_AT_MESSAGE_CREATE',
  'GROUP_MESSAGE_CREATE',
  'C2C_MESSAGE_CREATE',
  'AT_MESSAGE_CREATE',
  'MESSAGE_CREATE',
  'DIRECT_MESSAGE_CREATE',
  'INTERACTION_CREATE',
  'GROUP_ADD_ROBOT',
  'GROUP_MSG_RECEIVE',
  'FRIEND_ADD',
  'C2C_MSG_RECEIVE',
] as const satisfies readonly KnownDispatchType[];

export type ReplyableEventType = (typeof REPLYABLE_EVENT_TYPES)[number];

/** The known dispatch types a reply cannot answer; with {@link REPLYABLE_EVENT_TYPES}, every known type (checked below). */
const UNREPLYABLE_EVENT_TYPES = [
  'GROUP_DEL_ROBOT',
  'GROUP_MSG_REJECT',
  'FRIEND_DEL',
  'C2C_MSG_REJECT',
  'MESSAGE_DELETE',
  'PUBLIC_MESSAGE_DELETE',
  'DIRECT_MESSAGE_DELETE',
  'GUILD_CREATE',
  'GUILD_UPDATE',
  'GUILD_DELETE',
  'CHANNEL_CREATE',
  'CHANNEL_UPDATE',
  'CHANNEL_DELETE',
  'GUILD_MEMBER_ADD',
  'GUILD_MEMBER_UPDATE',
  'GUILD_MEMBER_REMOVE',
  'MESSAGE_REACTION_ADD',
  'MESSAGE_REACTION_REMOVE',
  'MESSAGE_AUDIT_PASS',
  'MESSAGE_AUDIT_REJECT',
  'FORUM_THREAD_CREATE',
  'FORUM_THREAD_UPDATE',
  'FORUM_THREAD_DELETE',
  'FORUM_POST_CREATE',
  'FORUM_POST_DELETE',
  'FORUM_REPLY_CREATE',
  'FORUM_REPLY_DELETE',
  'FORUM_PUBLISH_AUDIT_RESULT',
  'OPEN_FORUM_THREAD_CREATE',
  'OPEN_FORUM_THREAD_UPDATE',
  'OPEN_FORUM_THREAD_DELETE',
  'OPEN_FORUM_POST_CREATE',
  'OPEN_FORUM_POST_DELETE',
  'OPEN_FORUM_REPLY_CREATE',
  'OPEN_FORUM_REPLY_DELETE',
  'AUDIO_START',
  'AUDIO_FINISH',
  'AUDIO_ON_MIC',
  'AUDIO_OFF_MIC',
  'AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER',
  'AUDIO_OR_LIVE_CHANNEL_MEMBER_EXIT',
] as const satisfies readonly KnownDispatchType[];

/** `never` when the two lists cover every known type: a new type must be sorted into one of them. */
type Unsorted = Exclude<KnownDispatchType, ReplyableEventType | (typeof UNREPLYABLE_EVENT_TYPES)[number]>;
const _everyTypeSorted: [Unsorted] extends [never] ? true : Unsorted = true;

/**
 * The part of a dispatch event the reply rules read: an event of a type in {@link REPLYABLE_EVENT_TYPES}, or of a
 * type this version does not know ({@link UnknownEventType}, checked at run time). Any other known type fails to
 * compile, and is refused at run time with `QQBOT_REPLY_UNSUPPORTED`.
 */
export interface ReplyableEvent {
  type: ReplyableEventType | UnknownEventType;
  /** The gateway event id (`id` of the op 0 frame). */
  id?: string | undefined;
  data: unknown;
}

/** What `replyStream()` answers: a C2C message event (streamed replies are C2C only). */
export interface StreamableEvent extends ReplyableEvent {
  type: 'C2C_MESSAGE_CREATE';
}

/** The reply fields to merge into a message body. */
export interface ReplyFields {
  msg_id?: string;
  event_id?: string;
  msg_seq: number;
}

export interface ReplyPlan {
  scope: ReplyScope;
  /** group_openid, user openid, channel_id or (DM) guild_id. */
  targetId: string;
  fields: ReplyFields;
  /** 1 for the first reply to this message or event, … up to `maxReplies`. */
  replyNumber: number;
}

/** Reply windows in ms, per scope. */
export const REPLY_WINDOWS_MS: Readonly<Record<ReplyScope, number>> = Object.freeze({
  group: 5 * 60_000,
  channel: 5 * 60_000,
  dm: 5 * 60_000,
  c2c: 60 * 60_000,
});

/** Message events: the scope, and where in `data` the target id is. */
const MESSAGE_EVENTS: Readonly<Record<string, { scope: ReplyScope; target: (d: Record<string, unknown>) => unknown }>> =
  {
    GROUP_AT_MESSAGE_CREATE: { scope: 'group', target: (d) => d.group_openid },
    GROUP_MESSAGE_CREATE: { scope: 'group', target: (d) => d.group_openid },
    C2C_MESSAGE_CREATE: { scope: 'c2c', target: (d) => (isObject(d.author) ? d.author.user_openid : undefined) },
    AT_MESSAGE_CREATE: { scope: 'channel', target: (d) => d.channel_id },
    MESSAGE_CREATE: { scope: 'channel', target: (d) => d.channel_id },
    DIRECT_MESSAGE_CREATE: { scope: 'dm', target: (d) => d.guild_id },
  };

/** Other events (INTERACTION_CREATE, GROUP_ADD_ROBOT, FRIEND_ADD, …): the first of these fields found wins. */
const EVENT_TARGETS: ReadonlyArray<{ field: string; scope: ReplyScope }> = [
  { field: 'group_openid', scope: 'group' },
  { field: 'openid', scope: 'c2c' },
  { field: 'user_openid', scope: 'c2c' },
  { field: 'channel_id', scope: 'channel' },
];

/** Types this version knows it cannot answer (events, plus the session's own READY / RESUMED). */
const UNREPLYABLE: ReadonlySet<string> = new Set<string>([...UNREPLYABLE_EVENT_TYPES, 'READY', 'RESUMED']);

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** `data.timestamp` as epoch ms: an ISO string, or unix seconds (number or digit string). `undefined` if unusable. */
export function parseEventTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

interface Entry {
  /** The last msg_seq handed out. */
  seq: number;
  /** Epoch ms after which no reply is allowed. */
  deadline: number;
}

/** Reply counts shared between processes (see {@link REPLY_TRACKER}'s `store`). */
export interface ReplyStore {
  /**
   * Atomically spends one reply to `key` and returns how many were spent on it so far, this one included
   * (1 for the first). The count is forgotten at `expiresAt` (epoch ms), when the reply window closes.
   */
  spend(key: string, expiresAt: number): Promise<number>;
}

/** The passive-reply rules' options: the `replies` option of the connector and of `QQOpenAPI`. */
export const REPLY_TRACKER = {
  /** Injectable clock (epoch ms). @defaultValue `Date.now` */
  now: custom<() => number>(
    (value, path) => {
      if (typeof value !== 'function') throw invalidOption(`Expected \`${path}\` to be a function (epoch ms)`);
      return value as () => number;
    },
    { default: Date.now },
  ),
  /** Replies allowed per message or event. @defaultValue `5` */
  maxReplies: integer({ default: 5, min: 1 }),
  /**
   * Hard cap on remembered messages and events. When it is reached, those whose window has closed go first, then
   * the oldest still open: a later reply to one of those starts again at `msg_seq` 1, which the platform rejects
   * as a duplicate (40054005). An entry lasts as long as its window, so the cap sets the rate of distinct messages
   * replied to that is safe: `maxTracked / window`, 10 000 / 5 min ≈ 33 a second for groups, channels and DMs,
   * 10 000 / 60 min ≈ 2.8 a second for C2C (mixed traffic: Σ rate × window ≤ `maxTracked`).
   * @defaultValue `10_000`
   */
  maxTracked: integer({ default: 10_000, min: 1 }),
  /**
   * Where the reply counts live, when several processes may answer the same message: each `msg_seq` is then
   * spent atomically in the store (`RedisReplyStore` from `qqbot-connector/redis`), so two processes never
   * send the same one. `maxTracked` does not apply: the store drops each count when its window closes.
   * @defaultValue none: the counts live in this tracker's memory
   */
  store: custom<ReplyStore, ReplyStore | undefined>(hasMethods<ReplyStore>(['spend'], 'a ReplyStore'), {
    default: undefined,
  }),
};

export type ReplyTrackerOptions = OptionsOf<typeof REPLY_TRACKER>;
export type ResolvedReplyTrackerOptions = ResolvedOf<typeof REPLY_TRACKER>;

/**
 * Decides where a reply goes and which `msg_seq` it carries, and refuses replies the platform would refuse
 * (too late, too many) without sending them. State per message lives until its window closes (swept lazily)
 * and never exceeds `maxTracked` entries (see `maxTracked` in {@link REPLY_TRACKER} for the rate that implies).
 *
 * A reply counts against the limit as soon as it is planned, even if the send then fails: its `msg_seq` is
 * spent (reusing it after a send that may have landed would be a duplicate).
 */
export class ReplyTracker {
  readonly #now: () => number;
  readonly #maxReplies: number;
  readonly #maxTracked: number;
  readonly #store: ReplyStore | undefined;
  readonly #entries = new Map<string, Entry>();
  #nextSweep = 0;
  /** No entry closes before this (a lower bound): while `now` is below it, a sweep would find nothing. */
  #earliestDeadline = Number.POSITIVE_INFINITY;

  /** `options` are checked here, or taken as they are when an options object resolved them already. */
  constructor(options: ReplyTrackerOptions | Resolved<ResolvedReplyTrackerOptions> = {}) {
    const o = options instanceof Resolved ? options.value : resolve(REPLY_TRACKER, options, 'replies');
    this.#now = o.now;
    this.#maxReplies = o.maxReplies;
    this.#maxTracked = o.maxTracked;
    this.#store = o.store;
  }

  /** How many messages/events are remembered right now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Plans the next reply to `event` and spends one reply. Throws `QQBOT_REPLY_UNSUPPORTED` for an event with
   * nothing to reply to, `QQBOT_PASSIVE_REPLY_EXPIRED` past the window, `QQBOT_PASSIVE_REPLY_LIMIT` past the count.
   */
  next(event: ReplyableEvent): ReplyPlan {
    const { scope, targetId, ref } = resolveReplyTarget(event);
    const now = this.#now();
    this.#sweep(now);
    const key = replyKey(ref);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      const deadline = replyDeadline(event, scope, now);
      // Checked before inserting: an event already too old takes no slot and so evicts no open window.
      if (now > deadline) throw expired(scope, ref, now - deadline);
      entry = { seq: 0, deadline };
      this.#entries.set(key, entry);
      if (deadline < this.#earliestDeadline) this.#earliestDeadline = deadline;
      this.#cap(now);
    }
    if (now > entry.deadline) throw expired(scope, ref, now - entry.deadline);
    if (entry.seq >= this.#maxReplies) throw this.#limit(scope, ref, entry.seq);
    entry.seq += 1;
    return plan(scope, targetId, ref, entry.seq);
  }

  /**
   * {@link next}, through the shared `store` (see {@link REPLY_TRACKER}) when there is one (what
   * `QQOpenAPI.reply` calls). The window is checked before anything is spent; a reply past the limit has
   * spent nothing that matters (the count is over the limit either way).
   */
  async plan(event: ReplyableEvent): Promise<ReplyPlan> {
    const store = this.#store;
    if (store === undefined) return this.next(event);
    const { scope, targetId, ref } = resolveReplyTarget(event);
    const now = this.#now();
    const deadline = replyDeadline(event, scope, now);
    if (now > deadline) throw expired(scope, ref, now - deadline);
    const seq = await store.spend(replyKey(ref), deadline);
    if (seq > this.#maxReplies) throw this.#limit(scope, ref, seq - 1);
    return plan(scope, targetId, ref, seq);
  }

  #limit(scope: ReplyScope, ref: ReplyTarget['ref'], spent: number): QQBotError {
    return new QQBotError(
      ErrorCodes.PASSIVE_REPLY_LIMIT,
      `this ${refName(ref)} already has ${spent} replies (limit ${this.#maxReplies})`,
      {
        retryable: false,
        details: { scope, limit: this.#maxReplies },
      },
    );
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#earliestDeadline = Number.POSITIVE_INFINITY;
  }

  /** Drops closed windows, at most once a second: amortised O(1) per reply. */
  #sweep(now: number): void {
    if (now >= this.#nextSweep) this.#purge(now);
  }

  /** Drops every closed window now, and notes when the next one closes. */
  #purge(now: number): void {
    this.#nextSweep = now + 1_000;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.#entries) {
      if (entry.deadline < now) this.#entries.delete(key);
      else if (entry.deadline < earliest) earliest = entry.deadline;
    }
    this.#earliestDeadline = earliest;
  }

  /**
   * Over the cap: closed windows go first, whatever the once-a-second throttle (evicting an open one would start
   * its replies again at msg_seq 1); then the oldest open ones (Map order is insertion order). The full sweep runs
   * only when some window may have closed since the last one, so a tracker full of open windows pays O(1).
   */
  #cap(now: number): void {
    if (this.#entries.size <= this.#maxTracked) return;
    if (this.#earliestDeadline < now) this.#purge(now);
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxTracked) return;
      this.#entries.delete(key);
    }
  }
}

interface ReplyTarget {
  scope: ReplyScope;
  targetId: string;
  /** Exactly one of the two is set. */
  ref: { msg_id: string; event_id?: undefined } | { event_id: string; msg_id?: undefined };
}

/** Where a reply to `event` goes and what it refers to. Pure; throws `QQBOT_REPLY_UNSUPPORTED`. */
export function resolveReplyTarget(event: ReplyableEvent): ReplyTarget {
  const data = isObject(event.data) ? event.data : undefined;
  if (data === undefined) throw unsupported(event, 'its data is not an object');
  const type = String(event.type);
  // A known type that answers nothing (GUILD_CREATE, MESSAGE_DELETE, …), from an untyped caller.
  if (UNREPLYABLE.has(type)) throw unsupported(event, 'the platform takes no reply to it');
  const message = MESSAGE_EVENTS[type];
  if (message !== undefined) {
    const targetId = message.target(data);
    if (!nonEmpty(targetId)) throw unsupported(event, `it has no ${message.scope} id`);
    if (!nonEmpty(data.id)) throw unsupported(event, 'it has no message id (data.id)');
    return { scope: message.scope, targetId, ref: { msg_id: data.id } };
  }
  const target = EVENT_TARGETS.find((t) => nonEmpty(data[t.field]));
  if (target === undefined) throw unsupported(event, 'it names no group, user or channel');
  if (!nonEmpty(event.id)) throw unsupported(event, 'it has no event id');
  return { scope: target.scope, targetId: data[target.field] as string, ref: { event_id: event.id } };
}

/** The id a reply count is kept under: `m:<msg_id>` or `e:<event_id>`. */
function replyKey(ref: ReplyTarget['ref']): string {
  return ref.msg_id === undefined ? `e:${ref.event_id}` : `m:${ref.msg_id}`;
}

function refName(ref: ReplyTarget['ref']): string {
  return ref.msg_id === undefined ? 'event' : 'message';
}

/** Epoch ms after which no reply to `event` is allowed: its `data.timestamp` (or now) plus the scope's window. */
function replyDeadline(event: ReplyableEvent, scope: ReplyScope, now: number): number {
  const data = isObject(event.data) ? event.data : {};
  return (parseEventTimestamp(data.timestamp) ?? now) + REPLY_WINDOWS_MS[scope];
}

function plan(scope: ReplyScope, targetId: string, ref: ReplyTarget['ref'], seq: number): ReplyPlan {
  const fields: ReplyFields =
    ref.msg_id === undefined ? { event_id: ref.event_id, msg_seq: seq } : { msg_id: ref.msg_id, msg_seq: seq };
  return { scope, targetId, fields, replyNumber: seq };
}

function expired(scope: ReplyScope, ref: ReplyTarget['ref'], lateByMs: number): QQBotError {
  return new QQBotError(
    ErrorCodes.PASSIVE_REPLY_EXPIRED,
    `the reply window for this ${refName(ref)} (${scope}, ${REPLY_WINDOWS_MS[scope] / 60_000} min) has closed`,
    {
      retryable: false,
      details: { scope, windowMs: REPLY_WINDOWS_MS[scope], lateByMs },
    },
  );
}

function unsupported(event: ReplyableEvent, why: string): QQBotError {
  return new QQBotError(ErrorCodes.REPLY_UNSUPPORTED, `cannot reply to a ${String(event.type)} event: ${why}`, {
    retryable: false,
    details: { type: String(event.type) },
  });
}
