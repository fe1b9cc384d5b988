import { performance } from 'node:perf_hooks';
import type { TimerSet } from './fake-timers.js';

/**
 * The pacing of {@link FakeQQServer.emitEvents} into gateway sessions: batches as fast as possible, or events due
 * at a rate, until the count is reached, the signal aborts or the fake closes. Internal to the testing kit.
 * @internal
 * @module
 */

const EMIT_BATCH = 500;

/** What pacing needs from the fake: its timers, and the set of stops that `close()` calls. */
export interface PaceHost {
  readonly timers: TimerSet;
  readonly stoppers: Set<() => void>;
}

/**
 * Calls `emitUpTo(until, seqs)` (which dispatches and appends to `seqs` until it holds `until` of them) until
 * `total` were dispatched. Without `rate` the first 500 go synchronously and the rest in batches of 500 separated
 * by `setImmediate`; with it, event i is due at i / rate s and timers dispatch every due event. Resolves with the
 * seqs so far on abort or stop; rejects with what `emitUpTo` throws.
 */
export function pace(
  total: number,
  rate: number | undefined,
  signal: AbortSignal | undefined,
  host: PaceHost,
  emitUpTo: (until: number, seqs: number[]) => void,
): Promise<number[]> {
  const seqs: number[] = [];
  return new Promise<number[]>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) host.timers.clear(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      signal?.removeEventListener('abort', stop);
      host.stoppers.delete(stop);
      if (err === undefined) resolve(seqs);
      else reject(err);
    };
    const stop = (): void => settle();
    if (signal?.aborted === true) return settle();
    signal?.addEventListener('abort', stop, { once: true });
    host.stoppers.add(stop);
    const started = performance.now();
    const run = (): void => {
      timer = undefined;
      immediate = undefined;
      if (settled) return;
      try {
        const due =
          rate === undefined ? seqs.length + EMIT_BATCH : Math.floor(((performance.now() - started) * rate) / 1000) + 1;
        emitUpTo(Math.min(total, due), seqs);
      } catch (err) {
        return settle(err);
      }
      if (seqs.length >= total) return settle();
      if (rate === undefined) {
        immediate = setImmediate(run);
      } else {
        const wait = Math.max(0, Math.ceil((seqs.length * 1000) / rate - (performance.now() - started)));
        timer = host.timers.set(run, wait);
      }
    };
    run();
  });
}
