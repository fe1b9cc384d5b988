import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { WORKER_EXEC_ARGV } from '../../src/runners/worker-thread.js';

// Terminating a pool thread while Node's require(esm) was loading the worker file aborted the whole host
// process (SIGABRT), e.g. when a fatal error closed the connector right after start().

it('loads the worker file with import(), not require(esm), where Node has both', () => {
  if (process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')) {
    expect(WORKER_EXEC_ARGV).toContain('--no-experimental-require-module');
  }
  // None of the host's flags: Node refuses V8 and process-wide ones in a worker (test/integration/host-flags.test.ts).
  expect(WORKER_EXEC_ARGV.filter((flag) => flag !== '--no-experimental-require-module')).toEqual([]);
});

it('a host that closes pools while their threads are starting is never aborted', async () => {
  const script = `
    import { ThreadPool } from ${JSON.stringify(new URL('../../dist/src/runners/thread-pool.js', import.meta.url).href)};
    const workerFile = ${JSON.stringify(fileURLToPath(new URL('../../dist/workers/attempt.js', import.meta.url)))};
    for (let i = 0; i < 40; i++) {
      const pool = new ThreadPool({}, workerFile);
      const user = () => {};
      pool.acquire(user);
      await new Promise((resolve) => setTimeout(resolve, (i * 37) % 120));
      await pool.release(user);
    }
    console.log('survived');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 30_000,
  });
  expect(stdout.trim()).toBe('survived');
}, 40_000);
