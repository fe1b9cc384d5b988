import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI: the test suite runs after `npm run build`. */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliRun {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit, or rejects when the process is still running after `timeoutMs`. */
  exit(timeoutMs: number): Promise<Exit>;
  /** Resolves once stdout holds `count` complete lines (returned), or rejects after `timeoutMs`. */
  stdoutLines(count: number, timeoutMs: number): Promise<string[]>;
  /** Resolves once stderr matches `pattern`, or rejects after `timeoutMs`. */
  stderrMatches(pattern: RegExp, timeoutMs: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Waits for `ready()` to hold, re-checking on each output chunk and on exit; rejects after `timeoutMs`. */
function waitOn(child: ChildProcess, ready: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  if (ready()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
    };
    const check = (): void => {
      if (!ready()) return;
      cleanup();
      resolve();
    };
    const onExit = (): void => {
      // Output may still be buffered in the pipes: give it one turn before judging.
      setImmediate(() => {
        cleanup();
        if (ready()) resolve();
        else reject(new Error(`the CLI exited before ${what()}`));
      });
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
    }, timeoutMs);
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', onExit);
  });
}

/**
 * Starts `node dist/src/cli/main.js …args` with a clean environment: the caller's QQBOT_* variables are
 * dropped so a developer's credentials never switch a test to live mode.
 */
export function startCli(args: readonly string[], env: Record<string, string> = {}): CliRun {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('QQBOT_')));
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const lines = (): string[] => out.split('\n').slice(0, -1);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the CLI was still running after ${timeoutMs} ms\nstderr: ${err}`)),
          timeoutMs,
        );
      });
      return Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    },
    async stdoutLines(count, timeoutMs) {
      await waitOn(
        child,
        () => lines().length >= count,
        timeoutMs,
        () => `${count} stdout lines (have ${lines().length}; stderr: ${err})`,
      );
      return lines().slice(0, count);
    },
    stderrMatches(pattern, timeoutMs) {
      return waitOn(
        child,
        () => pattern.test(err),
        timeoutMs,
        () => `stderr to match ${pattern} (stderr: ${err})`,
      );
    },
  };
}

/** For afterEach: SIGKILLs every CLI process still running and waits until each has exited. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            running.delete(child);
            resolve();
            return;
          }
          child.once('exit', () => {
            running.delete(child);
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
}
