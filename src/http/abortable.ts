/**
 * Waits for `work` unless one of `signals` aborts first; then rejects with `reasonOf(signal)` (the signal's own
 * reason by default) and leaves `work` running, its rejection handled. The listeners are removed on every path,
 * so long-lived signals (a client's `close()` signal) collect nothing however many waits they see.
 */
export function raceAbort<T>(work: Promise<T>, signals: readonly AbortSignal[], reasonOf: (signal: AbortSignal) => unknown = (s) => s.reason): Promise<T> {
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
