import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { QQBotError } from '../../src/errors.js';
import { fetchGatewayBot } from '../../src/http/gateway.js';

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('a network failure names the host it could not reach, with the errno', async () => {
  const port = await closedPort();
  const err = await fetchGatewayBot(`http://127.0.0.1:${port}`, 'token', 'app', 2_000).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QQBotError);
  expect(err).toMatchObject({
    code: 'QQBOT_NETWORK',
    retryable: true,
    details: { errno: 'ECONNREFUSED', host: `127.0.0.1:${port}` },
  });
  expect((err as QQBotError).message).toBe(`GET /gateway/bot to 127.0.0.1:${port} failed: ECONNREFUSED`);
});
