// A bot process as a supervisor runs it (systemd, Docker, Kubernetes, PM2; see docs/deploy.md):
//   GET /healthz  liveness: 200 while the process answers at all
//   GET /readyz   readiness: 200 when bot.health().ok (every shard has a session, or another replica holds it), else 503
//   SIGTERM/SIGINT → bot.close(), then exit; a fatal connector error exits 1 (restarting will not fix it: look at it)
//
//   npm run build && QQBOT_APP_ID=… QQBOT_SECRET=… HEALTH_PORT=8080 node dist/examples/health-endpoint.js
//
// QQBOT_SESSION_FILE keeps the session in a file, so a restarted process RESUMEs it (one process per host).
// QQBOT_REDIS_URL (and QQBOT_REDIS_PREFIX) share the session with the other replicas through Redis, with leases:
// one replica runs it, the others stand by (ready) and take over when it stops. QQBOT_API_URL and QQBOT_TOKEN_URL
// point it elsewhere (the sandbox, or a FakeQQServer in tests).
import { createServer } from 'node:http';
import { FileSessionStore, Intents, QQBotConnector, type SessionStore } from 'qqbot-connector';

const {
  QQBOT_APP_ID: appId,
  QQBOT_SECRET: secret,
  QQBOT_API_URL: api,
  QQBOT_TOKEN_URL: token,
  QQBOT_REDIS_URL: redisUrl,
} = process.env;
if (appId === undefined || secret === undefined) {
  console.error('Set QQBOT_APP_ID and QQBOT_SECRET.');
  process.exit(1);
}

let store: SessionStore | undefined;
if (process.env.QQBOT_SESSION_FILE !== undefined) store = new FileSessionStore(process.env.QQBOT_SESSION_FILE);
if (redisUrl !== undefined) {
  // An optional peer: loaded only when asked for (npm install redis).
  const { RedisSessionStore } = await import('qqbot-connector/redis');
  store = new RedisSessionStore({ url: redisUrl, prefix: process.env.QQBOT_REDIS_PREFIX ?? 'qqbot:' });
}

const bot = new QQBotConnector({
  appId,
  secret,
  intents: Intents.GROUP_AND_C2C_EVENT,
  endpoints: { ...(api === undefined ? {} : { api }), ...(token === undefined ? {} : { token }) },
  ...(store === undefined ? {} : { store }),
});
bot.on('dispatch', (event) =>
  console.log(`${event.type} ${event.id ?? ''}${event.redelivered ? ' (may have been delivered before)' : ''}`),
);
bot.on('error', (err) => console.error(`${err.code}: ${err.message}`));

const health = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (req.url === '/readyz') {
    const { ok, shards } = bot.health();
    const body = JSON.stringify({ ok, shards: shards.map(({ shard, state }) => ({ shard, state })) });
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${body}\n`);
  } else {
    res.writeHead(404).end();
  }
});

let stopping: Promise<void> | undefined;
function stop(exitCode: number): Promise<void> {
  stopping ??= (async () => {
    process.exitCode = exitCode;
    // Readiness turns 503 at once (the shards are closing); the health port closes last.
    await bot.close();
    health.close();
    health.closeAllConnections();
    // A parent's IPC channel (PM2, node:cluster) would keep the process alive: everything else is closed.
    if (process.connected) process.disconnect();
  })();
  return stopping;
}

bot.on('fatal', (err) => {
  console.error(`fatal: ${err.code}: ${err.message}`);
  void stop(1);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(0));

const port = Number(process.env.HEALTH_PORT ?? 8080);
health.listen(port, process.env.HEALTH_HOST ?? '0.0.0.0', () => {
  const address = health.address();
  console.log(`health on port ${typeof address === 'object' && address !== null ? address.port : port}`);
});
// start() resolves once every shard has a session or stands by; it rejects on a fatal error (reported above) or a stop.
bot.start().then(
  () => {
    console.log('bot started');
    // PM2 (wait_ready) counts the process as up from here; elsewhere process.send is undefined.
    process.send?.('ready');
  },
  (err: unknown) => {
    if (stopping === undefined) console.error(`start failed: ${String(err)}`);
  },
);
