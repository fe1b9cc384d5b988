/** The last `size` event ids, in a ring: O(1) add and lookup, bounded memory. */
export class DedupeWindow {
  readonly #ring: (string | undefined)[];
  readonly #ids = new Set<string>();
  #next = 0;

  constructor(size: number) {
    this.#ring = new Array<string | undefined>(size);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[this.#next] = id;
    this.#ids.add(id);
    this.#next = (this.#next + 1) % this.#ring.length;
  }
}

/**
 * The main thread's truth about one shard's session (design.md): `seq` is the last sequence number
 * *delivered to the host*, not the last one a worker read, so a replacement worker RESUMEs from it and the
 * server replays whatever a dead worker had read but not delivered.
 */
export class SessionRecord {
  sessionId: string | null = null;
  /** Last seq delivered to the host in this session; 0 before any. */
  seq = 0;
  gatewayUrl: string | null = null;
  /** RESUMEs in a row that ended before RESUMED. */
  resumeFailures = 0;
  /** 4004s (or 401s on /gateway/bot) since the last READY/RESUMED. */
  authFailures = 0;
  /** Duplicates dropped so far (for status and benchmarks). */
  duplicatesDropped = 0;
  readonly #ids: DedupeWindow;

  constructor(dedupeWindow: number) {
    this.#ids = new DedupeWindow(dedupeWindow);
  }

  /** What a new attempt should send: Resume from the delivered seq, or Identify. */
  resumeTarget(): { sessionId: string; seq: number } | null {
    return this.sessionId === null ? null : { sessionId: this.sessionId, seq: this.seq };
  }

  /**
   * Decides whether a dispatch reaches the host. Drops seq ≤ delivered (a replay of what the host already has)
   * and ids seen recently (the platform's own duplicate pushes). `seq` < 0 means the frame had no seq.
   */
  accept(seq: number, id: string | undefined): boolean {
    if (seq >= 0 && seq <= this.seq) {
      this.duplicatesDropped += 1;
      return false;
    }
    if (seq > this.seq) this.seq = seq;
    if (id !== undefined) {
      if (this.#ids.has(id)) {
        this.duplicatesDropped += 1;
        return false;
      }
      this.#ids.add(id);
    }
    return true;
  }

  /** READY: a new session; events of the old one that were not delivered are gone (the host gets `'ready'`). */
  ready(sessionId: string, seq: number): void {
    this.sessionId = sessionId;
    this.seq = Math.max(seq, 0);
    this.resumeFailures = 0;
    this.authFailures = 0;
  }

  resumed(seq: number): void {
    if (seq > this.seq) this.seq = seq;
    this.resumeFailures = 0;
    this.authFailures = 0;
  }

  /** The next attempt must IDENTIFY. */
  forgetSession(): void {
    this.sessionId = null;
    this.seq = 0;
    this.resumeFailures = 0;
  }
}
