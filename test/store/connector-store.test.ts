import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { FileSessionStore } from '../../src/store/file-session-store.js';
import type { DispatchEvent } from '../../src/events.js';
import { useFakeQQ } from '../helpers.js';

const env = useFakeQQ();
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-connector-store-'));
  file = join(dir, 'session.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function storedSeq(): Promise<number | undefined> {
  return (await new FileSessionStore(file).load(0))?.seq;
}

it('the stored seq is the acknowledged one: it waits for a listener’s promise, then catches up', async () => {
  const bot = env.make({ store: new FileSessionStore(file), checkpoint: { batchSize: 1, intervalMs: 10 } });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const seen: DispatchEvent[] = [];
  // A listener may return a promise: the event is acknowledged once it settles (EventEmitter's type says void).
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  bot.on('dispatch', (e) => {
    seen.push(e);
    // The third event's handling takes a while (an async listener).
    return seen.length === 3 ? held : undefined;
  });
  await bot.start();
  const seqs = await env.fake.emitEvents(5);
  await env.fake.waitFor(() => seen.length === 5);
  await vi.waitFor(async () => expect(await storedSeq()).toBe(seqs[1]), { timeout: 5_000, interval: 20 });
  // Twenty checkpoint intervals later it has not moved past the event still being handled.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await storedSeq()).toBe(seqs[1]);
  release();
  await vi.waitFor(async () => expect(await storedSeq()).toBe(seqs[4]), { timeout: 5_000, interval: 20 });
  await bot.close();
  // close() flushed; the file holds the session for the next process.
  expect(JSON.parse(await readFile(file, 'utf8')).shards['0']).toMatchObject({
    sessionId: expect.any(String),
    seq: seqs[4],
  });
});

it('a corrupt store file: QQBOT_STORE_CORRUPT on "error", a new session (READY), and the file is replaced', async () => {
  await writeFile(file, '{"format": "qqbot-connector/session-store@1", "shards": {"0": {"sessionId": 42}}}');
  const bot = env.make({ store: new FileSessionStore(file) });
  const errors: QQBotError[] = [];
  bot.on('error', (e) => errors.push(e));
  const ready = new Promise((resolve) => bot.once('ready', resolve));
  await bot.start();
  await ready;
  expect(errors.map((e) => e.code)).toContain(ErrorCodes.STORE_CORRUPT);
  expect(env.fake.stats.identifies).toHaveLength(1);
  await bot.close();
  expect(await new FileSessionStore(file).load(0)).toMatchObject({ sessionId: env.fake.sessions[0]?.id });
});

it('close() hands over (the next connector on the file RESUMEs); close({ endSession: true }) ends it (cleared, the next IDENTIFYs)', async () => {
  const first = env.make({ store: new FileSessionStore(file) });
  await first.start();
  await env.fake.emitEvents(3);
  await first.close();
  // The lock's socket (`session.json.lock`) goes with it: nothing left beside the file.
  expect(await readdir(dir)).toEqual(['session.json']);
  expect(await new FileSessionStore(file).load(0)).toMatchObject({ handedOver: true });
  const second = env.make({ store: new FileSessionStore(file) });
  const resumed = new Promise((resolve) => second.once('resumed', resolve));
  await second.start();
  await resumed;
  expect(env.fake.stats.identifies).toHaveLength(1);
  await second.close({ endSession: true });
  expect(await new FileSessionStore(file).load(0)).toBeNull();
  const third = env.make({ store: new FileSessionStore(file) });
  const ready = new Promise((resolve) => third.once('ready', resolve));
  await third.start();
  await ready;
  expect(env.fake.stats.identifies).toHaveLength(2);
  await third.close();
});

it('a file store whose lock cannot be made (no such directory): QQBOT_STORE_UNAVAILABLE once, the shard idle, unhealthy', async () => {
  const missing = join(dir, 'no-such-dir', 'session.json');
  const bot = env.make({ store: new FileSessionStore(missing) });
  const errors: QQBotError[] = [];
  bot.on('error', (e) => errors.push(e));
  const started = bot.start();
  started.catch(() => undefined);
  await vi.waitFor(() => expect(errors.map((e) => e.code)).toContain(ErrorCodes.STORE_UNAVAILABLE), {
    timeout: 5_000,
    interval: 20,
  });
  expect(errors[0]?.details).toMatchObject({ path: missing, errno: expect.any(String) });
  expect(bot.health()).toMatchObject({ ok: false, shards: [{ state: 'idle' }] });
  // Tried again every 250 ms, reported once per cause.
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(errors).toHaveLength(1);
  await bot.close();
  await expect(started).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
});

it('refuses unknown or bad checkpoint options with QQBOT_INVALID_OPTION', () => {
  expect(() => env.make({ checkpoint: { batch: 1 } as never })).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
  expect(() => env.make({ checkpoint: { intervalMs: 0 } })).toThrow(
    expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
  );
});
