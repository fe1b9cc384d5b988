import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ReadyEvent } from '../../src/events.js';
import { FileSessionStore } from '../../src/store/file-session-store.js';
import { nextEvent, useFakeQQ } from '../helpers.js';

const env = useFakeQQ();
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-stored-refused-'));
  file = join(dir, 'session.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a stored session the platform no longer knows: RESUME refused (op 9), then IDENTIFY, ready, and the store holds the new session', async () => {
  // A checkpoint left by an earlier process, for a session this platform never issued.
  await new FileSessionStore(file, { lease: false }).save(0, {
    sessionId: 'gone',
    seq: 5,
    gatewayUrl: null,
    recentIds: [],
  });
  const bot = env.make({ store: new FileSessionStore(file) });
  const ready = nextEvent<ReadyEvent>(bot, 'ready');
  await bot.start();
  const event = await ready;
  expect(event).toMatchObject({ shard: 0, newSession: true });
  const resumes = env.fake.stats.resumes;
  expect(resumes.length).toBeGreaterThanOrEqual(1);
  expect(resumes[0]).toMatchObject({ sessionId: 'gone', seq: 5 });
  expect(env.fake.stats.identifies).toHaveLength(1);
  const newId = env.fake.sessions[0]?.id;
  expect(newId).toEqual(expect.any(String));
  expect(newId).not.toBe('gone');
  expect(event.sessionId).toBe(newId);
  await bot.close();
  // close() flushed the checkpoint: the next process resumes the new session, not the refused one.
  expect(await new FileSessionStore(file).load(0)).toMatchObject({ sessionId: newId });
});
