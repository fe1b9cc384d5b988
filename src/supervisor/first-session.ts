import type { QQBotError } from '../errors.js';

/**
 * What a shard's start() waits for: its first session (or standby), else the fatal error; and, for a transport
 * with a `startTimeoutMs`, how long attempts may fail to come up before it was first up.
 */
export class FirstSession {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: QQBotError) => void;
  readonly #now: () => number;
  readonly #startTimeoutMs: number | undefined;
  /** When start() was called: the transport's first time up has `startTimeoutMs` from here. */
  #startedAt = 0;
  /** The transport was up once: from then on, attempts that fail to come up are retried without limit. */
  #everUp = false;

  constructor(now: () => number, startTimeoutMs: number | undefined) {
    this.#now = now;
    this.#startTimeoutMs = startTimeoutMs;
    let settle!: { resolve: () => void; reject: (error: QQBotError) => void };
    this.promise = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    ({ resolve: this.resolve, reject: this.reject } = settle);
    // A rejection nobody awaits yet must not become an unhandled rejection in the host.
    this.promise.catch(() => undefined);
  }

  started(): void {
    this.#startedAt = this.#now();
  }

  /** The transport came up (a session, or a listener bound). */
  up(): void {
    this.#everUp = true;
  }

  /** How long start() still lets attempts fail to come up: ≤ 0 is over; unlimited once up, or without a timeout. */
  msLeft(): number {
    if (this.#everUp || this.#startTimeoutMs === undefined) return Number.POSITIVE_INFINITY;
    return this.#startedAt + this.#startTimeoutMs - this.#now();
  }
}
