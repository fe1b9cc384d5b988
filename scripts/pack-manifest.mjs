// Packing for users, run by npm around `npm pack` / `npm publish` (prepack, postpack).
//
// A git install builds through `prepare`: npm runs only `prepare` when it packs a git dependency. But a published
// or packed package.json that still has `prepare` makes npm 11 warn, on installing that tarball, about an install
// script not covered by allowScripts (it would not even run: the tarball ships dist/). So:
// - prepack: a build (`build` starts from an empty dist/), then the package.json that gets packed loses `scripts.prepare` (the original is kept
//   aside);
// - postpack: the original package.json comes back.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MANIFEST = 'package.json';
const KEPT = '.package.json.prepack';

function prepack() {
  if (existsSync(KEPT))
    throw new Error(
      `${KEPT} exists: an earlier pack did not finish; restore it with 'node scripts/pack-manifest.mjs postpack'`,
    );
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const text = readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(text);
  delete manifest.scripts.prepare;
  writeFileSync(KEPT, text);
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
}

function postpack() {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
}

const step = { prepack, postpack }[process.argv[2] ?? ''];
if (step === undefined) throw new Error('usage: node scripts/pack-manifest.mjs prepack|postpack');
step();
