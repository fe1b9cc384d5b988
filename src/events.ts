import type { QQBotError } from './errors.js';
import type { DecisionKind } from './protocol/close-codes.js';
import type { DispatchEventDataMap, KnownDispatchType, UnknownEventType } from './protocol/events/event-map.js';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- named by a {@link} below
import type { GroupMessageData } from './protocol/events/message-events.js';
import type { OutcomeKind, Phase } from './protocol/outcome.js';

/** The fields every dispatch event has. */
export interface DispatchEventBase {
  shard: number;
  /** The gateway sequence number; -1 if the platform sent none. */
  seq: number;
  /** The event id (usable as `event_id` for replies to non-message events). */
  id?: string | undefined;
  /**
   * Set on the events a restarted (or standby) process replays from a durable store's checkpoint, up to
   * `'resumed'`: the process that died may have delivered them already (at most one checkpoint batch of them).
   */
  redelivered?: true;
}

/** A dispatch of a type the library knows: `data` has that type's shape (src/protocol/events/). */
export interface TypedDispatchEvent<K extends KnownDispatchType> extends DispatchEventBase {
  /** The event name, e.g. `GROUP_AT_MESSAGE_CREATE`. */
  type: K;
  /**
   * The frame's `d`, parsed from the frame's JSON text on first read and then kept: a listener that never
   * reads it costs the host's thread no `JSON.parse`. It is an own, enumerable, writable property all the same:
   * spread, `Object.keys`, `JSON.stringify`, `structuredClone`, `postMessage` and `console.log` see the value.
   */
  data: DispatchEventDataMap[K];
}

/** A dispatch of a type the library does not know yet: delivered all the same, `data` unchecked. */
export interface UnknownDispatchEvent extends DispatchEventBase {
  /** A string at run time; compare it as `String(e.type) === 'NEW_EVENT'`. */
  type: UnknownEventType;
  /** The frame's `d`, unchecked; parsed on first read, like {@link TypedDispatchEvent.data}. */
  data: unknown;
}

/** Every known dispatch type's event, as one union over `type`. */
export type KnownDispatchEvent = { [K in KnownDispatchType]: TypedDispatchEvent<K> }[KnownDispatchType];

/**
 * One QQ event, as the host receives it: per shard, in order, exactly once within a session. A union over
 * `type`: `if (e.type === 'GROUP_AT_MESSAGE_CREATE')` narrows `e.data` to {@link GroupMessageData}.
 */
export type DispatchEvent = KnownDispatchEvent | UnknownDispatchEvent;

/** The per-type listeners: `bot.on('C2C_MESSAGE_CREATE', (e) => …)` gets that type's event only. */
export type DispatchListenerMap = { [K in KnownDispatchType]: [event: TypedDispatchEvent<K>] };

export interface ReadyEvent {
  shard: number;
  sessionId: string;
  user: unknown;
  /** A new session began: events of an earlier session that were not delivered are gone. */
  newSession: true;
}

export interface ResumedEvent {
  shard: number;
  sessionId: string;
  /** The last seq delivered to the host; every replayed event was delivered before this event. */
  seq: number;
}

export interface RestartEvent {
  shard: number;
  /** Human-readable; for logs only. Decide on `kind`/`closeCode`. */
  reason: string;
  /** How the previous attempt ended. */
  kind: OutcomeKind;
  closeCode?: number;
  /** What the next attempt does: `'resume'` the session or `'identify'` a new one. */
  decision: Exclude<DecisionKind, 'fatal' | 'stop'>;
  /** Whether the previous attempt made progress (then the next starts at once). */
  progressed: boolean;
  /** The restart budget was spent: this restart starts from a clean slate after `restart.maxDelayMs`. */
  escalated: boolean;
  /** This shard's restart count so far, this one included. */
  attempt: number;
  delayMs: number;
}

/**
 * Where a shard is. `'ready'`: it has a session. `'standby'` (with a leased store only): another process holds the
 * shard's lease right now; this one waits to take the shard over. `'idle'`: not started yet, or waiting for a
 * lease nobody is known to hold — free while this process is at `lease.maxShards`, or Redis does not answer (a
 * standby whose Redis stops answering goes back to `'idle'`). `'connecting'`, `'backoff'`: working towards a
 * session. `'closing'`, `'closed'`, `'fatal'`: stopped.
 */
export type ShardState = 'idle' | 'standby' | 'connecting' | 'ready' | 'backoff' | 'closing' | 'closed' | 'fatal';

export interface ShardStatus {
  shard: number;
  state: ShardState;
  /** Epoch ms when the current session was reached (READY/RESUMED); `null` without a session. */
  connectedSince: number | null;
  /**
   * Epoch ms since when the shard has had no session; `null` while it has one. With leases it starts again when
   * this process takes the lease: time as a standby is not an outage (`restart.giveUpAfterMs` counts from here).
   */
  disconnectedSince: number | null;
  /** Attempts in a row that made no progress (what the backoff counts). */
  consecutiveFailures: number;
  /** Epoch ms when the next attempt starts, while waiting in backoff; else `null`. */
  nextAttemptAt: number | null;
  /** The worker's phase while connecting or connected. */
  phase: Phase | null;
  /** The worker thread hosting the shard's connection right now. */
  threadId: number | null;
  sessionId: string | null;
  /** Last seq delivered to the host. */
  seq: number;
  restarts: number;
  lastError: {
    code: string;
    message: string;
    details: Readonly<Record<string, string | number | boolean | null>>;
  } | null;
  heartbeatLatencyMs: number | null;
  duplicatesDropped: number;
  /**
   * Another process keeps taking this shard's session (`QQBOT_SESSION_CONTESTED`: a store without ownership,
   * `lease: false`, shared by two processes). `health().ok` is false while it is true.
   */
  contested: boolean;
}

/** `bot.health()`: a summary for readiness probes. */
export interface HealthReport {
  /**
   * Every shard is `'ready'` (has a session) or `'standby'` (another process of the fleet holds its lease) right
   * now. A process that is a pure hot standby is healthy; a shard nobody runs is not.
   */
  ok: boolean;
  shards: ShardStatus[];
}

/**
 * The connector's events; each is a tuple of listener arguments. Besides its own (lower-case) events, every known
 * dispatch type is an event name of its own, emitted right after `'dispatch'` for the same event.
 */
export interface ConnectorEventMap extends DispatchListenerMap {
  dispatch: [event: DispatchEvent];
  ready: [event: ReadyEvent];
  resumed: [event: ResumedEvent];
  restart: [event: RestartEvent];
  /** Emitted once; the connector has stopped and will not reconnect. */
  fatal: [error: QQBotError];
  /** Something went wrong that the connector handled (a listener threw, a malformed frame was skipped). */
  error: [error: QQBotError];
  debug: [message: string];
}

/**
 * An event name `bot.on()` accepts, or, for any other string, a type whose text says so: a misspelled name
 * (`'GROUP_AT_MESAGE_CREATE'`) fails to compile with a message naming where the valid names are listed.
 */
export type ConnectorEventName<K extends string> = K extends keyof ConnectorEventMap
  ? K
  : `"${K}" is not an event of QQBotConnector: use 'dispatch', 'ready', 'resumed', 'restart', 'fatal', 'error', 'debug' or a dispatch type (KnownDispatchType, e.g. 'GROUP_AT_MESSAGE_CREATE')`;

/** The listener of the event `K`. */
export type ConnectorListener<K extends string> = K extends keyof ConnectorEventMap
  ? (...args: ConnectorEventMap[K]) => void
  : never;
