import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as users install it: the file list `npm pack` would publish, and a CommonJS `require` of the packed
 * tarball. Uses the `dist/` that `npm test` built (`--ignore-scripts`: packing must not rebuild under a running
 * suite).
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-packed-'));
  const { stdout } = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, timeout: 60_000 });
  const [pack] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (pack === undefined) throw new Error('npm pack reported nothing');
  files = pack.files.map((f) => f.path).sort();
  // Unpack as npm would install it, and resolve its dependencies from this checkout's node_modules.
  const modules = join(dir, 'node_modules');
  await mkdir(modules);
  await run('tar', ['-xzf', join(dir, pack.filename), '-C', dir], { timeout: 30_000 });
  await rename(join(dir, 'package'), join(modules, 'qqbot-connector'));
  for (const dep of Object.keys(manifest.dependencies)) await symlink(join(root, 'node_modules', dep), join(modules, dep), 'dir');
}, 90_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm pack contents', () => {
  it('ships the build, its sources, the docs, README and LICENSE: nothing else at the top', () => {
    const tops = new Set(files.map((path) => (path.startsWith('dist/') ? path.split('/').slice(0, 2).join('/') : (path.split('/')[0] ?? path))));
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'dist/src', 'dist/workers', 'docs', 'package.json', 'src', 'workers']);
  });

  it('ships no tests, benches, examples or fixtures', () => {
    expect(files.filter((path) => /(^|\/)(test|tests|bench|examples|fixtures)\/|\.test\.|\.bench\./.test(path))).toEqual([]);
  });

  it('ships every entry point of the exports map and the bin', () => {
    const targets = Object.values(manifest.exports).flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.values(entry)));
    for (const target of [...targets, ...Object.values(manifest.bin), './dist/workers/attempt.js']) {
      expect(files, target).toContain(posix.normalize(target));
    }
  });

  it('every source map points at files that are shipped', () => {
    const maps = files.filter((path) => path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(files, `${map} → ${source}`).toContain(posix.join(posix.dirname(map), source));
    }
  });

  it('has no install-time script (npm warns about those on install); the build runs on prepack', () => {
    const packed = JSON.parse(readFileSync(join(dir, 'node_modules', 'qqbot-connector', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(packed.scripts?.[hook], hook).toBeUndefined();
    expect(manifest.scripts.prepack).toContain('npm run build');
  });
});

describe('the packed tarball, installed', () => {
  it('require() works from a CommonJS file: the root and testing entry points, worker thread included', async () => {
    await writeFile(
      join(dir, 'app.cjs'),
      `const { QQBotConnector, Intents, ErrorCodes } = require('qqbot-connector');
const { FakeQQServer } = require('qqbot-connector/testing');
(async () => {
  const fake = await FakeQQServer.start();
  const bot = new QQBotConnector({ appId: 'test-app', secret: 'test-secret', intents: Intents.GROUP_AND_C2C_EVENT, endpoints: fake.endpoints });
  const seen = [];
  bot.on('dispatch', (e) => seen.push(e.data.n));
  await bot.start();
  await fake.emitEvents(3);
  await fake.waitFor(() => seen.length === 3);
  await bot.close();
  await fake.close();
  console.log(JSON.stringify({ seen, code: ErrorCodes.BOT_BANNED, version: require('qqbot-connector/package.json').version }));
})();
`,
    );
    const { stdout } = await run(process.execPath, ['app.cjs'], { cwd: dir, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ seen: [0, 1, 2], code: 'QQBOT_BOT_BANNED', version: expect.any(String) });
  });

  it('import works too', async () => {
    await writeFile(join(dir, 'app.mjs'), `import { Intents } from 'qqbot-connector';\nconsole.log(typeof Intents.GROUP_AND_C2C_EVENT);\n`);
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, timeout: 20_000 });
    expect(stdout.trim()).toBe('number');
  });
});
