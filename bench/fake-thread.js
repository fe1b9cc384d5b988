// Hosts a FakeQQServer in its own thread so the server's work does not compete with the host's main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { FakeQQServer } from '../dist/src/testing/index.js';

/** The fake's fault methods a bench may call (docs/testing.md "Faults"). */
const FAULTS = new Set([
  'refuseConnections',
  'failGatewayBot',
  'dropConnections',
  'closeConnections',
  'closeAfterResumed',
]);

const fake = await FakeQQServer.start(workerData ?? {});
/** Stops the running `emit` (its promise then resolves with what was sent). */
let stopEmit = new AbortController();
parentPort.postMessage({ endpoints: fake.endpoints });
parentPort.on('message', async ({ id, cmd, arg }) => {
  let result = null;
  if (cmd === 'emit') {
    stopEmit = new AbortController();
    result = (await fake.emitEvents(arg.count, { ...arg.options, signal: stopEmit.signal })).length;
  }
  if (cmd === 'stopEmit') stopEmit.abort();
  if (cmd === 'fault' && FAULTS.has(arg.method)) fake[arg.method](...arg.args);
  if (cmd === 'stats') result = { ...fake.stats, eventsDispatched: fake.eventsDispatched };
  if (cmd === 'sessions') result = fake.sessions;
  if (cmd === 'close') await fake.close();
  parentPort.postMessage({ id, result });
  if (cmd === 'close') parentPort.close();
});
