import { fileURLToPath } from 'node:url';

/**
 * The worker entry file. Built, this module is `dist/src/runners/worker-file.js` and the worker is
 * `dist/workers/attempt.js`. When the TypeScript sources run directly (vitest), a worker thread still needs
 * JavaScript, so it points at the build output (`npm test` builds first).
 */
export function defaultWorkerFile(): string {
  const here = new URL(import.meta.url);
  const relative = here.pathname.endsWith('.ts') ? '../../dist/workers/attempt.js' : '../../workers/attempt.js';
  return fileURLToPath(new URL(relative, here));
}
