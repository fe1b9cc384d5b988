import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { raceAbort } from '../../src/util/abort.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('raceAbort', () => {
  it('resolves with the work and leaves no listener on any signal', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const work = deferred<string>();
    const raced = raceAbort(work.promise, [a.signal, b.signal]);
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(1);
    work.resolve('done');
    expect(await raced).toBe('done');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(0);
  });

  it('passes the work’s rejection on and removes its listeners', async () => {
    const a = new AbortController();
    const work = deferred<string>();
    const raced = raceAbort(work.promise, [a.signal]);
    work.reject(new Error('boom'));
    await expect(raced).rejects.toThrow('boom');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason of the signal that aborts, removing the listeners of the others', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const work = deferred<string>();
    const raced = raceAbort(work.promise, [a.signal, b.signal]);
    b.abort('stop');
    await expect(raced).rejects.toBe('stop');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
    // The work goes on; its later rejection is handled (no unhandled rejection).
    work.reject(new Error('late'));
  });

  it('rejects at once for a signal already aborted, with the reason `reasonOf` makes', async () => {
    const a = new AbortController();
    a.abort('why');
    const raced = raceAbort(
      new Promise<never>(() => undefined),
      [a.signal],
      (s) => new Error(`aborted: ${String(s.reason)}`),
    );
    await expect(raced).rejects.toThrow('aborted: why');
  });

  it('returns the work itself when there is no signal', () => {
    const work = Promise.resolve(1);
    expect(raceAbort(work, [])).toBe(work);
  });
});
