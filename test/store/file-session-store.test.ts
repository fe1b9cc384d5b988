import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import { FileSessionStore } from '../../src/index.js';
import { CHECKPOINT, sessionStoreContract } from './store-contract.js';

/** The store alone, without a connector to take its lock: ownership off (test/store/file-lock.test.ts covers it). */
const RAW = { lease: false } as const;

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-file-store-'));
  file = join(dir, 'session.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<QQBotError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QQBotError);
  return err as QQBotError;
}

describe('FileSessionStore', () => {
  sessionStoreContract(() => new FileSessionStore(file, RAW));

  it('writes a versioned JSON file readable by the owner only, and leaves no temporary file', async () => {
    const store = new FileSessionStore(file, RAW);
    await Promise.all([store.save(0, CHECKPOINT), store.save(1, CHECKPOINT), store.clear(1)]);
    await store.close();
    expect(await readdir(dir)).toEqual(['session.json']);
    const written = JSON.parse(await readFile(file, 'utf8')) as { format: string; shards: Record<string, unknown> };
    expect(written).toEqual({ format: 'qqbot-connector/session-store@1', shards: { '0': CHECKPOINT } });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['truncated JSON', '{"format":"qqbot-connector/session-store@1","shards":{"0":{"sessio'],
    ['another format', '{"format":"something-else","shards":{}}'],
    [
      'a bad seq',
      JSON.stringify({ format: 'qqbot-connector/session-store@1', shards: { '0': { ...CHECKPOINT, seq: -1 } } }),
    ],
    ['a bad shard key', JSON.stringify({ format: 'qqbot-connector/session-store@1', shards: { x: CHECKPOINT } })],
    [
      'a deliveredSeq below seq',
      JSON.stringify({
        format: 'qqbot-connector/session-store@1',
        shards: { '0': { ...CHECKPOINT, deliveredSeq: 1 } },
      }),
    ],
    [
      'handedOver not a boolean',
      JSON.stringify({
        format: 'qqbot-connector/session-store@1',
        shards: { '0': { ...CHECKPOINT, handedOver: 'yes' } },
      }),
    ],
    [
      'recentIds of numbers',
      JSON.stringify({ format: 'qqbot-connector/session-store@1', shards: { '0': { ...CHECKPOINT, recentIds: [1] } } }),
    ],
  ])('a corrupt file (%s) → load rejects with QQBOT_STORE_CORRUPT; the next save replaces it', async (_what, text) => {
    await writeFile(file, text);
    const store = new FileSessionStore(file, RAW);
    const err = await rejection(store.load(0));
    expect(err.code).toBe(ErrorCodes.STORE_CORRUPT);
    expect(err.retryable).toBe(false);
    expect(err.details.where).toContain(file);
    await store.save(0, CHECKPOINT);
    expect(await new FileSessionStore(file, RAW).load(0)).toEqual(CHECKPOINT);
  });

  it('a path under a regular file → QQBOT_STORE_UNAVAILABLE (ENOTDIR), retryable; the store goes on working', async () => {
    await writeFile(join(dir, 'plain'), 'x');
    const broken = new FileSessionStore(join(dir, 'plain', 'session.json'), RAW);
    expect((await rejection(broken.load(0))).code).toBe(ErrorCodes.STORE_UNAVAILABLE);
    const err = await rejection(broken.save(0, CHECKPOINT));
    expect(err.code).toBe(ErrorCodes.STORE_UNAVAILABLE);
    expect(err.retryable).toBe(true);
    expect(err.details.errno).toBe('ENOTDIR');
    await rm(join(dir, 'plain'));
    await mkdir(join(dir, 'plain'));
    await broken.save(0, CHECKPOINT);
    expect(await new FileSessionStore(join(dir, 'plain', 'session.json'), RAW).load(0)).toEqual(CHECKPOINT);
  });

  it('a path that is a directory → QQBOT_STORE_UNAVAILABLE with the errno, never a crash', async () => {
    const store = new FileSessionStore(dir, RAW);
    const err = await rejection(store.load(0));
    expect(err.code).toBe(ErrorCodes.STORE_UNAVAILABLE);
    expect(err.details.errno).toBe('EISDIR');
    const saveErr = await rejection(store.save(0, CHECKPOINT));
    expect(saveErr.code).toBe(ErrorCodes.STORE_UNAVAILABLE);
  });

  it('refuses an empty path, and unknown or bad options, with QQBOT_INVALID_OPTION', () => {
    expect(() => new FileSessionStore('')).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }));
    expect(() => new FileSessionStore(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    const misspelt = expect.objectContaining({
      code: ErrorCodes.INVALID_OPTION,
      message: expect.stringContaining('lease'),
    });
    expect(() => new FileSessionStore(file, { leas: false } as never)).toThrow(misspelt);
    expect(() => new FileSessionStore(file, { lease: 'no' } as never)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
  });

  it('kill -9 in the middle of a stream of saves leaves the old or the new checkpoint, never a torn file', async () => {
    const storeModule = fileURLToPath(new URL('../../dist/src/store/file-session-store.js', import.meta.url));
    const script = `
      const { FileSessionStore } = await import(${JSON.stringify(storeModule)});
      const store = new FileSessionStore(${JSON.stringify(file)}, { lease: false });
      const ids = Array.from({ length: 500 }, (_, i) => 'event-' + i);
      for (let seq = 1; ; seq++) {
        await store.save(0, { sessionId: 's', seq, gatewayUrl: null, recentIds: ids });
        if (seq === 20) process.stdout.write('going\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the writer never got going')), 15_000);
        child.stdout.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const loaded = await new FileSessionStore(file, RAW).load(0);
    expect(loaded?.seq).toBeGreaterThanOrEqual(20);
    expect(loaded?.recentIds).toHaveLength(500);
  });
});
