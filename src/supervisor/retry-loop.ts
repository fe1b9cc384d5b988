import { ErrorCodes, QQBotError, fromWire, toWire } from '../errors.js';
import type { TokenSource } from '../http/token-manager.js';
import { decide, type Decision, type DecisionHistory } from '../protocol/close-codes.js';
import type { Outcome } from '../protocol/outcome.js';
import { sleep } from '../util/abort.js';
import { gaveUpError, restartBudgetError, RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';

/** A decision the loop carries on after (`fatal` and `stop` end it). */
export type RetryDecision = Extract<Decision, { kind: 'resume' | 'identify' }>;

/** How one try ended: with what the loop was for, or with an Outcome for `decide()`. */
export type TryEnd<T> =
  | { done: T }
  /** `error`: the failure as the caller saw it, when it says more than the Outcome (the give-up's cause). */
  | { outcome: Outcome; progressed: boolean; error?: QQBotError };

/** What happens after a failed try, as the caller reports it (a `'restart'` event, a status). */
export interface RetryStep {
  decision: RetryDecision;
  outcome: Outcome;
  progressed: boolean;
  /** The budget was spent: a clean slate, then `maxDelayMs`. */
  escalated: boolean;
  delayMs: number;
  /** When the next try starts (earlier than `delayMs` says when `restart.giveUpAfterMs` comes first). */
  nextAttemptAt: number;
}

/** What one caller of the loop does; everything else (token, decide(), backoff, escalation, give-up) is the loop's. */
export interface RetryTask<T> {
  /** Each try's start, before its token is fetched. */
  starting?(): void;
  /** One try with a fresh access token ('' when the loop has no token source). `undefined`: stop, nothing to decide. */
  run(token: string): Promise<TryEnd<T> | undefined>;
  /**
   * A failed try's decision, after the loop took its token part: what else it asks (forget a session, a URL…).
   * `failure`: the try's error, if the Outcome carries one (a plain close does not). Returns the most the caller
   * waits for the next try, in ms (nothing: no limit); ≤ 0 ends the loop with `failure` as fatal.
   */
  decided?(decision: RetryDecision, outcome: Outcome, failure: QQBotError | undefined): number | undefined;
  /** The budget is spent; the loop already drops the token. Start over from a clean slate and report `report`. */
  escalated(report: QQBotError): Promise<void> | void;
  /** The next try is decided; the wait follows. */
  restarting?(step: RetryStep): void;
  /** When the time without success began: `restart.giveUpAfterMs` counts from it. */
  since(): number;
}

export type RetryResult<T> = { kind: 'done'; value: T } | { kind: 'stopped' } | { kind: 'fatal'; error: QQBotError };

/** Cheap checks of whether the platform answers again, run while a backoff waits (`restart.probeIntervalMs`). */
export interface RetryProbe {
  /** `0`: no probes. */
  intervalMs: number;
  /** The URL whose host a failed try could not reach; `undefined` when the failure was no reachability problem. */
  target(outcome: Outcome): string | undefined;
  /** True when the host answers. Never rejects. */
  answers(url: string, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
  /** Each probe's result, for metrics and debug text. */
  probed?(url: string, answered: boolean): void;
}

export interface RetryLoopOptions {
  restart: RestartPolicyOptions & { giveUpAfterMs: number };
  probe?: RetryProbe | undefined;
  /** `undefined`: the tries need no access token (a listener the platform calls). */
  tokens: TokenSource | undefined;
  /** For the loop's reports: `subject` (`shard 0`), what failed (`attempts without progress`), what never came. */
  names: { subject: string; failures: string; lacking: string };
  /** Injected for tests. @defaultValue `Date.now` and `Math.random` */
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
}

/**
 * "Retry until done, with the restart policy", written once for every caller (a shard's attempts, the
 * `shards: 'auto'` count): a token (a refused one replaced), one try, `decide()`, the backoff of
 * {@link RestartPolicy}, escalation to a clean slate, and the opt-in give-up. Policy and history live as long as
 * the loop object, across `run()` calls (a shard runs again after a lease comes back).
 */
export class RetryLoop {
  /** What `decide()` remembers between tries; a caller updates `resumeFailures` and clears `authFailures` on success. */
  readonly history: DecisionHistory = { resumeFailures: 0, authFailures: 0 };
  readonly #options: RetryLoopOptions;
  readonly #policy: RestartPolicy;
  readonly #now: () => number;
  /** Set after a 4004/401 or an escalation: the next try first replaces this token. */
  #rejectedToken: string | undefined;
  #lastError: QQBotError | undefined;
  /** The last wait was cut short by a probe: the probe said "back" and the try still failed. */
  #probeWoke = false;

  constructor(options: RetryLoopOptions) {
    this.#options = options;
    this.#policy = new RestartPolicy(options.restart, options.random);
    this.#now = options.now ?? Date.now;
  }

  /** Tries in a row that made no progress. */
  get consecutiveFailures(): number {
    return this.#policy.consecutiveFailures;
  }

  /** The running try made progress: the failure count is cleared now, not only when it ends. */
  progress(): void {
    this.#policy.progress();
  }

  /** Runs tries until one is done, a decision is fatal, or `signal` aborts. Never rejects for a failed try. */
  async run<T>(task: RetryTask<T>, signal: AbortSignal): Promise<RetryResult<T>> {
    const { restart, names } = this.#options;
    while (!signal.aborted) {
      task.starting?.();
      const token = await this.#token(signal);
      if (signal.aborted) break;
      const end = typeof token === 'string' ? await task.run(token) : token;
      if (end === undefined || signal.aborted) break;
      if ('done' in end) return { kind: 'done', value: end.done };

      const { outcome, progressed } = end;
      // A try that worked clears the doubt a failed probe-woken try cast on the probes.
      if (progressed) this.#probeWoke = false;
      const decision = decide(outcome, this.history);
      const failure = end.error ?? outcomeError(outcome);
      this.#lastError = failure ?? this.#lastError;
      if (decision.kind === 'stop') break;
      if (decision.kind === 'fatal') return { kind: 'fatal', error: decision.error };
      if (decision.refreshToken === true && typeof token === 'string') {
        this.#rejectedToken = token;
        this.history.authFailures += 1;
      }
      const waitLimitMs = task.decided?.(decision, outcome, failure) ?? Number.POSITIVE_INFINITY;
      if (waitLimitMs <= 0 && failure !== undefined) return { kind: 'fatal', error: failure };

      const step = this.#policy.next(this.#now(), progressed);
      if (step.escalate) {
        if (typeof token === 'string') this.#rejectedToken = token;
        await task.escalated(
          restartBudgetError(names.subject, names.failures, restart, this.#policy.consecutiveFailures),
        );
      }
      const delayMs = Math.min(Math.max(step.delayMs, decision.delayMs ?? 0), waitLimitMs);
      const giveUpAt = task.since() + restart.giveUpAfterMs;
      const now = this.#now();
      const waitMs = Math.min(delayMs, Math.max(giveUpAt - now, 0));
      task.restarting?.({
        decision,
        outcome,
        progressed,
        escalated: step.escalate,
        delayMs,
        nextAttemptAt: now + waitMs,
      });
      if (waitMs > 0 && !(await this.#backoff(waitMs, decision.delayMs === undefined ? outcome : undefined, signal)))
        break;
      if (this.#now() >= giveUpAt)
        return { kind: 'fatal', error: gaveUpError(names.lacking, restart.giveUpAfterMs, this.#lastError) };
    }
    return { kind: 'stopped' };
  }

  /**
   * Waits `ms`, or less: while it waits, a probe of the host the try could not reach runs every
   * `probe.intervalMs`, and the wait ends once the host answers. A delay the protocol imposed (`outcome`
   * undefined) is waited out. False when `signal` aborted.
   */
  async #backoff(ms: number, outcome: Outcome | undefined, signal: AbortSignal): Promise<boolean> {
    const probe = this.#options.probe;
    const url = probe === undefined || outcome === undefined ? undefined : probe.target(outcome);
    const probeWoke = this.#probeWoke;
    this.#probeWoke = false;
    if (probe === undefined || url === undefined || probe.intervalMs === 0 || ms <= probe.intervalMs)
      return sleep(ms, signal);
    // Ends the probes and the sleep together, whichever ends the wait; the loop's own signal is only listened to.
    const waiting = new AbortController();
    const stop = (): void => waiting.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race([sleep(ms, waiting.signal), this.#probeUntilBack(probe, url, probeWoke, waiting.signal)]);
    } finally {
      signal.removeEventListener('abort', stop);
      waiting.abort();
    }
    return !signal.aborted;
  }

  /**
   * Resolves once a probe finds the host back. A probe is weaker than a try (a host can answer HEAD and still
   * refuse the gateway): after a try that a probe woke failed, only a change from "down" to "up" wakes the next,
   * so a probe that always answers costs at most one extra try per backoff.
   */
  async #probeUntilBack(probe: RetryProbe, url: string, probeWoke: boolean, signal: AbortSignal): Promise<void> {
    let armed = !probeWoke;
    // A fixed cadence: a probe that took long (up to its timeout, the interval) does not push the next one back.
    let next = performance.now() + probe.intervalMs;
    for (;;) {
      if (!(await sleep(Math.max(next - performance.now(), 0), signal))) return;
      next += probe.intervalMs;
      const answered = await probe.answers(url, probe.intervalMs, signal);
      if (signal.aborted) return;
      probe.probed?.(url, answered);
      if (!answered) armed = true;
      else if (armed) {
        this.#probeWoke = true;
        return;
      }
    }
  }

  /** A token, or the try's end that says why there is none. `''` without a token source. */
  async #token(signal: AbortSignal): Promise<string | TryEnd<never>> {
    const tokens = this.#options.tokens;
    if (tokens === undefined) return '';
    try {
      const token =
        this.#rejectedToken === undefined
          ? await tokens.get(signal)
          : await tokens.refresh(this.#rejectedToken, signal);
      this.#rejectedToken = undefined;
      return token;
    } catch (err) {
      const error =
        err instanceof QQBotError
          ? err
          : new QQBotError(ErrorCodes.INTERNAL, 'the access token could not be fetched', {
              cause: err,
              retryable: true,
            });
      return {
        outcome: { kind: 'token-failed', phase: 'token', error: toWire(error), reason: error.message },
        progressed: false,
        error,
      };
    }
  }
}

/**
 * The host a failed try could not reach, to probe while waiting: the token endpoint, the API (`/gateway/bot`
 * failed) or the gateway (the handshake failed). `undefined` for every other end: the platform answered.
 */
export function unreachedHost(
  outcome: Outcome,
  urls: { token: string; api: string; gateway: string | null },
): string | undefined {
  if (outcome.kind === 'token-failed') return urls.token;
  if ((outcome.kind === 'connect-failed' && !outcome.authRejected) || outcome.kind === 'timeout') {
    if (outcome.phase === 'gateway') return urls.api;
    if (outcome.phase === 'handshake') return urls.gateway ?? urls.api;
  }
  return undefined;
}

/** The error an Outcome carries, as a host sees it in `status().lastError`; `undefined` for a plain close. */
function outcomeError(outcome: Outcome): QQBotError | undefined {
  switch (outcome.kind) {
    case 'worker-died':
    case 'connect-failed':
    case 'token-failed':
    case 'listen-failed':
      return fromWire(outcome.error);
    case 'timeout':
      return new QQBotError(ErrorCodes.PHASE_TIMEOUT, outcome.reason, {
        retryable: true,
        details: { phase: outcome.phase, ms: outcome.ms },
      });
    default:
      return undefined;
  }
}
