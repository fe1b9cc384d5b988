import { sweepDeadRuns } from './store/redis-helpers.js';

/**
 * Before the run and after it: the Redis keys of test processes that died before their afterEach are deleted (see
 * sweepDeadRuns). A run without Redis skips it; the tests that need Redis say so themselves.
 */
async function sweep(): Promise<void> {
  await sweepDeadRuns().catch(() => undefined);
}

export default async function setup(): Promise<() => Promise<void>> {
  await sweep();
  return sweep;
}
