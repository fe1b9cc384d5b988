import { ErrorCodes, QQBotError, toWire, type ErrorCode } from '../../src/errors.js';
import type { Outcome, Phase } from '../../src/protocol/outcome.js';
import {
  WorkerEventOp,
  type AttemptSpec,
  type HostMessage,
  type SessionEvent,
  type WebSocketAttemptSpec,
  type WorkerStatus,
} from '../../src/protocol/worker-messages.js';
import type { AttemptRunner, RunningAttempt } from '../../src/runners/runner.js';
import type { TokenSource } from '../../src/http/token-manager.js';

/**
 * One attempt of a script: it plays session events through `a` and returns the attempt's Outcome, or awaits
 * `a.ended` (resolved by kill() or shutdown()) to stay up until the host ends it.
 */
export type Script = (a: ScriptedAttempt) => Outcome | Promise<Outcome>;

/** A RunningAttempt driven by a script, on the test's own thread: no threads, no sockets, no timers. */
export class ScriptedAttempt implements RunningAttempt {
  readonly done: Promise<Outcome>;
  readonly threadId = null;
  phase: Phase = 'gateway';
  readonly spec: WebSocketAttemptSpec;
  /** Resolves with the Outcome kill(), shutdown() or finish() forced. */
  readonly ended: Promise<Outcome>;
  readonly #onEvent: (event: SessionEvent) => void;
  #end!: (outcome: Outcome) => void;
  #finished = false;

  constructor(spec: WebSocketAttemptSpec, onEvent: (event: SessionEvent) => void, script: Script) {
    this.spec = spec;
    this.#onEvent = onEvent;
    this.ended = new Promise<Outcome>((resolve) => {
      this.#end = resolve;
    });
    // Like a real runner: the first of the script's end and a forced end wins; done never rejects.
    const played = Promise.resolve().then(() => script(this));
    this.done = Promise.race([played, this.ended]).then((outcome) => {
      this.#finished = true;
      return outcome;
    });
  }

  emit(event: SessionEvent): void {
    if (!this.#finished) this.#onEvent(event);
  }

  enter(phase: Phase): void {
    this.phase = phase;
    this.emit({ op: WorkerEventOp.Phase, phase });
  }

  /** Identify sent, READY received (seq 1 by default). */
  ready(sessionId: string, seq = 1): void {
    this.enter('ready');
    this.emit({ op: WorkerEventOp.Ready, sessionId, user: { id: 'bot' }, seq });
    this.phase = 'session';
  }

  /** RESUME sent; the replay `replay` (seqs) arrives, then RESUMED at `seq`. */
  resumed(seq: number, replay: number[] = []): void {
    this.enter('ready');
    for (const s of replay) this.dispatch(s);
    this.emit({ op: WorkerEventOp.Resumed, seq });
    this.phase = 'session';
  }

  dispatch(seq: number, id = `evt-${seq}`): void {
    this.emit({
      op: WorkerEventOp.Dispatch,
      seq,
      type: 'C2C_MESSAGE_CREATE',
      id,
      frame: JSON.stringify({ op: 0, s: seq, t: 'C2C_MESSAGE_CREATE', id, d: { n: seq } }),
    });
  }

  heartbeatAck(latencyMs = 3): void {
    this.emit({ op: WorkerEventOp.Heartbeat, latencyMs });
  }

  /** Ends an attempt left running (no script, or one awaiting `ended`) with `outcome`, as the attempt would. */
  finish(outcome: Outcome): Promise<Outcome> {
    this.#end(outcome);
    return this.done;
  }

  kill(): Promise<void> {
    const error = new QQBotError(ErrorCodes.WORKER_DIED, 'the worker thread was terminated', {
      retryable: true,
      details: { cause: 'terminated', errno: null },
    });
    this.#end({
      kind: 'worker-died',
      phase: this.phase,
      error: toWire(error),
      cause: 'terminated',
      reason: error.message,
    });
    return this.done.then(() => undefined);
  }

  shutdown(): Promise<boolean> {
    this.#end({ kind: 'shutdown', phase: this.phase, reason: 'shutdown by the host' });
    return this.done.then(() => true);
  }

  status(): Promise<WorkerStatus> {
    return Promise.resolve({
      phase: this.phase,
      threadId: 0,
      lastSeq: null,
      sessionId: null,
      heartbeatIntervalMs: null,
      lastHeartbeatLatencyMs: null,
    });
  }

  send(_message: HostMessage): void {}
}

