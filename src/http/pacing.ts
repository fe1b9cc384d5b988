import { ErrorCodes, QQBotError } from '../errors.js';
import { raceAbort, sleepOrReject } from '../util/abort.js';
import { defaultsOf, integer, type OptionsOf, type ResolvedOf } from '../options/schema.js';

/**
 * Sends queued per target, paced by what the platform's rate-limit answers taught (none is hard-coded: the
 * platform publishes no limits for its v2 routes, docs/protocol.md §12). Each lane (route + target) runs up to
 * `concurrencyPerTarget` calls at once, in arrival order; a rate-limit answer pauses the lane for the platform's
 * hint (or a backoff), sets a spacing between its sends from the rate it had reached, and from then on runs one
 * call at a time; every answer that passes lowers the spacing a little, so a lane probes back up, and a lane
 * whose spacing is gone runs unpaced again. Lanes never hold each other up. The queue is bounded across lanes.
 * @module
 */

export const PACING = {
  /**
   * Calls waiting in all lanes at most; one more is refused with `QQBOT_SEND_QUEUE_FULL` (retryable).
   * @defaultValue `10_000`
   */
  maxQueued: integer({ default: 10_000, min: 0 }),
  /**
   * Rate-limit answers (HTTP 429, codes 22009, 20028, 100017) one call waits out before it fails with the last of
   * them; apart from `retry.retries`.
   * @defaultValue `6`
   */
  rateLimitRetries: integer({ default: 6, min: 0, max: 100 }),
  /**
   * Longest wait after one rate-limit answer, whatever the hint says.
   * @defaultValue `60_000`
   */
  maxWaitMs: integer({ default: 60_000, min: 0, max: 3_600_000 }),
  /**
   * Calls to one route and target in flight at once while the target has not rate-limited us; once it has, one
   * at a time, spaced. Bounds the first burst's refusals: at most this many are in flight when the limit is found.
   * @defaultValue `4`
   */
  concurrencyPerTarget: integer({ default: 4, min: 1, max: 1_000 }),
};

/** Per-target send queues and rate-limit waits: the `pacing` option. */
export type PacingOptions = OptionsOf<typeof PACING>;
export type ResolvedPacing = ResolvedOf<typeof PACING>;
export const DEFAULT_PACING: Readonly<ResolvedPacing> = Object.freeze(defaultsOf(PACING));

/** The window a lane's rate is measured over when it is first limited. */
const RATE_WINDOW_MS = 1_000;
/** Spacing grows by this after a rate-limit answer on a paced lane… */
const BACKOFF_FACTOR = 1.5;
/** …and shrinks by this after each answer that passes (a slow probe back up). */
const RECOVERY_FACTOR = 0.99;
/** Below this the spacing is dropped: the lane runs unpaced again. */
const MIN_SPACING_MS = 2;
/** Idle lanes kept with what they learned, oldest dropped first. */
const MAX_LEARNED_LANES = 10_000;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

class Lane {
  /** Calls holding this lane. */
  active = 0;
  readonly waiters: Waiter[] = [];
  /** Learned spacing between the starts of two calls; 0 = unpaced. */
  spacingMs = 0;
  /** No call starts before this (performance.now()). */
  notBefore = 0;
  /** Starts of the calls that passed within the last {@link RATE_WINDOW_MS}. */
  readonly recent: number[] = [];
  /** When the lane last learned from a limit: answers to calls started before it teach nothing new. */
  limitedAt = Number.NEGATIVE_INFINITY;
}

/** One call's hold on its lane: wait for the turn before each attempt, report how each went, release at the end. */
export interface LaneTicket {
  /** Waits until the lane's pacing lets the next attempt start. */
  turn(signals: readonly AbortSignal[]): Promise<void>;
  /** The attempt passed the platform's limits. */
  passed(): void;
  /** The attempt was rate limited; `hintMs` is the platform's hint if it gave one. Returns the wait before the next try. */
  limited(hintMs: number | undefined, backoffMs: number): number;
  release(): void;
}

export class Pacer {
  readonly #opts: ResolvedPacing;
  readonly #lanes = new Map<string, Lane>();
  #queued = 0;

  constructor(options: ResolvedPacing) {
    this.#opts = options;
  }

  get options(): ResolvedPacing {
    return this.#opts;
  }

  /** Calls waiting for their lane, all lanes together. */
  get queued(): number {
    return this.#queued;
  }

