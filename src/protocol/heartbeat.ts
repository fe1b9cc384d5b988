/**
 * Heartbeats for one connection. A beat that is due while the previous one is still un-ACKed means the link
 * is half-open (a zombie): `onZombie` fires once and the heartbeat stops. State never outlives the connection:
 * a new connection gets a new Heartbeat.
 */
export interface HeartbeatHooks {
  /** Send op 1 with the last seq. */
  send(): void;
  onZombie(): void;
  onAck?(latencyMs: number): void;
  now?(): number;
  random?(): number;
}

/** The first beat comes within this long of Hello, whatever the interval (the docs' 45 s would hide a dead link). */
export const FIRST_BEAT_SPREAD_MS = 1_000;

export class Heartbeat {
  readonly intervalMs: number;
  readonly #hooks: HeartbeatHooks;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #awaitingAck = false;
  #sentAt = 0;
  #stopped = false;
  lastLatencyMs: number | null = null;

  constructor(intervalMs: number, hooks: HeartbeatHooks) {
    this.intervalMs = intervalMs;
    this.#hooks = hooks;
    this.#now = hooks.now ?? Date.now;
  }

  /**
   * First beat after a random fraction of the interval, at most {@link FIRST_BEAT_SPREAD_MS} (spreads many
   * clients, yet proves a new or resumed link both ways within a second), then every interval.
   */
  start(): void {
    const jitter = Math.floor((this.#hooks.random ?? Math.random)() * Math.min(this.intervalMs, FIRST_BEAT_SPREAD_MS));
    this.#timer = setTimeout(() => {
      this.#beat();
      if (!this.#stopped) this.#timer = setInterval(() => this.#beat(), this.intervalMs);
    }, jitter);
  }

  ack(): void {
    if (!this.#awaitingAck) return;
    this.#awaitingAck = false;
    this.lastLatencyMs = this.#now() - this.#sentAt;
    this.#hooks.onAck?.(this.lastLatencyMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    if (this.#stopped) return;
    if (this.#awaitingAck) {
      this.stop();
      this.#hooks.onZombie();
      return;
    }
    this.#awaitingAck = true;
    this.#sentAt = this.#now();
    this.#hooks.send();
  }
}
