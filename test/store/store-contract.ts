import { expect, it } from 'vitest';
import type { SessionCheckpoint, SessionStore } from '../../src/store/session-store.js';

export const CHECKPOINT: SessionCheckpoint = {
  sessionId: 'session-a',
  seq: 42,
  gatewayUrl: 'ws://127.0.0.1:1/websocket',
  recentIds: ['e1', 'e2'],
};

/**
 * What every SessionStore must do, run against each implementation. `open()` returns a store over the same
 * backing data each time it is called within one test (a new process, as far as the store can tell).
 */
export function sessionStoreContract(open: () => SessionStore | Promise<SessionStore>): void {
  it('has nothing for a shard never saved', async () => {
    const store = await open();
    expect(await store.load(0)).toBeNull();
    await store.close();
  });

  it('loads what was saved, per shard, in a new instance', async () => {
    const first = await open();
    await first.save(0, CHECKPOINT);
    await first.save(3, { ...CHECKPOINT, sessionId: 'session-d', seq: 7, gatewayUrl: null, recentIds: [] });
    await first.close();
    const second = await open();
    expect(await second.load(0)).toEqual(CHECKPOINT);
    expect(await second.load(3)).toEqual({ sessionId: 'session-d', seq: 7, gatewayUrl: null, recentIds: [] });
    expect(await second.load(1)).toBeNull();
    await second.close();
  });

  it('replaces a checkpoint, and clear() forgets one shard only', async () => {
    const store = await open();
    await store.save(0, CHECKPOINT);
    await store.save(1, CHECKPOINT);
    await store.save(0, { ...CHECKPOINT, seq: 43, recentIds: ['e2', 'e3'] });
    expect(await store.load(0)).toEqual({ ...CHECKPOINT, seq: 43, recentIds: ['e2', 'e3'] });
    await store.clear(0);
    expect(await store.load(0)).toBeNull();
    expect(await store.load(1)).toEqual(CHECKPOINT);
    await store.close();
  });

  it('keeps a copy: changing the saved object or a loaded one changes nothing stored', async () => {
    const store = await open();
    const mutable = { ...CHECKPOINT, recentIds: ['x'] };
    await store.save(0, mutable);
    mutable.recentIds.push('y');
    mutable.seq = 1000;
    const loaded = await store.load(0);
    expect(loaded).toEqual({ ...CHECKPOINT, recentIds: ['x'] });
    (loaded?.recentIds as string[]).push('z');
    expect((await store.load(0))?.recentIds).toEqual(['x']);
    await store.close();
  });

  it('saves issued back to back land in call order (the last one wins)', async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(0, { ...CHECKPOINT, seq: i })));
    expect((await store.load(0))?.seq).toBe(19);
    await store.close();
  });
}
