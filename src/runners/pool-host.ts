import { once } from 'node:events';
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Outcome } from '../protocol/outcome.js';
import type { AttemptTask } from '../protocol/worker-messages.js';

export interface PoolHostOptions {
  workerFile: string;
  /** Attempts that may run at once (one per shard). One more thread is kept warm as a spare. */
  concurrency: number;
  resourceLimits: ResourceLimits | undefined;
  /** Errors piscina reports outside any task (a thread failing while idle). Never thrown into the host. */
  onPoolError(err: unknown): void;
}

/**
 * The worker's flags, all of them: none of the host's. Node refuses V8 and process-wide flags in a worker
 * (`--max-old-space-size`, `--stack-size`, `--title`, `--expose-gc` … → `ERR_WORKER_INVALID_EXEC_ARGV`), and the
 * host's preloads (`--import`, `--require dotenv/config`) could fill the worker's empty environment with the
 * secret. `NODE_OPTIONS` does not reach the worker either: it reads it from its own environment, which is empty.
 *
 * Node ≥ 20.19 lets piscina load our ESM worker file with a synchronous `require()`. Terminating a thread during
 * that load aborts the whole process (V8 `Module::IsGraphAsync must be used on an instantiated module`): we
 * reproduced 3 aborts in 720 pool destroys during start-up, and 0 in 720 with require(esm) turned off, which
 * makes piscina fall back to an asynchronous `import()`.
 */
export const WORKER_EXEC_ARGV: readonly string[] = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')
  ? ['--no-experimental-require-module']
  : [];

/** How long a thread may take to exit after it was told to. */
const EXIT_GRACE_MS = 5_000;

/**
 * Hosts connection attempts in a piscina pool with the settings that avoid its traps for long tasks
 * (docs/design-notes.md): threads never idle out, no Atomics wait loop (it freezes timers a finished task left behind),
 * one task per thread, and a warm spare so a replacement attempt does not pay for loading ws and undici.
 */
export class PoolHost {
  readonly #pool: Piscina;
  #destroyed: Promise<void> | undefined;

  constructor(options: PoolHostOptions) {
    const threads = options.concurrency + 1;
    this.#pool = new Piscina({
      filename: options.workerFile,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      atomics: 'disabled',
      concurrentTasksPerWorker: 1,
      execArgv: [...WORKER_EXEC_ARGV],
      // A worker gets a copy of process.env by default, and hosts keep secrets there (QQBOT_SECRET):
      // the secret must never reach a worker, and the worker needs nothing from the environment.
      env: {},
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    // Without a listener, an idle thread's failure would be an unhandled 'error' and crash the host.
    this.#pool.on('error', options.onPoolError);
  }

  run(task: AttemptTask, signal: AbortSignal): Promise<Outcome> {
    return this.#pool.run(task, { transferList: [task.events, task.control] as never, signal }) as Promise<Outcome>;
  }

  /** The live `Worker` with this thread id, if the pool still holds it. */
  findThread(threadId: number): Worker | undefined {
    return this.#pool.threads.find((worker) => worker.threadId === threadId);
  }

  /** Terminates the thread and resolves once it is gone (its sockets closed with it). */
  async terminate(worker: Worker): Promise<void> {
    await worker.terminate();
  }

  /** Resolves once `worker` has exited, terminating it if it takes longer than a grace period. */
  async waitForExit(worker: Worker): Promise<void> {
    if (worker.threadId === -1) return;
    const timer = setTimeout(() => void worker.terminate(), EXIT_GRACE_MS);
    try {
      await once(worker, 'exit');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Idempotent. */
  destroy(): Promise<void> {
    this.#destroyed ??= this.#pool.destroy();
    return this.#destroyed;
  }
}
