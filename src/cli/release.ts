/**
 * Runs each release step in order, every one even when an earlier one threw, then rethrows the first error:
 * one failed close must not leave the rest (a server, the signal handlers, a timer) keeping the process alive.
 */
export async function releaseInOrder(steps: ReadonlyArray<() => unknown>): Promise<void> {
  let failed: { error: unknown } | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failed ??= { error };
    }
  }
  if (failed !== undefined) throw failed.error;
}
