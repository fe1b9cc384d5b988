import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeQQServer } from '../../src/testing/index.js';
import { HostProcess, killHosts } from '../store/host-process.js';

// Production hosts run Node with their own flags. Node refuses V8 and process-wide flags in a worker thread
// (ERR_WORKER_INVALID_EXEC_ARGV), so a worker that inherited the host's flags could not start at all; nor could
// one that ran the host's preloads (this one throws in a worker thread).

const PRELOAD = fileURLToPath(new URL('../fixtures/main-thread-preload.js', import.meta.url));

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await killHosts();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const HOSTS: [string, { execArgv?: string[]; nodeOptions?: string }][] = [
  ['--max-old-space-size=512', { execArgv: ['--max-old-space-size=512'] }],
  ['--stack-size=900', { execArgv: ['--stack-size=900'] }],
  ['--title=qqbot-host', { execArgv: ['--title=qqbot-host'] }],
  ['--expose-gc', { execArgv: ['--expose-gc'] }],
  ['--max-semi-space-size=16', { execArgv: ['--max-semi-space-size=16'] }],
  ['--import of a preload for the main thread only', { execArgv: ['--import', PRELOAD] }],
  [
    'NODE_OPTIONS with heap, semi-space and title flags',
    { nodeOptions: '--max-old-space-size=512 --max-semi-space-size=16 --title=qqbot-host' },
  ],
];

describe('a host started with node flags, default options', () => {
  it.each(HOSTS)(
    '%s: start() resolves and events are delivered in order',
    async (_name, launch) => {
      const fake = await FakeQQServer.start();
      cleanups.push(() => fake.close());
      const env = launch.nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: launch.nodeOptions };
      const host = new HostProcess({ endpoints: fake.endpoints }, { execArgv: launch.execArgv ?? [], env });
      await host.until(
        (r) => r.some((x) => x.kind === 'up' || x.kind === 'start-failed' || x.kind === 'fatal'),
        20_000,
        'start() to settle',
      );
      expect(host.records.filter((x) => x.kind === 'start-failed' || x.kind === 'fatal' || x.kind === 'error')).toEqual(
        [],
      );
      const sent = await fake.emitEvents(20);
      await host.until((r) => r.filter((x) => x.kind === 'dispatch').length >= sent.length, 15_000, 'every event');
      expect(host.dispatches().map((r) => r.seq)).toEqual(sent);
      expect(fake.stats.identifies).toHaveLength(1);
    },
    40_000,
  );
});
