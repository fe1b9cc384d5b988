/**
 * The one module for waiting: sleeps, deadlines and aborts, and the full-jitter backoff formula. Every wait
 * releases its timer and its listeners on every path, so long-lived signals collect nothing however many waits
 * they see (undici's addSignal/removeSignal pair is the model).
 */

/** Waits `ms`; resolves true when the time passed, false at once if `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits for `work` unless one of `signals` aborts first; then rejects with `reasonOf(signal)` (the signal's own
 * reason by default) and leaves `work` running, its rejection handled.
 */
export function raceAbort<T>(
  work: Promise<T>,
  signals: readonly AbortSignal[],
  reasonOf: (signal: AbortSignal) => unknown = (s) => s.reason,
): Promise<T> {
  if (signals.length === 0) return work;
  const fired = signals.find((s) => s.aborted);
  if (fired !== undefined) {
    work.catch(() => undefined);
    return Promise.reject(reasonOf(fired));
  }
  return new Promise<T>((resolve, reject) => {
    const listeners = signals.map((s) => {
      const listener = (): void => {
        cleanup();
        work.catch(() => undefined);
        reject(reasonOf(s));
      };
      s.addEventListener('abort', listener, { once: true });
      return listener;
    });
    const cleanup = (): void => signals.forEach((s, i) => s.removeEventListener('abort', listeners[i] as () => void));
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err: unknown) => {
        cleanup();
        reject(err);
      },
    );
  });
}

/** Waits `ms` unless one of `signals` aborts first (then rejects with its reason); the timer is released either way. */
export async function sleepOrReject(ms: number, signals: readonly AbortSignal[]): Promise<void> {
  const done = new AbortController();
  try {
    await raceAbort(sleep(ms, done.signal), signals);
  } finally {
    done.abort();
  }
}

/** `work`'s outcome, or `late()`'s once `ms` passed first (return a rejection to fail). The timer is released on both paths. */
export function withDeadline<T>(work: Promise<T>, ms: number, late: () => T | PromiseLike<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Full-jitter exponential backoff: the `n`-th failure (1-based) waits a random time in
 * `[0, min(maxMs, baseMs · 2^(n-1))]`.
 */
export function fullJitterMs(n: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  // Cap the exponent: 2 ** 1024 is Infinity, and the cap is reached long before.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(n - 1, 0), 52));
  return Math.floor(random() * ceiling);
}
