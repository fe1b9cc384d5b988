import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rmdir, stat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { errnoOf, invalidOption, storeUnavailable, type QQBotError } from '../errors.js';
import { sleep } from '../util/abort.js';
import { leaseLost } from './lease-lost.js';
import type { LeaseWait, ShardLease, ShardLeases } from './leases.js';

/** The longest socket path every platform binds (`sun_path` is 104 bytes on macOS, 108 on Linux, NUL included). */
const MAX_SOCKET_PATH = 100;
/** How often the holder checks that the socket file is still its own, and a waiter without news tries again. */
const CHECK_MS = 1_000;
/** A waiter whose try failed (permissions, a full disk) tries again this soon: the shard is `'idle'` meanwhile. */
const RETRY_MS = 250;
/** A refused connection is asked again after this: a holder is refused for the instant between bind and listen. */
const REFUSED_AGAIN_MS = 50;
/** A reaper's guard directory older than this was left by a process that died inside it. */
const STALE_GUARD_MS = 5_000;

const IS_WINDOWS = process.platform === 'win32';

/** Where the lock of the store file `path` lives: a Unix socket beside it, or a named pipe on Windows. */
function lockAddress(path: string): string {
  if (IS_WINDOWS) return `\\\\.\\pipe\\qqbot-connector-${createHash('sha256').update(path).digest('hex').slice(0, 32)}`;
  const address = `${path}.lock`;
  if (Buffer.byteLength(address) > MAX_SOCKET_PATH) {
    throw invalidOption(
      `FileSessionStore: the lock socket ${address} is longer than ${MAX_SOCKET_PATH} bytes (a system limit); ` +
        'use a shorter path, or pass { lease: false } to run without ownership',
    );
  }
  return address;
}

/** The lock, held: a listening socket the kernel closes when the process dies, however it dies. */
class Hold {
  readonly lost = new AbortController();
  readonly #server: Server;
  readonly #address: string;
  /** The socket file's inode (undefined for a Windows pipe): another file at the path means the lock was taken away. */
  readonly #inode: number | undefined;
  readonly #peers = new Set<Socket>();
  readonly #timer: NodeJS.Timeout;