  /** Waits for the lane `key` (route + target) to be this call's; rejects when the queue is full or a signal aborts. */
  async enter(key: string, signals: readonly AbortSignal[]): Promise<LaneTicket> {
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = new Lane();
      this.#lanes.set(key, lane);
      this.#forgetOldLanes();
    }
    if (lane.active >= this.#capacity(lane) || lane.waiters.length > 0) await this.#queue(lane, signals);
    else lane.active += 1;
    return this.#ticket(key, lane);
  }

  #queue(lane: Lane, signals: readonly AbortSignal[]): Promise<void> {
    if (this.#queued >= this.#opts.maxQueued) {
      return Promise.reject(
        new QQBotError(
          ErrorCodes.SEND_QUEUE_FULL,
          `${this.#queued} sends are already waiting for their targets (pacing.maxQueued)`,
          {
            details: { maxQueued: this.#opts.maxQueued },
          },
        ),
      );
    }
    this.#queued += 1;
    let waiter!: Waiter;
    const turn = new Promise<void>((resolve, reject) => {
      waiter = { resolve, reject };
    });
    lane.waiters.push(waiter);
    return raceAbort(turn, signals).then(
      () => {
        this.#queued -= 1;
      },
      (err: unknown) => {
        // Aborted while waiting: leave the line; if a slot had just been granted, give it back.
        this.#queued -= 1;
        const at = lane.waiters.indexOf(waiter);
        if (at >= 0) lane.waiters.splice(at, 1);
        else
          void turn.then(
            () => this.#leave(lane),
            () => undefined,
          );
        throw err;
      },
    );
  }

  /** Learned a limit: one call at a time; else `concurrencyPerTarget`. */
  #capacity(lane: Lane): number {
    return lane.spacingMs > 0 ? 1 : this.#opts.concurrencyPerTarget;
  }

  /** A call gives its slot back; waiting calls get the free slots, in order (a granted slot is counted here). */
  #leave(lane: Lane): void {
    lane.active -= 1;
    while (lane.waiters.length > 0 && lane.active < this.#capacity(lane)) {
      lane.active += 1;
      (lane.waiters.shift() as Waiter).resolve();
    }
  }

  #ticket(key: string, lane: Lane): LaneTicket {
    let started = 0;
    let released = false;
    return {
      turn: async (signals) => {
        // Reserve this call's start before waiting: calls in flight together take turns, never wake at once.
        const now = performance.now();
        const at = Math.max(now, lane.notBefore);
        lane.notBefore = at + lane.spacingMs;
        if (at > now) await sleepOrReject(at - now, signals);
        started = performance.now();
      },
      passed: () => {
        lane.recent.push(started);
        while (lane.recent.length > 0 && (lane.recent[0] as number) < started - RATE_WINDOW_MS) lane.recent.shift();
        lane.spacingMs = lane.spacingMs * RECOVERY_FACTOR < MIN_SPACING_MS ? 0 : lane.spacingMs * RECOVERY_FACTOR;
      },
      limited: (hintMs, backoffMs) => {
        const now = performance.now();
        // Calls that were already in flight when the lane learned its last limit teach nothing new.
        if (started >= lane.limitedAt) {
          // First limit: the rate this lane reached in the last window is the rate it may keep.
          lane.spacingMs =
            lane.spacingMs === 0 ? RATE_WINDOW_MS / Math.max(1, lane.recent.length) : lane.spacingMs * BACKOFF_FACTOR;
          lane.spacingMs = Math.min(lane.spacingMs, this.#opts.maxWaitMs);
          lane.recent.length = 0;
          lane.limitedAt = now;
          lane.notBefore = Math.max(
            lane.notBefore,
            now + Math.min(this.#opts.maxWaitMs, Math.max(hintMs ?? backoffMs, lane.spacingMs)),
          );
        }
        return Math.max(0, lane.notBefore - now);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#leave(lane);
        if (lane.active === 0 && lane.spacingMs === 0 && lane.notBefore <= performance.now()) this.#lanes.delete(key);
      },
    };
  }

  /** Lanes that learned a limit stay after they go idle; bounded, oldest first. */
  #forgetOldLanes(): void {
    if (this.#lanes.size <= MAX_LEARNED_LANES) return;
    for (const [key, lane] of this.#lanes) {
      if (this.#lanes.size <= MAX_LEARNED_LANES) return;
      if (lane.active === 0) this.#lanes.delete(key);
    }
  }

  /** Rejects every waiting call with `err` (the client was closed). */
  closeAll(err: QQBotError): void {
    for (const lane of this.#lanes.values()) for (const waiter of lane.waiters.splice(0)) waiter.reject(err);
  }
}
