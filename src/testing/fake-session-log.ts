import type { FakeConnection } from './fake-gateway-connection.js';

/**
 * A session of the fake gateway: its seq counter, its replayable log (bounded by `replayLimit`) and the socket
 * bound to it. Internal to the testing kit.
 * @internal
 * @module
 */

/** One dispatch kept in a session's log, already serialised (replays send the same bytes). */
export interface LoggedEvent {
  readonly seq: number;
  readonly frame: string;
}

/** A gateway session: its seq counter, its replayable log and the socket currently bound to it. */
export class FakeSession {
  /** The last seq given out in this session (dispatches, READY and RESUMED all take one). */
  lastSeq = 0;
  /** False once `invalidateSessions()` forgot it: a Resume of it then gets op 9 `d: false`. */
  resumable = true;
  /** The connection that receives this session's dispatches, if any. */
  bound: FakeConnection | undefined;
  /** Open sockets bound to this session right now (a kicked socket counts until it has really closed). */
  liveBound = 0;
  readonly #log: LoggedEvent[] = [];
  /** The highest seq dropped from the log (0: nothing dropped yet). */
  #droppedThrough = 0;

  /**
   * @param index - 1-based creation counter, used in the id and in default event ids.
   * @param replayLimit - events kept for replay.
   * @param shard - the shard its Identify named.
   */
  constructor(
    readonly index: number,
    readonly replayLimit: number,
    /** The `shard` its Identify named, `[index, count]`. */
    readonly shard: readonly [number, number],
    /** The app whose token identified it. */
    readonly appId: string,
  ) {}

  /** `session-<index>`. */
  get id(): string {
    return `session-${this.index}`;
  }

  /** Takes the next seq. */
  nextSeq(): number {
    this.lastSeq += 1;
    return this.lastSeq;
  }

  /** Appends a dispatch; seqs are appended in increasing order. Drops the oldest beyond `replayLimit` (in chunks). */
  append(event: LoggedEvent): void {
    this.#log.push(event);
    const excess = this.#log.length - this.replayLimit;
    if (excess > 0 && (excess >= 1024 || this.replayLimit < 4096)) {
      const dropped = this.#log.splice(0, excess);
      this.#droppedThrough = (dropped.at(-1) as LoggedEvent).seq;
    }
  }

  /** True when every event after `after` is still in the log, so a Resume from it replays nothing short. */
  canReplayFrom(after: number): boolean {
    return after >= this.#droppedThrough;
  }

  /** Logged events with `seq > after`, in order. */
  eventsAfter(after: number): readonly LoggedEvent[] {
    const log = this.#log;
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((log[mid] as LoggedEvent).seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return log.slice(lo);
  }
}
