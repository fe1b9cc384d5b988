// Baseline sender: posts `count` dispatch-shaped events to the main thread as fast as it can.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ count, sample }) => {
  for (let n = 0; n < count; n++) {
    parentPort.postMessage({
      op: 1,
      seq: n + 1,
      type: 'GROUP_AT_MESSAGE_CREATE',
      id: `evt-${n}`,
      data: { ...sample, n },
    });
  }
});
