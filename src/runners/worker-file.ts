import { fileURLToPath } from 'node:url';
import { builtFile } from '../util/built-file.js';

/**
 * The worker entry file. Built, this module is `dist/src/runners/worker-file.js` and the worker is
 * `dist/workers/attempt.js`; from the TypeScript sources, it is the build output's (see builtFile).
 */
export function defaultWorkerFile(): string {
  return fileURLToPath(builtFile('../../workers/attempt.js', import.meta.url));
}
