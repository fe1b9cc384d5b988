import type { ResourceLimits } from 'node:worker_threads';
import { invalidOption, type QQBotError } from '../errors.js';
import type { AttemptSpec } from '../protocol/worker-messages.js';
import { custom, integer, positive, resolve, type OptionsOf } from '../options/schema.js';
import { isObject } from '../options/checks.js';
import { defaultWorkerFile } from './worker-file.js';
import { WorkerThread, type HostedSession } from './worker-thread.js';

/** One thread's load, as {@link ThreadPool.threads} reports it. */
export interface PoolThread {
  threadId: number;
  /** Sessions running in it now. */
  sessions: number;
}

/** `worker_threads` resource limits of a thread, in MB; a limit left out is V8's own. */
const LIMITS = {
  /**
   * The young generation's largest size (where new objects live).
   * @defaultValue V8's, from the heap size
   */
  maxYoungGenerationSizeMb: positive({ default: undefined }),
  /**
   * The main heap's largest size: a thread that needs more ends with `ERR_WORKER_OUT_OF_MEMORY`.
   * @defaultValue V8's, from the system's memory
   */
  maxOldGenerationSizeMb: positive({ default: undefined }),
  /**
   * The memory set aside for generated code.
   * @defaultValue V8's
   */
  codeRangeSizeMb: positive({ default: undefined }),
  /**
   * The thread's largest stack.
   * @defaultValue `4`
   */
  stackSizeMb: positive({ default: undefined }),
};

/**
 * `worker_threads` resource limits: known keys only (a typo would silently limit nothing), positive numbers. Written
 * as node's own `ResourceLimits`, the type resolved limits also have when the connector hands them to a pool.
 */
export const RESOURCE_LIMITS = custom<ResourceLimits, ResourceLimits | undefined>(
  (value, path) => {
    // Only the limits given: a pool's `resourceLimits` reads back as written.
    const limits: ResourceLimits = {};
    for (const [key, limit] of Object.entries(resolve(LIMITS, value, path)))
      if (limit !== undefined) limits[key as keyof ResourceLimits] = limit;
    return limits;
  },
  { default: undefined },
);

const POOL = {
  /**
   * Sessions one thread hosts at most: a session is one shard of one bot (or one webhook listener), and a thread
   * hosts sessions of any bot using the pool. More per thread costs less memory and start-up; fewer makes a
   * crash, hang or out-of-memory of one thread restart fewer sessions (each resumes). `1` is a thread per session.
   * docs/design-notes.md "Many bots in one process" has the measured trade-off.
   * @defaultValue `50`
   */
  sessionsPerThread: integer({ default: 50, min: 1, max: 10_000 }),
  /**
   * Threads kept loaded and empty, so that a session restarting after its thread died starts at once.
   * @defaultValue `1`
   */
  spareThreads: integer({ default: 1, min: 0, max: 64 }),
  /** Limits of each thread (e.g. `maxOldGenerationSizeMb`); a thread that exceeds them is restarted, with its sessions. */
  resourceLimits: RESOURCE_LIMITS,
};

export type ThreadPoolOptions = OptionsOf<typeof POOL>;

/** An empty thread beyond the spares is ended after this long without a session (a reconnect reuses it meanwhile). */
const IDLE_RETIRE_MS = 10_000;

/** The pools connectors share by default, one per distinct `resourceLimits`. */
const sharedPools = new Map<string, ThreadPool>();

/**
 * Worker threads that host connection attempts, several sessions per thread (discord.js's `shardsPerWorker` is
 * the model). Connectors share {@link ThreadPool.shared} by default (`threads: 'shared'`); a host may size a pool
 * and hand it to the connectors it chooses (`threads: pool`), or give a bot threads of its own (`threads: 'own'`).
 * Threads start on demand and end when the last connector using the pool closes.
 *
 * @example
 * ```ts
 * const pool = new ThreadPool({ sessionsPerThread: 10 });
 * const bots = apps.map((app) => new QQBotConnector({ ...app, threads: pool }));
 * ```
 */
export class ThreadPool {
  readonly sessionsPerThread: number;
  readonly spareThreads: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly #workerFile: string;
  readonly #threads = new Set<WorkerThread>();
  /** Who hears of a thread that failed while it hosted nothing: every connector using the pool. */
  readonly #users = new Set<(error: QQBotError) => void>();
  /** The attempt modules of every spec placed so far: a new thread loads them at boot. */
  readonly #entries = new Set<string>();
  #idleTimer: NodeJS.Timeout | undefined;

