import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** Starts the fake in its own thread; `call(cmd, arg)` runs a command there and resolves with its result. */
export async function startFakeThread(options = {}) {
  const worker = new Worker(new URL('./fake-thread.js', import.meta.url), { workerData: options });
  const [{ endpoints }] = await once(worker, 'message');
  const pending = new Map();
  let next = 0;
  worker.on('message', ({ id, result }) => {
    pending.get(id)?.(result);
    pending.delete(id);
  });
  return {
    endpoints,
    call(cmd, arg) {
      const id = next++;
      worker.postMessage({ id, cmd, arg });
      return new Promise((resolve) => pending.set(id, resolve));
    },
    async close() {
      await this.call('close');
      await worker.terminate();
    },
  };
}
