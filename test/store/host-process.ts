import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REDIS_URL, deleteKeysUnder, uniquePrefix } from './redis-helpers.js';

const HOST = fileURLToPath(new URL('../fixtures/store-host.js', import.meta.url));

/** One line the host wrote (see test/fixtures/store-host.js). */
export interface HostRecord {
  kind: 'started' | 'up' | 'status' | 'dispatch' | 'ready' | 'resumed' | 'error' | 'fatal' | 'start-failed';
  shard?: number;
  /** A dispatch's event id (test/fixtures/webhook-replica.js). */
  id?: string;
  /** `up` of a webhook replica: the port it listens on. */
  port?: number;
  seq?: number;
  n?: number;
  redelivered?: boolean;
  sessionId?: string;
  code?: string;
  message?: string;
  /** `up` (start() resolved) and `status`: each shard's state, and `health().ok`. */
  states?: string[];
  ok?: boolean;
  /** Date.now() in the host when it wrote the line. */
  at: number;
}

/** The seqs of the dispatches among `records`, in the order the host delivered them. */
export const seqsOf = (records: HostRecord[]): number[] =>
  records.filter((r) => r.kind === 'dispatch').map((r) => r.seq as number);

/** A predicate for `until()`: some line of this kind. */
export const has =
  (kind: HostRecord['kind']) =>
  (records: HostRecord[]): boolean =>
    records.some((r) => r.kind === kind);

/** A host's store of `kind` with default options: a fresh file path or Redis prefix, its removal pushed to `cleanups`. */
export async function storeConfig(kind: 'file' | 'redis', cleanups: (() => Promise<unknown>)[]): Promise<object> {
  if (kind === 'file') {
    const dir = await mkdtemp(join(tmpdir(), 'qqbot-host-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return { kind: 'file', path: join(dir, 'session.json') };
  }
  const prefix = uniquePrefix();
  cleanups.push(() => deleteKeysUnder(prefix));
  return { kind: 'redis', url: REDIS_URL, prefix };
}

const running = new Set<HostProcess>();

/** A host process whose JSON lines are collected; `until()` waits for a condition on them, bounded in time. */
export class HostProcess {
  readonly child: ChildProcess;
  readonly records: HostRecord[] = [];
  readonly exited: Promise<void>;
  #stderr = '';
  readonly #waiters = new Set<() => void>();

  /**
   * `launch.script`: another host fixture writing the same kind of lines (test/fixtures/webhook-replica.js);
   * `launch.execArgv` and `launch.env`: the host's own node flags and environment (the test process's by default).
   */
  constructor(config: object, launch: { script?: string; execArgv?: readonly string[]; env?: NodeJS.ProcessEnv } = {}) {
    const args = [...(launch.execArgv ?? []), launch.script ?? HOST, JSON.stringify(config)];
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: launch.env ?? process.env });
    running.add(this);
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.records.push(JSON.parse(line) as HostRecord);
      this.#waiters.forEach((w) => w());
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('close', () => {
        running.delete(this);
        this.#waiters.forEach((w) => w());
        resolve();
      }),
    );
  }

  dispatches(): HostRecord[] {
    return this.records.filter((r) => r.kind === 'dispatch');
  }

  /** Resolves once `predicate(records)` holds; rejects after `timeoutMs` or if the process exits first. */
  until(predicate: (records: HostRecord[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.records)) {
          done();
          resolve();
        } else if (this.exitedNow()) {
          done();
          reject(new Error(`the host exited before ${what}; ${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        unwatch();
      };
      const unwatch = this.watch(check);
      check();
    });
  }

  /** Calls `check` after each line the host writes, and when it exits; returns the function that stops it. */
  watch(check: () => void): () => void {
    this.#waiters.add(check);
    return () => this.#waiters.delete(check);
  }

  exitedNow(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Its stderr and last lines, for a failure message. */
  tail(): string {
    return `stderr: ${this.#stderr}; last: ${JSON.stringify(this.records.slice(-3))}`;
  }

  /** The host's answer to `status` on its stdin: each shard's state and `health().ok`, right now. */
  async status(timeoutMs = 10_000): Promise<{ states: string[]; ok: boolean }> {
    const from = this.records.length;
    this.child.stdin?.write('status\n');
    await this.until((r) => r.slice(from).some((x) => x.kind === 'status'), timeoutMs, 'a status line');
    const answer = this.records.slice(from).find((x) => x.kind === 'status') as HostRecord;
    return { states: answer.states ?? [], ok: answer.ok === true };
  }

  /** Sends `signal` and, for one that ends the process, waits until it is gone. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await this.exited;
  }
}

/**
 * Resolves once `predicate()` holds, checked after each line any of `hosts` writes (a condition over a fleet);
 * rejects after `timeoutMs`.
 */
export function untilFleet(
  hosts: readonly HostProcess[],
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!predicate()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${hosts.map((h) => h.tail()).join(' | ')}`),
      );
    }, timeoutMs);
    const unwatch = hosts.map((h) => h.watch(check));
    const done = (): void => {
      clearTimeout(timer);
      unwatch.forEach((stop) => stop());
    };
    check();
  });
}

/** For afterEach: SIGKILLs (after SIGCONT, for a stopped one) every host still running, and waits for each. */
export async function killHosts(): Promise<void> {
  await Promise.all(
    [...running].map(async (host) => {
      host.child.kill('SIGCONT');
      await host.signal('SIGKILL');
    }),
  );
}
