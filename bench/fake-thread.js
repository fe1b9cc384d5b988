// Hosts a FakeQQServer in its own thread so the server's work does not compete with the host's main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { FakeQQServer } from '../dist/src/testing/index.js';

const fake = await FakeQQServer.start(workerData ?? {});
parentPort.postMessage({ endpoints: fake.endpoints });
parentPort.on('message', async ({ id, cmd, arg }) => {
  let result = null;
  if (cmd === 'emit') result = await fake.emitEvents(arg.count, arg.options ?? {});
  if (cmd === 'stats') result = { ...fake.stats, eventsDispatched: fake.eventsDispatched };
  if (cmd === 'close') await fake.close();
  parentPort.postMessage({ id, result: cmd === 'emit' ? result.length : result });
  if (cmd === 'close') parentPort.close();
});
