/**
 * The pending {@link FakeQQServer.waitFor} calls: each predicate is checked at once, on every `notify()` (the
 * fake's events) and every 20 ms. Internal to the testing kit.
 * @internal
 * @module
 */

const WAIT_FOR_POLL_MS = 20;

interface Waiter {
  check(): void;
  fail(err: Error): void;
}

export class FakeWaiters {
  readonly #waiters = new Set<Waiter>();

  /** Resolves once `predicate()` is true; rejects on timeout, when it throws, or at once when `closed`. */
  wait(predicate: () => boolean, timeoutMs: number, closed: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        check: (): void => {
          let done: boolean;
          try {
            done = predicate();
          } catch (err) {
            finish();
            reject(err);
            return;
          }
          if (done) {
            finish();
            resolve();
          }
        },
        fail: (err: Error): void => {
          finish();
          reject(err);
        },
      };
      const timeout = setTimeout(
        () => waiter.fail(new Error(`FakeQQServer.waitFor: timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const poll = setInterval(waiter.check, WAIT_FOR_POLL_MS);
      const finish = (): void => {
        clearTimeout(timeout);
        clearInterval(poll);
        this.#waiters.delete(waiter);
      };
      if (closed) return waiter.fail(new Error('FakeQQServer.waitFor: the fake is closed'));
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  /** Checks every pending predicate now. */
  notify(): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  /** Rejects every pending wait: the fake closed. */
  failAll(): void {
    for (const waiter of [...this.#waiters]) waiter.fail(new Error('FakeQQServer.waitFor: the fake was closed'));
  }
}
