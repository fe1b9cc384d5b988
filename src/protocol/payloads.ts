import type { OpCodes } from './opcodes.js';

/** The gateway envelope: `s`, `t` and `id` are set on dispatches (op 0). */
export interface GatewayFrame<D = unknown> {
  op: number;
  d?: D;
  s?: number;
  t?: string;
  id?: string;
}

export interface HelloData {
  heartbeat_interval: number;
}

export interface IdentifyData {
  token: string;
  intents: number;
  shard: [id: number, count: number];
  properties: Record<string, string>;
}

export interface ResumeData {
  token: string;
  session_id: string;
  seq: number;
}

export interface ReadyData {
  version: number;
  session_id: string;
  user: { id: string; username: string; bot: boolean };
  shard?: [number, number];
}

export interface IdentifyFrame {
  op: typeof OpCodes.IDENTIFY;
  d: IdentifyData;
}

export interface ResumeFrame {
  op: typeof OpCodes.RESUME;
  d: ResumeData;
}

export interface HeartbeatFrame {
  op: typeof OpCodes.HEARTBEAT;
  d: number | null;
}

/** `GET /gateway/bot` answer. */
export interface GatewayBotInfo {
  url: string;
  shards: number;
  session_start_limit: {
    total: number;
    remaining: number;
    reset_after: number;
    /** Sessions that may start (IDENTIFY) per {@link IDENTIFY_WINDOW_MS}. */
    max_concurrency: number;
  };
}

/** The platform's identify window: at most `max_concurrency` sessions may start per this many ms (docs/protocol.md §7). */
export const IDENTIFY_WINDOW_MS = 5_000;

/** The highest shard count one connector runs (the `shards` option's bound, and `'auto'`'s). */
export const MAX_SHARDS = 1024;

/** The wait when `/gateway/bot` reports a `remaining` without its `reset_after`. */
export const SESSION_LIMIT_FALLBACK_MS = 60_000;
