import { ExitCodes } from './io.js';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'duration' | 'fatal' | 'output-closed';

export interface StopSignal {
  /** Aborted on the first stop request; `signal.reason` is the {@link StopReason}. */
  readonly signal: AbortSignal;
  /** Resolves with the reason of the first stop request. */
  readonly stopped: Promise<StopReason>;
  /** Requests a stop from inside the program (fatal error, stdout closed). */
  stop(reason: StopReason): void;
  /** Stops with reason `'duration'` after `ms` ms (`--duration`). */
  stopAfter(ms: number): void;
  /** Removes the signal handlers and the duration timer, so nothing of ours keeps the process alive. */
  dispose(): void;
}

export interface StopSignalOptions {
  /** Called on a second SIGINT/SIGTERM while the graceful stop is still running. */
  onForce(signal: NodeJS.Signals): void;
}

/**
 * One place that turns SIGINT, SIGTERM and `--duration` ({@link StopSignal.stopAfter}) into a graceful stop. The first signal starts the
 * stop; a second one while it runs calls `onForce` (the user insists).
 */
export function createStopSignal({ onForce }: StopSignalOptions): StopSignal {
  const controller = new AbortController();
  let resolveStopped!: (reason: StopReason) => void;
  const stopped = new Promise<StopReason>((resolve) => {
    resolveStopped = resolve;
  });
  const stop = (reason: StopReason): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    resolveStopped(reason);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) onForce(signal);
    else stop(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let timer: NodeJS.Timeout | undefined;
  return {
    signal: controller.signal,
    stopped,
    stop,
    stopAfter(ms) {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => stop('duration'), ms);
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The CLI's `onForce`: a second signal during the graceful stop says so on `stderr` and exits at once with code 130. */
export function exitOnForce(stderr: NodeJS.WritableStream): (signal: NodeJS.Signals) => void {
  return (signal) => {
    stderr.write(`\n${signal} again: exiting without a clean stop\n`);
    process.exit(ExitCodes.FORCED);
  };
}

/**
 * A closed stdout (`… | head`) is a request to stop, not a crash: a write error on `stdout` stops with reason
 * `'output-closed'` (EPIPE silently, anything else with a line through `say`). The listener stays for the life
 * of the process, so a write after the stop (the demo's summary) cannot become an uncaught error either.
 */
export function stopOnOutputClosed(stdout: NodeJS.WritableStream, stop: StopSignal, say: (text: string) => void): void {
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') say(`stdout failed (${err.code ?? err.message}); stopping`);
    stop.stop('output-closed');
  });
}
