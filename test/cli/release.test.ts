import { describe, expect, it } from 'vitest';
import { releaseInOrder } from '../../src/cli/release.js';

describe('releaseInOrder', () => {
  it('runs every step in order even after one throws, then rethrows the first error', async () => {
    const ran: string[] = [];
    const release = releaseInOrder([
      () => ran.push('connector'),
      async () => {
        ran.push('fake');
        throw new Error('first');
      },
      () => {
        ran.push('status');
        throw new Error('second');
      },
      () => ran.push('signals'),
    ]);
    await expect(release).rejects.toThrow('first');
    expect(ran).toEqual(['connector', 'fake', 'status', 'signals']);
  });
});
