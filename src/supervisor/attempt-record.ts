import type { IdentifySlot } from '../fleet/identify-gate.js';
import type { DecisionHistory } from '../protocol/close-codes.js';
import type { Outcome, Phase } from '../protocol/outcome.js';
import type { TransportHostSide } from '../transports/transport.js';

/** What one attempt showed, read from its events, and what its end means for the restart policy. */
export class AttemptRecord {
  readonly resuming: boolean;
  readonly identifySlot: IdentifySlot | undefined;
  /** The transport's main-thread half of this attempt, reading the transport's own events; undefined when it has none. */
  hostSide: TransportHostSide | undefined;
  /** The RESUME frame went out (phase `ready` reached while resuming). */
  #resumeSent = false;
  /** READY/RESUMED arrived at this time. */
  #sessionAt: number | undefined;
  /** After READY/RESUMED: a live event or a heartbeat ACK. */
  #live = false;

  constructor(resuming: boolean, identifySlot: IdentifySlot | undefined) {
    this.resuming = resuming;
    this.identifySlot = identifySlot;
  }

  /** READY/RESUMED (or the transport up) was reached. */
  get hadSession(): boolean {
    return this.#sessionAt !== undefined;
  }

  /** The attempt entered `phase`: it enters 'ready' right after sending Identify/Resume. */
  entered(phase: Phase): void {
    if (phase !== 'ready') return;
    this.identifySlot?.sent();
    if (this.resuming) this.#resumeSent = true;
  }

  sessionUp(now: number): void {
    this.#sessionAt = now;
  }

  /** An event after READY/RESUMED: true the first time (the attempt proved it works). */
  live(): boolean {
    if (this.#sessionAt === undefined || this.#live) return false;
    this.#live = true;
    return true;
  }

  /**
   * Whether the ended attempt made progress: the session came up and then went live, stayed up `stableAfterMs`,
   * or was ended by the host. A kill by the host (terminateWorker) is a drill, not evidence against the session
   * or the platform. Only a RESUME the platform saw and refused (or a resumed session that died before progress)
   * costs the session (`history.resumeFailures`); a failure to reach the gateway never does.
   */
  settle(outcome: Outcome, end: number, stableAfterMs: number, history: DecisionHistory): boolean {
    const killedByHost = outcome.kind === 'worker-died' && outcome.cause === 'terminated';
    const progressed =
      this.#sessionAt !== undefined && (this.#live || killedByHost || end - this.#sessionAt >= stableAfterMs);
    if (progressed) history.resumeFailures = 0;
    else if (this.#resumeSent && !killedByHost) history.resumeFailures += 1;
    return progressed;
  }
}
