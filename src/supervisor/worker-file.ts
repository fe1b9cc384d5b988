import { fileURLToPath } from 'node:url';

/**
 * The worker entry file. Built, this module is `dist/src/supervisor/worker-file.js` and the worker is
 * `dist/workers/connection-attempt.js`. When the TypeScript sources run directly (vitest), a worker thread
 * still needs JavaScript, so it points at the build output (`npm test` builds first).
 */
export function defaultWorkerFile(): string {
  const here = new URL(import.meta.url);
  const relative = here.pathname.endsWith('.ts') ? '../../dist/workers/connection-attempt.js' : '../../workers/connection-attempt.js';
  return fileURLToPath(new URL(relative, here));
}

/**
 * Internal, test-only: a connector option keyed by this symbol replaces the worker file (e.g. with one that can
 * be told to crash). Not exported from the package entry points, so production options cannot reach it.
 */
export const kWorkerFile: unique symbol = Symbol('qqbot-connector.workerFile');
