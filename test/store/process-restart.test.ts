import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CHECKPOINT } from '../../src/store/checkpointer.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { HostProcess, killHosts, seqsOf, storeConfig } from './host-process.js';
import { runCleanups } from './redis-helpers.js';

/**
 * What one store round trip can add to the checkpoint batch: events acknowledged while the last write was
 * in flight. At 200 events/s and a loopback store that is a few events; this allows a slow, loaded machine.
 */
const IN_FLIGHT_SLACK = 40;

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await killHosts();
  await runCleanups(cleanups);
});

describe.each(['file', 'redis'] as const)('%s store, default options', (kind) => {
  it('kill -9 during a 200 events/s stream, restart → RESUME (no IDENTIFY), 0 lost, duplicates ≤ the batch and all flagged', async () => {
    const fake = await FakeQQServer.start();
    cleanups.push(() => fake.close());
    const config = { endpoints: fake.endpoints, store: await storeConfig(kind, cleanups) };

    const first = new HostProcess(config);
    await first.until((r) => r.some((x) => x.kind === 'ready'), 15_000, 'READY');
    const stream = fake.emitEvents(1_400, { ratePerSec: 200 });
    await first.until((r) => seqsOf(r).length >= 300, 15_000, '300 events');
    await first.signal('SIGKILL');
    const beforeKill = seqsOf(first.records);

    const second = new HostProcess(config);
    await second.until((r) => r.some((x) => x.kind === 'resumed' || x.kind === 'ready'), 15_000, 'a session');
    const sent = await stream;
    await second.until((r) => new Set([...beforeKill, ...seqsOf(r)]).size >= sent.length, 20_000, 'every event');

    expect(second.records.find((x) => x.kind === 'ready' || x.kind === 'resumed')?.kind).toBe('resumed');
    expect(fake.stats.identifies).toHaveLength(1);
    const delivered = new Set([...beforeKill, ...seqsOf(second.records)]);
    expect(sent.filter((seq) => !delivered.has(seq))).toEqual([]);
    // Within each process: in order, exactly once.
    const afterRestart = second.dispatches();
    expect(seqsOf(second.records)).toEqual([...new Set(seqsOf(second.records))].sort((a, b) => a - b));
    const seen = new Set(beforeKill);
    const duplicates = afterRestart.filter((r) => seen.has(r.seq as number));
    expect(duplicates.every((r) => r.redelivered === true)).toBe(true);
    expect(duplicates.length).toBeLessThanOrEqual(DEFAULT_CHECKPOINT.batchSize + IN_FLIGHT_SLACK);
    // Live events after the RESUMED are not flagged.
    const resumedAt = second.records.findIndex((x) => x.kind === 'resumed');
    expect(second.records.slice(resumedAt).filter((r) => r.kind === 'dispatch' && r.redelivered)).toEqual([]);
    expect(fake.stats.maxConcurrentPerSession).toBe(1);
  }, 90_000);
});
