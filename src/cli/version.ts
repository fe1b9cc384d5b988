import { readFileSync } from 'node:fs';

const PACKAGE_NAME = 'qqbot-connector';

/**
 * The version in this package's `package.json`. The module sits at `src/cli/` (sources) or `dist/src/cli/`
 * (built), so walk up from here to the first `package.json` that names this package.
 */
export function readVersion(): string {
  let dir = new URL('./', import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json at this level (or not ours): keep walking up.
    }
    dir = new URL('../', dir);
  }
  return 'unknown';
}
