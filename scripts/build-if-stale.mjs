// `npm start` runs the built CLI. Packages no longer build on install (`prepack` does, for the tarball and git
// installs), so a fresh clone has no dist/ yet, and an edited one may have an old one: build when any source is
// newer than the build, and only then (a full build takes tens of seconds on a busy machine).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUILT = 'dist/src/cli/main.js';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let builtAt = 0;
try {
  builtAt = statSync(BUILT).mtimeMs;
} catch {
  // Not built yet.
}
const sources = Math.max(
  newestMtime('src'),
  newestMtime('workers'),
  statSync('tsconfig.json').mtimeMs,
  statSync('tsconfig.build.json').mtimeMs,
);
if (sources > builtAt)
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
