import { ErrorCodes, QQBotError, invalidOption, toWire } from '../errors.js';
import type { Outcome, Phase } from '../protocol/outcome.js';
import type { AttemptIO, AttemptSpec, WorkerStatus } from '../protocol/worker-messages.js';

/** One attempt of a transport: what a runner runs, in a worker thread or in process. */
export interface Attempt {
  /** Resolves with exactly one Outcome, after every socket and timer of the attempt is released. */
  run(): Promise<Outcome>;
  status(): WorkerStatus;
  /** Graceful stop: the outcome is `shutdown`. */
  shutdown(code: number): void;
  /** Ends the attempt at once with `outcome` (an in-process stand-in for a thread's death). */
  terminate(outcome: Outcome): void;
  /** Drops every server connection at once, before the thread is terminated (see `WorkerControl.quiesce`). */
  quiesce?(): void;
  readonly phase: Phase;
}

/** Builds a transport's attempt from its spec (the transport narrows the spec to its own). */
export type AttemptFactory = (spec: AttemptSpec, io: AttemptIO) => Attempt;

/**
 * Which factory runs which transport, by `AttemptSpec.transport`: each transport's attempt module (its
 * `AttemptSpec.entry`) registers here when it loads. The transport's own module imports it, so the in-process
 * runner finds it; a worker thread imports the entry the spec names. No runner or worker file names a transport.
 */
const factories = new Map<string, AttemptFactory>();

/**
 * Registers `transport`'s attempt. A name is taken once: a second factory under it (a module replacing `'websocket'`,
 * or two transports that chose one name) is refused with `QQBOT_INVALID_OPTION` instead of silently winning.
 */
export function registerAttempt(transport: string, factory: AttemptFactory): void {
  const taken = factories.get(transport);
  if (taken !== undefined && taken !== factory)
    throw invalidOption(`Expected the transport name '${transport}' to be registered once; another attempt has it`);
  factories.set(transport, factory);
}

/**
 * Imports the attempt module `spec` names; `undefined` when its transport registered already. Resolves with the
 * error if it could not be loaded (the attempt then ends as a worker that cannot load: see createAttempt).
 */
export function loadAttempt(spec: AttemptSpec): Promise<unknown> | undefined {
  if (factories.has(spec.transport)) return undefined;
  return import(spec.entry).then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** The attempt `spec` asks for; one that ends at once as a worker that cannot load when its transport never registered. */
export function createAttempt(spec: AttemptSpec, io: AttemptIO, loadError?: unknown): Attempt {
  const factory = factories.get(spec.transport);
  if (factory !== undefined) return factory(spec, io);
  const error = new QQBotError(
    ErrorCodes.WORKER_BOOTSTRAP,
    `no attempt is registered for the transport '${spec.transport}' (its module: ${spec.entry})`,
    { retryable: false, cause: loadError },
  );
  return new UnloadableAttempt(error, io.threadId);
}

/** An attempt whose transport could not be loaded: it ends at once, like a thread that failed to start (fatal). */
class UnloadableAttempt implements Attempt {
  readonly phase: Phase = 'gateway';
  readonly #outcome: Outcome;
  readonly #threadId: number;

  constructor(error: QQBotError, threadId: number) {
    this.#outcome = {
      kind: 'worker-died',
      phase: this.phase,
      error: toWire(error),
      cause: 'bootstrap',
      reason: error.message,
    };
    this.#threadId = threadId;
  }

  run(): Promise<Outcome> {
    return Promise.resolve(this.#outcome);
  }

  status(): WorkerStatus {
    const none = { lastSeq: null, sessionId: null, heartbeatIntervalMs: null, lastHeartbeatLatencyMs: null };
    return { phase: this.phase, threadId: this.#threadId, ...none };
  }

  shutdown(): void {}

  terminate(): void {}
}
