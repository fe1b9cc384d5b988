import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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

/**
 * An installed copy of the package whose node_modules holds the runtime dependencies and nothing else — as a
 * user who never installed `redis` or `prom-client` has it.
 */
async function installWithoutPeers(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-no-peers-'));
  const pkgDir = join(dir, 'node_modules', 'qqbot-connector');
  await mkdir(pkgDir, { recursive: true });
  await cp(join(root, 'dist'), join(pkgDir, 'dist'), { recursive: true });
  await cp(join(root, 'package.json'), join(pkgDir, 'package.json'));
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional: boolean }>;
  };
  expect(pkg.peerDependenciesMeta.redis?.optional).toBe(true);
  expect(pkg.peerDependenciesMeta['prom-client']?.optional).toBe(true);
  for (const name of Object.keys(pkg.dependencies))
    await symlink(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  return dir;
}

it('the root entry (FileSessionStore included) loads and works without the redis and prom-client packages', async () => {
  const cwd = await installWithoutPeers();
  await writeFile(
    join(cwd, 'app.mjs'),
    `import { FileSessionStore, QQBotConnector } from 'qqbot-connector';
const store = new FileSessionStore('./s.json', { lease: false });
await store.save(0, { sessionId: 's', seq: 1, gatewayUrl: null, recentIds: [] });
console.log(JSON.stringify({ seq: (await store.load(0)).seq, connector: typeof QQBotConnector }));
`,
  );
  const { stdout } = await run(process.execPath, ['app.mjs'], { cwd, timeout: 15_000 });
  expect(JSON.parse(stdout)).toEqual({ seq: 1, connector: 'function' });
});

it.each([
  ['qqbot-connector/redis', 'redis'],
  ['qqbot-connector/metrics', 'prom-client'],
])('%s without the %s package fails to load, naming the missing package', async (entry, peer) => {
  const cwd = await installWithoutPeers();
  await writeFile(join(cwd, 'app.mjs'), `await import('${entry}');\n`);
  const stderr = await run(process.execPath, ['app.mjs'], { cwd, timeout: 15_000 }).then(
    () => '',
    (err: { stderr: string }) => err.stderr,
  );
  expect(stderr).toContain('ERR_MODULE_NOT_FOUND');
  expect(stderr).toContain(`'${peer}'`);
});
