import { beforeEach, describe } from 'vitest';
import { MemorySessionStore } from '../../src/store/session-store.js';
import { sessionStoreContract } from './store-contract.js';

describe('MemorySessionStore', () => {
  let store: MemorySessionStore | undefined;
  beforeEach(() => {
    store = undefined;
  });
  // One store per test, shared by its "instances": memory outlives nothing but the object.
  sessionStoreContract(() => (store ??= new MemorySessionStore()));
});