  /** `workerFile` is for tests (a worker that can be told to crash): hosts leave it out. */
  constructor(options: ThreadPoolOptions = {}, workerFile: string = defaultWorkerFile()) {
    if (!isObject(options)) throw invalidOption('Expected the ThreadPool options to be an object');
    ({
      sessionsPerThread: this.sessionsPerThread,
      spareThreads: this.spareThreads,
      resourceLimits: this.resourceLimits,
    } = resolve(POOL, options, ''));
    this.#workerFile = workerFile;
  }

  /** The pool every connector with `threads: 'shared'` (the default) and the same `resourceLimits` uses. */
  static shared(resourceLimits?: ResourceLimits): ThreadPool {
    const key = JSON.stringify(resourceLimits ?? null);
    let pool = sharedPools.get(key);
    if (pool === undefined)
      sharedPools.set(key, (pool = new ThreadPool(resourceLimits === undefined ? {} : { resourceLimits })));
    return pool;
  }

  /** Every live thread and how many sessions it hosts. */
  threads(): PoolThread[] {
    return [...this.#threads].map((thread) => ({ threadId: thread.threadId, sessions: thread.sessions }));
  }

  /**
   * Ends one thread at once, exactly like a crash: each session in it restarts and resumes. Resolves once the
   * thread is gone; does nothing for a thread the pool does not hold.
   */
  async terminateThread(threadId: number): Promise<void> {
    await [...this.#threads].find((thread) => thread.threadId === threadId)?.terminate();
  }

  /** @internal A connector starts using the pool; `onIdleError` hears of threads failing while they host nothing. */
  acquire(onIdleError: (error: QQBotError) => void): void {
    this.#users.add(onIdleError);
    this.#keepSpares();
  }

  /** @internal A connector stopped using the pool (its attempts have ended); the last one out ends every thread. */
  async release(onIdleError: (error: QQBotError) => void): Promise<void> {
    this.#users.delete(onIdleError);
    if (this.#users.size > 0) return;
    clearTimeout(this.#idleTimer);
    await Promise.all([...this.#threads].map((thread) => thread.terminate()));
  }

  /** @internal Places a session on the fullest open thread with room, else an empty one, else a new one. */
  start(spec: AttemptSpec, session: HostedSession): { thread: WorkerThread; attempt: number } {
    this.#entries.add(spec.entry);
    let best: WorkerThread | undefined;
    let empty: WorkerThread | undefined;
    for (const thread of this.#threads) {
      if (!thread.open || thread.sessions >= this.sessionsPerThread) continue;
      if (thread.sessions === 0) empty ??= thread;
      else if (best === undefined || thread.sessions > best.sessions) best = thread;
    }
    const thread = best ?? empty ?? this.#spawn();
    const attempt = thread.start(spec, session);
    this.#keepSpares();
    return { thread, attempt };
  }

  /**
   * @internal A clean slate after failures: no new session goes to those of `threads` that host `owner`'s sessions
   * only, and each ends once its sessions have. A thread shared with other connectors goes on: draining it would
   * move every bot in it, and a platform outage would make every bot drain every thread.
   */
  drain(threads: Iterable<WorkerThread>, owner: object): void {
    for (const thread of threads) {
      if (!thread.ownedBy(owner)) continue;
      thread.draining = true;
      if (thread.sessions === 0) void thread.terminate();
    }
    this.#keepSpares();
  }

  #spawn(): WorkerThread {
    const thread = new WorkerThread({
      workerFile: this.#workerFile,
      resourceLimits: this.resourceLimits,
      entries: [...this.#entries],
      onSessionEnd: (t) => this.#sessionEnded(t),
      onExit: (t, idleError) => {
        this.#threads.delete(t);
        if (idleError !== undefined) for (const report of this.#users) report(idleError);
      },
    });
    this.#threads.add(thread);
    return thread;
  }

  /** Keeps `spareThreads` empty threads loaded while anyone uses the pool. A spare that fails is replaced by the next placement, not at once. */
  #keepSpares(): void {
    if (this.#users.size === 0) return;
    let spares = 0;
    for (const thread of this.#threads) if (thread.open && thread.sessions === 0) spares++;
    for (; spares < this.spareThreads; spares++) this.#spawn();
  }

  #sessionEnded(thread: WorkerThread): void {
    if (thread.sessions > 0) return;
    if (thread.draining) {
      void thread.terminate();
      return;
    }
    this.#idleTimer ??= setTimeout(() => this.#retireIdle(), IDLE_RETIRE_MS).unref();
  }

  /** Empty threads beyond the spares end. */
  #retireIdle(): void {
    this.#idleTimer = undefined;
    let spares = 0;
    for (const thread of this.#threads) {
      if (!thread.open || thread.sessions > 0) continue;
      if (++spares > this.spareThreads) void thread.terminate();
    }
  }
}
