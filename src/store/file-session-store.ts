import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ErrorCodes, QQBotError, errnoOf, invalidOption, storeUnavailable } from '../errors.js';
import { isObject } from '../options/checks.js';
import { boolean, resolve as resolveOptions, type OptionsOf } from '../options/schema.js';
import { checkpointFromStored, checkpointToStored, corrupt, parseStoredJson } from './checkpoint-codec.js';
import type { Fleet } from '../fleet/fleet.js';
import { FileLeases } from '../fleet/file-lock.js';
import { notHeld } from '../fleet/lease-lost.js';
import type { SessionCheckpoint, SessionStore } from './session-store.js';

const FILE_STORE = {
  /**
   * Ownership: one process at a time runs the sessions of this file, under an OS-level lock that dies with the
   * process (a Unix socket beside the file, `<path>.lock`; a named pipe on Windows). A second process on the same
   * host is a `'standby'` and takes over at once when the holder closes or dies. `false` opts out: two processes
   * on one file would run one session twice and overwrite each other's checkpoints (`QQBOT_SESSION_CONTESTED`
   * says when they fight).
   * @defaultValue `true`
   */
  lease: boolean({ default: true }),
};

export type FileSessionStoreOptions = OptionsOf<typeof FILE_STORE>;

/** The file's format marker: a later format can be told apart (and refused clearly) instead of misread. */
const FORMAT = 'qqbot-connector/session-store@1';

/** `fsync` of a directory is refused on some platforms (Windows): there the rename is as durable as it gets. */
const DIR_SYNC_UNSUPPORTED: ReadonlySet<string> = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EBADF']);

/**
 * Keeps every shard's checkpoint in one JSON file, so a restarted process on the same host RESUMEs its
 * sessions. Each write is atomic: the whole file is written to a temporary file beside it, flushed
 * (`fsync`), renamed over the old one and the directory flushed, so a crash at any instant leaves either the
 * old checkpoint or the new one, never a torn file. Writes are queued: one at a time, in call order.
 *
 * One process per file at a time, by default: a second process on the host (a rolling deploy's successor) waits
 * as a `'standby'` until the holder closes or dies, then RESUMEs its sessions. For processes on several hosts,
 * use `RedisSessionStore` from `qqbot-connector/redis`.
 *
 * A file that cannot be parsed makes `load()` reject with `QQBOT_STORE_CORRUPT` (the connector then starts a
 * new session and the next save replaces the file); an I/O failure is `QQBOT_STORE_UNAVAILABLE` (retryable).
 *
 * @example
 * ```ts
 * new QQBotConnector({ …, store: new FileSessionStore('/var/lib/mybot/qq-session.json') });
 * ```
 */
export class FileSessionStore implements SessionStore {
  /** The absolute path of the file. */
  readonly path: string;
  /** What is on disk (or about to be), once read: a write rewrites every shard. */
  #shards: Map<number, SessionCheckpoint> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #leases: FileLeases | undefined;
  /**
   * Present unless `lease: false`: the file's lock (the connector runs the file's shards only while it holds it).
   * Leases only: one process holds every shard, so its own IDENTIFY gate and shard count suffice.
   */
  readonly fleet?: Fleet;

  constructor(path: string, options: FileSessionStoreOptions = {}) {
    if (typeof path !== 'string' || path.trim() === '')
      throw invalidOption('Expected the FileSessionStore path to be a non-empty string');
    const { lease } = resolveOptions(FILE_STORE, options, 'FileSessionStore');
    this.path = resolve(path);
    if (lease) {
      // The holder before may have written since this process last read the file.
      this.#leases = new FileLeases(this.path, () => void this.#enqueue(async () => (this.#shards = undefined)));
      this.fleet = { leases: this.#leases };
    }
  }

  load(shard: number): Promise<SessionCheckpoint | null> {
    return this.#enqueue(async () => {
      const stored = (await this.#read()).get(shard);
      return stored === undefined ? null : checkpointToStored(stored);
    });
  }

  save(shard: number, checkpoint: SessionCheckpoint): Promise<void> {
    const copy = checkpointToStored(checkpoint);
    return this.#enqueue(async () => {
      const shards = new Map(await this.#readForWrite());
      shards.set(shard, copy);
      await this.#write(shards, shard);
    });
  }

  clear(shard: number): Promise<void> {
    return this.#enqueue(async () => {
      const current = await this.#readForWrite();
      if (!current.has(shard)) return;
      const shards = new Map(current);
      shards.delete(shard);
      await this.#write(shards, shard);
    });
  }

  /** Waits for queued writes, then gives up the lock; the file stays for the next process. */
  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
    await this.#leases?.releaseAll();
  }

  /** Runs `job` after every earlier one, whatever their outcome. */
  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<Map<number, SessionCheckpoint>> {
    if (this.#shards !== undefined) return this.#shards;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return (this.#shards = new Map());
      throw storeUnavailable(`read ${this.path}`, err, { path: this.path });
    }
    return (this.#shards = decodeFile(text, this.path));
  }

  /** A corrupt file is not kept alive: the checkpoint being written is newer than anything in it. */
  async #readForWrite(): Promise<Map<number, SessionCheckpoint>> {
    try {
      return await this.#read();
    } catch (err) {
      if (err instanceof QQBotError && err.code === ErrorCodes.STORE_CORRUPT) return new Map();
      throw err;
    }
  }

  async #write(shards: Map<number, SessionCheckpoint>, shard: number): Promise<void> {
    const text = JSON.stringify({ format: FORMAT, shards: Object.fromEntries(shards) });
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(text, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      // Checked last, right before the file changes: a process that lost the lock writes nothing.
      if (this.#leases !== undefined && !this.#leases.holds()) throw notHeld(shard);
      await rename(temp, this.path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      if (err instanceof QQBotError) throw err;
      throw storeUnavailable(`write ${this.path}`, err, { path: this.path });
    }
    this.#shards = shards;
    // The rename is in the file; the directory entry must reach the disk too.
    await syncDirectory(dirname(this.path)).catch((err: unknown) => {
      throw storeUnavailable(`flush the directory of ${this.path}`, err, { path: this.path });
    });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has(errnoOf(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

function decodeFile(text: string, path: string): Map<number, SessionCheckpoint> {
  const value = parseStoredJson(text, path);
  if (!isObject(value) || value.format !== FORMAT) throw corrupt(path, `not a ${FORMAT} file`);
  if (!isObject(value.shards)) throw corrupt(path, 'shards is not an object');
  const shards = new Map<number, SessionCheckpoint>();
  for (const [key, checkpoint] of Object.entries(value.shards)) {
    const shard = Number(key);
    if (!Number.isInteger(shard) || shard < 0 || String(shard) !== key)
      throw corrupt(path, 'a key of shards is not a shard number');
    shards.set(shard, checkpointFromStored(checkpoint, `${path} (shard ${shard})`));
  }
  return shards;
}
