import type { QQBotError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { InProcessRunner } from '../runners/in-process-runner.js';
import type { AttemptRunner } from '../runners/runner.js';
import { ThreadPool } from '../runners/thread-pool.js';
import { ThreadRunner } from '../runners/thread-runner.js';

/**
 * Where a connector's attempts run, by the `runner` and `threads` options: in process, a runner of the host's own,
 * or worker threads of the shared pool, a pool of its own, or the host's pool. `report` hears of idle threads failing.
 */
export function chooseRunner(o: ResolvedOptions, report: (error: QQBotError) => void): AttemptRunner {
  if (o.runner === 'in-process') return new InProcessRunner();
  if (o.runner !== 'thread') return o.runner;
  // 'own': a thread per shard plus a spare, as if each bot were alone in its process.
  const pool =
    o.threads === 'shared'
      ? ThreadPool.shared(o.resourceLimits)
      : o.threads === 'own'
        ? new ThreadPool({
            sessionsPerThread: 1,
            ...(o.resourceLimits === undefined ? {} : { resourceLimits: o.resourceLimits }),
          })
        : o.threads;
  return new ThreadRunner({
    pool,
    watchdogMs: o.timeouts.watchdogMs,
    controlMs: o.timeouts.controlMs,
    onError: report,
  });
}
