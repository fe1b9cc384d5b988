// A minimal gateway for the throughput bench: after Identify it writes READY and `count` pre-encoded dispatch
// frames in large chunks, so the source is never the bottleneck and the figure measures the connector's
// receive path. Runs in its own thread. Not a fake of the platform: FakeQQServer is that.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { Sender } from 'ws';

const { count, sample } = workerData;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(text) {
  const [header, payload] = Sender.frame(Buffer.from(text), {
    fin: true,
    rsv1: false,
    opcode: 1,
    mask: false,
    readOnly: true,
  });
  return Buffer.concat([header, payload]);
}

const hello = frame(JSON.stringify({ op: 10, d: { heartbeat_interval: 60_000 } }));
const ready = frame(
  JSON.stringify({
    op: 0,
    s: 1,
    t: 'READY',
    id: 'READY',
    d: { version: 1, session_id: 's-1', user: { id: 'b', username: 'bench', bot: true }, shard: [0, 1] },
  }),
);
const chunks = [];
let pending = [];
let size = 0;
for (let n = 0; n < count; n++) {
  const f = frame(
    JSON.stringify({ op: 0, s: n + 2, t: 'GROUP_AT_MESSAGE_CREATE', id: `evt-${n}`, d: { ...sample, n } }),
  );
  pending.push(f);
  size += f.length;
  if (size >= 256 * 1024) {
    chunks.push(Buffer.concat(pending));
    pending = [];
    size = 0;
  }
}
if (pending.length > 0) chunks.push(Buffer.concat(pending));

const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/app/getAppAccessToken')
    return res.end(JSON.stringify({ access_token: 'bench-token', expires_in: '7200' }));
  if (req.url === '/gateway/bot') {
    const { port } = server.address();
    return res.end(
      JSON.stringify({
        url: `ws://127.0.0.1:${port}/websocket`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
      }),
    );
  }
  res.statusCode = 404;
  res.end('{}');
});

let burst;
// Upgraded sockets leave the server's bookkeeping: closed here, or a client waiting for a close answer (ws
// waits 30 s) would keep this thread alive.
const sockets = new Set();
server.on('upgrade', (req, socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  const accept = createHash('sha1')
    .update(req.headers['sec-websocket-key'] + GUID)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  socket.write(hello);
  socket.on('error', () => {});
  // The first client frame is the Identify: answer READY, then wait for the go.
  socket.once('data', () => {
    socket.write(ready);
    burst = () => {
      for (const chunk of chunks) socket.write(chunk);
    };
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  parentPort.postMessage({
    endpoints: { token: `http://127.0.0.1:${port}/app/getAppAccessToken`, api: `http://127.0.0.1:${port}` },
  });
});
parentPort.on('message', (cmd) => {
  if (cmd === 'go') burst();
  if (cmd === 'close') {
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    server.close();
    parentPort.close();
  }
});
