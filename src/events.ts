import type { QQBotError } from './errors.js';
import type { DecisionKind } from './protocol/close-codes.js';
import type { OutcomeKind, Phase } from './protocol/outcome.js';

/** One QQ event, as the host receives it: per shard, in order, exactly once within a session. */
export interface DispatchEvent<D = unknown> {
  shard: number;
  /** The gateway sequence number; -1 if the platform sent none. */
  seq: number;
  /** The event name, e.g. `GROUP_AT_MESSAGE_CREATE`. */
  type: string;
  /** The event id (usable as `event_id` for replies to non-message events). */
  id?: string | undefined;
  data: D;
}

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
  kind: OutcomeKind | 'token-failed';
  closeCode?: number;
  decision: DecisionKind;
  /** This shard's restart count so far, this one included. */
  attempt: number;
  delayMs: number;
}

export type ShardState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closing' | 'closed' | 'fatal';

export interface ShardStatus {
  shard: number;
  state: ShardState;
  /** The worker's phase while connecting or connected. */
  phase: Phase | null;
  /** The worker thread hosting the shard's connection right now. */
  threadId: number | null;
  sessionId: string | null;
  /** Last seq delivered to the host. */
  seq: number;
  restarts: number;
  lastError: { code: string; message: string; details: Readonly<Record<string, string | number | boolean | null>> } | null;
  heartbeatLatencyMs: number | null;
  duplicatesDropped: number;
}

/** The connector's events; each is a tuple of listener arguments. */
export interface ConnectorEventMap {
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