  constructor(server: Server, address: string, inode: number | undefined) {
    this.#server = server;
    this.#address = address;
    this.#inode = inode;
    // Waiters connect to learn the lock is held, and stay connected: our exit (or release) closes them at once.
    server.on('connection', (peer) => {
      this.#peers.add(peer);
      peer.on('error', () => undefined);
      peer.on('close', () => this.#peers.delete(peer));
    });
    server.on('error', () => this.#lose('the lock socket failed'));
    this.#timer = setInterval(() => void this.#check(), CHECK_MS);
    this.#timer.unref();
  }

  /** Gives the lock up: the socket file goes with the server (libuv unlinks it), waiters are woken. */
  async release(): Promise<void> {
    const replaced = this.lost.signal.aborted;
    this.#lose('released');
    for (const peer of this.#peers) peer.destroy();
    // Never close a server whose path another process now owns: closing unlinks the path, theirs by then.
    if (replaced) this.#server.unref();
    else await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Another file at the path (removed by hand, or a reaper that judged us dead): the lock is not ours any more. */
  async #check(): Promise<void> {
    if (this.#inode === undefined || this.lost.signal.aborted) return;
    const inode = await stat(this.#address).then(
      (s) => s.ino,
      () => undefined,
    );
    if (inode !== this.#inode) this.#lose('its lock file was removed or replaced');
  }

  #lose(why: string): void {
    clearInterval(this.#timer);
    if (!this.lost.signal.aborted) this.lost.abort(why);
  }
}

/** One try for the lock: ours, another live process's (the connection to it stays open to hear it go), or failed. */
type Try = { kind: 'held'; hold: Hold } | { kind: 'other'; holder: Socket } | { kind: 'failed'; cause: unknown };

function listen(server: Server, address: string): Promise<unknown> {
  return new Promise((resolve) => {
    server.once('error', resolve);
    server.listen(address, () => {
      server.off('error', resolve);
      resolve(undefined);
    });
  });
}

/** Connects to the holder's socket: the socket, or the errno that says why not (`ECONNREFUSED`: nobody listens). */
function probe(address: string): Promise<Socket | string> {
  return new Promise((resolve) => {
    const socket = connect(address);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    const onError = (err: unknown): void => {
      socket.destroy();
      resolve(errnoOf(err) ?? 'EUNKNOWN');
    };
    socket.once('error', onError);
  });
}

function inodeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => s.ino,
    () => undefined,
  );
}

/** One shard's share of the process's hold. */
class FileShardLease implements ShardLease {
  readonly shard: number;
  readonly token: string;
  readonly #controller = new AbortController();
  readonly #onRelease: () => Promise<void>;

  constructor(shard: number, token: string, hold: Hold, onRelease: () => Promise<void>) {
    this.shard = shard;
    this.token = token;
    this.#onRelease = onRelease;
    const follow = (): void => this.#end(String(hold.lost.signal.reason));
    if (hold.lost.signal.aborted) follow();
    else hold.lost.signal.addEventListener('abort', follow, { once: true });
  }

  get lost(): AbortSignal {
    return this.#controller.signal;
  }

  held(): boolean {
    return !this.#controller.signal.aborted;
  }

  async release(): Promise<void> {
    if (this.#controller.signal.aborted) return;
    this.#end('released');
    await this.#onRelease();
  }

  #end(why: string): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(leaseLost(this.shard, why));
  }
}

/**
 * Ownership of one store file, by an OS-level lock that dies with its process: the holder listens on a Unix
 * socket beside the file (a named pipe on Windows). The kernel closes it however the process ends (`kill -9`
 * included), so a waiter connected to it hears the end at once and binds the path itself. A socket file left by a
 * dead process refuses connections: a waiter removes it (under a guard directory, so two waiters never remove a
 * new holder's file) and binds. A stopped process (`SIGSTOP`) still holds its socket, and keeps the lock: a pause
 * never gives a session to a second process. One process holds every shard of the file
 * (docs/design-notes.md "The file store's lock").
 */
export class FileLeases implements ShardLeases {
  readonly maxShards = Number.MAX_SAFE_INTEGER;
  readonly #path: string;
  readonly #address: string;
  readonly #onAcquired: () => void;
  readonly #owner = `${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #leases = new Map<number, FileShardLease>();
  #hold: Hold | undefined;
  #trying: Promise<Try> | undefined;

  /** `onAcquired`: the lock was just taken; what the store cached may be stale (the holder before wrote since). */
  constructor(path: string, onAcquired: () => void) {
    this.#path = path;
    this.#address = lockAddress(path);
    this.#onAcquired = onAcquired;
  }

  /** True while this process surely holds the lock: checked before every write. */
  holds(): boolean {
    return this.#hold !== undefined && !this.#hold.lost.signal.aborted;
  }

  async acquire(
    shard: number,
    signal: AbortSignal,
    onWaiting?: (kind: LeaseWait) => void,
    onError?: (error: QQBotError) => void,
  ): Promise<ShardLease | undefined> {
    let waiting: LeaseWait = 'idle';
    let reported: string | undefined;
    while (!signal.aborted) {
      const hold = this.#hold;
      if (hold !== undefined && !hold.lost.signal.aborted) {
        const lease: FileShardLease = new FileShardLease(shard, `${this.#owner}:${shard}`, hold, (): Promise<void> =>
          this.#released(shard, lease),
        );
        this.#leases.set(shard, lease);
        return lease;
      }
      // A hold lost (its file replaced): let it go before trying again.
      if (hold !== undefined) void this.#drop();
      // Every shard of the process waits on the same try.
      this.#trying ??= this.#try().finally(() => (this.#trying = undefined));
      const result = await this.#trying;
      if (result.kind === 'held') continue;
      const kind: LeaseWait = result.kind === 'other' ? 'standby' : 'idle';
      if (kind !== waiting) onWaiting?.((waiting = kind));
      if (result.kind === 'other') {
        reported = undefined;
        await this.#untilGone(result.holder, signal);
        continue;
      }
      // Not even tried (no directory, no permission): said once per cause, and tried again.
      const errno = errnoOf(result.cause) ?? 'EUNKNOWN';
      if (errno !== reported)
        onError?.(storeUnavailable(`take its lock ${this.#address}`, result.cause, { path: this.#path }));
      reported = errno;
      await sleep(RETRY_MS, signal);
    }
    return undefined;
  }

  /** close(): every shard's lease given up, and the lock with them. */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.#leases.values()].map((lease) => lease.release()));
    if (this.#leases.size === 0) await this.#drop();
  }

  async #released(shard: number, lease: FileShardLease): Promise<void> {
    if (this.#leases.get(shard) === lease) this.#leases.delete(shard);
    if (this.#leases.size === 0) await this.#drop();
  }

  async #drop(): Promise<void> {
    const hold = this.#hold;
    this.#hold = undefined;
    await hold?.release();
  }

  /** Waits until the holder's socket closes (it released, or died), or `CHECK_MS` without news (then asks again). */
  async #untilGone(holder: Socket, signal: AbortSignal): Promise<void> {
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    holder.once('close', onClose);
    signal.addEventListener('abort', onClose, { once: true });
    await sleep(CHECK_MS, gone.signal);
    holder.off('close', onClose);
    signal.removeEventListener('abort', onClose);
    holder.destroy();
  }

  async #try(): Promise<Try> {
    // Twice at most: a stale socket removed, or the path freed between the bind and the probe.
    for (let round = 0; round < 2; round++) {
      const server = createServer();
      const failure = await listen(server, this.#address);
      if (failure === undefined) {
        this.#hold = new Hold(server, this.#address, IS_WINDOWS ? undefined : await inodeOf(this.#address));
        this.#onAcquired();
        return { kind: 'held', hold: this.#hold };
      }
      if (errnoOf(failure) !== 'EADDRINUSE') return { kind: 'failed', cause: failure };
      const inode = IS_WINDOWS ? undefined : await inodeOf(this.#address);
      const holder = await this.#probeTwice();
      if (typeof holder !== 'string') return { kind: 'other', holder };
      if (holder === 'ECONNREFUSED' && inode !== undefined) await this.#reap(inode);
      else if (holder !== 'ENOENT')
        return {
          kind: 'failed',
          cause: Object.assign(new Error(`connecting to the lock failed (${holder})`), { code: holder }),
        };
    }
    return {
      kind: 'failed',
      cause: Object.assign(new Error('the lock was taken and freed again meanwhile'), { code: 'EAGAIN' }),
    };
  }

  /** A live holder is refused only for the instant between its bind and its listen: ask twice before calling it dead. */
  async #probeTwice(): Promise<Socket | string> {
    const first = await probe(this.#address);
    if (first !== 'ECONNREFUSED') return first;
    await new Promise((resolve) => setTimeout(resolve, REFUSED_AGAIN_MS));
    return probe(this.#address);
  }

  /**
   * Removes the socket file a dead process left, if it is still the one probed (same inode). The guard directory
   * makes the check and the removal one step among waiters: without it, a slow waiter could remove the file a
   * faster one had just bound.
   */
  async #reap(inode: number): Promise<void> {
    const guard = `${this.#address}.reap`;
    try {
      await mkdir(guard);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') return;
      // A reaper that died inside its guard leaves it: past STALE_GUARD_MS nobody is inside any more.
      const age = await stat(guard).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_GUARD_MS) await rmdir(guard).catch(() => undefined);
      return;
    }
    try {
      if ((await inodeOf(this.#address)) === inode) await unlink(this.#address).catch(() => undefined);
    } finally {
      await rmdir(guard).catch(() => undefined);
    }
  }
}
