import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { CONSUMER_OUTPUT, consumerApp } from './consumer-app.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string | undefined;

afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

it('another project can import qqbot-connector and qqbot-connector/testing, worker file included', async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-consumer-'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(root, join(dir, 'node_modules', 'qqbot-connector'), 'dir');
  await writeFile(join(dir, 'app.mjs'), consumerApp('import'));
  const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, timeout: 15_000 });
  expect(JSON.parse(stdout)).toEqual(CONSUMER_OUTPUT);
});

it('deep imports outside the exports map are refused', async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-consumer-'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(root, join(dir, 'node_modules', 'qqbot-connector'), 'dir');
  await writeFile(join(dir, 'deep.mjs'), `await import('qqbot-connector/dist/src/runners/worker-file.js');\n`);
  const failed = await run(process.execPath, ['deep.mjs'], { cwd: dir, timeout: 15_000 }).then(
    () => undefined,
    (err: { stderr: string }) => err.stderr,
  );
  expect(failed).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
});
