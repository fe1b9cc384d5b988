import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where this module is from: built (`dist/src/util/`), or the TypeScript sources run directly (`src/util/`). */
const HERE = new URL(import.meta.url);
const FROM_SOURCES = HERE.pathname.endsWith('.ts');
const ROOT = fileURLToPath(new URL('../../', HERE));

/**
 * The JavaScript a worker thread can load for `file`, named relative to `base` (the caller's `import.meta.url`).
 * Built, that is the file itself. When the TypeScript sources run directly (vitest), a worker thread still needs
 * JavaScript, so it is the build output's copy (`npm test` builds first).
 */
export function builtFile(file: string, base: string): URL {
  const url = new URL(file, base);
  if (!FROM_SOURCES || !base.endsWith('.ts')) return url;
  return pathToFileURL(join(ROOT, 'dist', relative(ROOT, fileURLToPath(url))));
}
