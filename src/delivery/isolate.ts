/**
 * Calls every listener with `args` even when one throws or returns a rejected promise: each failure goes to
 * `onThrew` and the others still run (plain `emit` would stop at the first throw). Returns a promise only when
 * some listener returned one — it settles when they all have — so the synchronous path allocates nothing.
 */
export function callIsolated(
  listeners: readonly ((...args: never[]) => unknown)[],
  thisArg: unknown,
  args: readonly unknown[],
  onThrew: (err: unknown) => void,
): Promise<void> | undefined {
  let pending: Promise<unknown>[] | undefined;
  for (const listener of listeners) {
    try {
      const result = (listener as (...a: unknown[]) => unknown).apply(thisArg, args as unknown[]);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (pending ??= []).push(Promise.resolve(result).catch(onThrew));
      }
    } catch (err) {
      onThrew(err);
    }
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
}
