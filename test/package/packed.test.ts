import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_OUTPUT, consumerApp } from './consumer-app.js';

/**
 * The package as users install it: `npm pack`, scripts and all (prepack builds and strips `prepare`, postpack puts
 * it back), run in a copy of this checkout so the running suite's dist/ is left alone; then the file list it
 * published, and a CommonJS `require` of the tarball, unpacked as npm installs it.
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
/** What a build and a pack read; the copy gets these and this checkout's node_modules. */
const SOURCES = [
  'package.json',
  'package-lock.json',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'tsconfig.json',
  'tsconfig.build.json',
  'docs',
  'src',
  'workers',
  'examples',
  'scripts',
];

let dir: string;
let checkout: string;
let installed: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-packed-'));
  checkout = join(dir, 'checkout');
  for (const entry of SOURCES) await cp(join(root, entry), join(checkout, entry), { recursive: true });
  await symlink(join(root, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: checkout, timeout: 240_000 });
  const [pack] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (pack === undefined) throw new Error('npm pack reported nothing');
  files = pack.files.map((f) => f.path).sort();
  // Unpack as npm would install it, and resolve its dependencies from this checkout's node_modules.
  const modules = join(dir, 'app', 'node_modules');
  await mkdir(modules, { recursive: true });
  await run('tar', ['-xzf', join(dir, pack.filename), '-C', dir], { timeout: 30_000 });
  installed = join(modules, 'qqbot-connector');
  await rename(join(dir, 'package'), installed);
  for (const dep of Object.keys(manifest.dependencies))
    await symlink(join(root, 'node_modules', dep), join(modules, dep), 'dir');
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm pack contents', () => {
  it('ships the build, the docs, the examples the README links, README, CHANGELOG and LICENSE: nothing else at the top', () => {
    const tops = new Set(
      files.map((path) =>
        path.startsWith('dist/') ? path.split('/').slice(0, 2).join('/') : (path.split('/')[0] ?? path),
      ),
    );
    expect([...tops].sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist/src',
      'dist/workers',
      'docs',
      'examples',
      'package.json',
    ]);
  });

  it('every local link of the README and the docs points at a shipped file', () => {
    const pages = files.filter((path) => path.endsWith('.md'));
    for (const page of pages) {
      const text = readFileSync(join(installed, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target as string)) continue;
        expect(files, `${page} → ${target}`).toContain(posix.join(posix.dirname(page), target as string));
      }
    }
  });

  it('ships no tests, benches or fixtures, and no source maps (the TypeScript sources are not shipped either)', () => {
    expect(files.filter((path) => /(^|\/)(test|tests|bench|fixtures)\/|\.test\.|\.bench\.|\.map$/.test(path))).toEqual(
      [],
    );
  });

  it('ships every entry point of the exports map and the bin', () => {
    const targets = Object.values(manifest.exports).flatMap((entry) =>
      typeof entry === 'string' ? [entry] : Object.values(entry),
    );
    for (const target of [...targets, ...Object.values(manifest.bin), './dist/workers/attempt.js']) {
      expect(files, target).toContain(posix.normalize(target));
    }
  });

  it('has no install-time script (npm warns about those on installing a tarball); the checkout keeps prepare for git installs', async () => {
    const packed = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(packed.scripts[hook], hook).toBeUndefined();
    // Everything else of the manifest is as written, and postpack put the checkout's own package.json back.
    expect(packed.scripts).toEqual(
      Object.fromEntries(Object.entries(manifest.scripts).filter(([name]) => name !== 'prepare')),
    );
    expect(await readFile(join(checkout, 'package.json'), 'utf8')).toBe(
      readFileSync(join(root, 'package.json'), 'utf8'),
    );
    expect(manifest.scripts.prepare).toBe('npm run build');
  });
});

describe('the packed tarball, installed', () => {
  it.each(['require', 'import'] as const)(
    '%s works from a consumer: the root and testing entry points, worker thread included',
    async (modules) => {
      const file = modules === 'require' ? 'app.cjs' : 'app.mjs';
      await writeFile(join(dir, 'app', file), consumerApp(modules));
      const { stdout } = await run(process.execPath, [file], { cwd: join(dir, 'app'), timeout: 20_000 });
      expect(JSON.parse(stdout)).toEqual(CONSUMER_OUTPUT);
    },
  );
});
