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

  /** First beat after a random fraction of the interval (spreads many clients), then every interval. */
  start(): void {
    const jitter = Math.floor((this.#hooks.random ?? Math.random)() * this.intervalMs);
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