/** Plays one script per attempt, in order; past the end, attempts stay up until ended. */
export class ScriptedRunner implements AttemptRunner {
  readonly attempts: ScriptedAttempt[] = [];
  resets = 0;
  closed = false;
  readonly #scripts: Script[];
  readonly #waiters = new Set<() => void>();

  constructor(scripts: Script[] = []) {
    this.#scripts = [...scripts];
  }

  /** Appends scripts for later attempts. */
  play(...scripts: Script[]): void {
    this.#scripts.push(...scripts);
  }

  start(spec: AttemptSpec, onEvent: (event: SessionEvent) => void): RunningAttempt {
    if (spec.transport !== 'websocket') throw new Error('ScriptedRunner plays WebSocket attempts only');
    const script = this.#scripts.shift() ?? ((a) => a.ended);
    const attempt = new ScriptedAttempt(spec, onEvent, script);
    this.attempts.push(attempt);
    for (const wake of [...this.#waiters]) wake();
    return attempt;
  }

  /** Resolves with the `n`-th attempt (1-based) once it started. */
  started(n: number, timeoutMs = 5_000): Promise<ScriptedAttempt> {
    const existing = this.attempts[n - 1];
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise<ScriptedAttempt>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`attempt ${n} did not start within ${timeoutMs} ms (${this.attempts.length} started)`));
      }, timeoutMs);
      const wake = (): void => {
        const attempt = this.attempts[n - 1];
        if (attempt === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(attempt);
      };
      this.#waiters.add(wake);
    });
  }

  reset(): Promise<void> {
    this.resets += 1;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Tokens `t1`, `t2`, …; `fail(…)` makes the next calls throw the given errors instead. */
export class ScriptedTokens implements TokenSource {
  readonly appId = 'scripted-app';
  readonly calls: { kind: 'get' | 'refresh'; rejected?: string | undefined }[] = [];
  #n = 0;
  #current = '';
  readonly #failures: QQBotError[] = [];

  fail(...errors: QQBotError[]): void {
    this.#failures.push(...errors);
  }

  get(): Promise<string> {
    this.calls.push({ kind: 'get' });
    return this.#answer(false);
  }

  refresh(rejected?: string): Promise<string> {
    this.calls.push({ kind: 'refresh', rejected });
    return this.#answer(true);
  }

  #answer(fresh: boolean): Promise<string> {
    const failure = this.#failures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    if (fresh || this.#current === '') this.#current = `t${++this.#n}`;
    return Promise.resolve(this.#current);
  }
}

// ---------------------------------------------------------------- Outcomes, by kind

const wireError = (code: ErrorCode, retryable: boolean, details: Record<string, string | number | null> = {}) =>
  toWire(new QQBotError(code, `${code} (scripted)`, { retryable, details }));

export const closed = (closeCode: number, phase: Phase = 'session'): Outcome => ({
  kind: 'closed',
  phase,
  closeCode,
  reason: `closed ${closeCode}`,
});
export const refused = (phase: Phase = 'handshake', authRejected = false): Outcome => ({
  kind: 'connect-failed',
  phase,
  error: wireError(ErrorCodes.NETWORK, true, { errno: 'ECONNREFUSED' }),
  authRejected,
  reason: 'connect ECONNREFUSED',
});
export const timedOut = (phase: Phase): Outcome => ({
  kind: 'timeout',
  phase,
  ms: 1_000,
  reason: `${phase} timed out`,
});
export const died = (cause: 'crashed' | 'hung' | 'bootstrap'): Outcome => ({
  kind: 'worker-died',
  phase: 'session',
  error: wireError(cause === 'hung' ? ErrorCodes.WORKER_HUNG : ErrorCodes.WORKER_DIED, cause !== 'bootstrap', {
    cause,
  }),
  cause,
  reason: `worker ${cause}`,
});
export const listenFailed = (retryable: boolean): Outcome => ({
  kind: 'listen-failed',
  phase: 'gateway',
  error: wireError(ErrorCodes.WEBHOOK_LISTEN_FAILED, retryable, { errno: retryable ? 'EADDRINUSE' : 'EACCES' }),
  retryable,
  reason: 'listen failed',
});
