// Hosts a FakeQQServer in its own PROCESS (fork with IPC), for benches that measure the host's memory: a fake in a
// worker thread would count in the host's RSS. Commands call a whitelisted method of `fake.rest`, or read its counters.
import { FakeQQServer } from '../dist/src/testing/index.js';

const REST_METHODS = new Set(['configureChunkedUpload', 'limitSends', 'reset']);

const fake = await FakeQQServer.start();
process.send({ endpoints: fake.endpoints });
process.on('message', async ({ id, cmd, args = [] }) => {
  let result = null;
  if (REST_METHODS.has(cmd)) fake.rest[cmd](...args);
  if (cmd === 'counters') {
    result = {
      rateLimited: fake.rest.rateLimited,
      requests: fake.rest.requests.length,
      messages: fake.rest.messages.length,
      partPuts: fake.rest.chunkedUploads.partPuts,
      files: fake.rest.chunkedUploads.files.length,
    };
  }
  if (cmd === 'close') await fake.close();
  process.send({ id, result });
  if (cmd === 'close') process.disconnect();
});
