import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';

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
  await writeFile(
    join(dir, 'app.mjs'),
    `import { QQBotConnector, Intents, ErrorCodes } from 'qqbot-connector';
import { FakeQQServer } from 'qqbot-connector/testing';
const fake = await FakeQQServer.start();
const bot = new QQBotConnector({ appId: 'test-app', secret: 'test-secret', intents: Intents.GROUP_AND_C2C_EVENT, endpoints: fake.endpoints });
const seen = [];
bot.on('dispatch', (e) => seen.push(e.data.n));
await bot.start();
await fake.emitEvents(3);
await fake.waitFor(() => seen.length === 3);
await bot.close();
await fake.close();
console.log(JSON.stringify({ seen, code: ErrorCodes.BOT_BANNED }));
`,
  );
  const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, timeout: 15_000 });
  expect(JSON.parse(stdout)).toEqual({ seen: [0, 1, 2], code: 'QQBOT_BOT_BANNED' });
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
