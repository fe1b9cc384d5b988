import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import type { DispatchEvent } from '../../src/events.js';
import { postCallback } from '../../src/testing/callback-post.js';
import { APP_ID, SECRET, dispatchBody, signedHeaders } from '../webhook/helpers.js';
import { closedCount, holdConnections, holdSlowRequests, listenHost, releaseAll, type HostServer } from './helpers.js';

let bot: QQBotConnector | undefined;
let host: HostServer | undefined;
let slow: Socket[] = [];

afterEach(async () => {
  releaseAll(slow);
  slow = [];
  await host?.close();
  host = undefined;
  await bot?.close();
  bot = undefined;
});

/** Genuine signed callbacks one after another; every answer (or its failure) in order. */
async function genuine(url: URL, count: number): Promise<Array<number | string>> {
  const statuses: Array<number | string> = [];
  for (let i = 0; i < count; i++) {
    const body = dispatchBody();
    statuses.push(
      await postCallback(url, body, { headers: signedHeaders(body), timeoutMs: 5_000 }).then(
        (a) => a.status,
        (err: { code?: string }) => err.code ?? 'error',
      ),
    );
  }
  return statuses;
}

function counted(connector: QQBotConnector): { n: number } {
  const seen = { n: 0 };
  connector.on('dispatch', (_e: DispatchEvent) => void (seen.n += 1));
  connector.on('error', () => undefined);
  return seen;
}

describe('the webhook cannot be starved by slow requests', () => {
  it('with default options, the listener answers genuine callbacks 200 while 300 requests hold their bodies back', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    const seen = counted(bot);
    await bot.start();
    const { port } = bot.webhookAddress()!;
    slow = await holdSlowRequests(port, 300);
    const statuses = await genuine(new URL(`http://127.0.0.1:${port}/qqbot`), 20);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(seen.n).toBe(20);
  });

  it('a body that never comes is answered 408 and its connection closed within bodyTimeoutMs, not held for the request timeout', async () => {
    bot = new QQBotConnector({
      appId: APP_ID,
      secret: SECRET,
      transport: { kind: 'webhook', port: 0, bodyTimeoutMs: 500 },
    });
    counted(bot);
    await bot.start();
    const started = Date.now();
    const [socket] = await holdSlowRequests(bot.webhookAddress()!.port, 1);
    slow = [socket!];
    let answer = '';
    socket!.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await once(socket!, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // Generous: the deadline is 500 ms; the old code held the socket for the listener's 30 s request timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the listener takes 256 connections from one address; the next is closed at once, and other addresses still connect', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    counted(bot);
    await bot.start();
    const { port } = bot.webhookAddress()!;
    slow = await holdConnections(port, 256, '127.0.0.4', '');
    const [extra] = await holdConnections(port, 1, '127.0.0.4', '');
    slow.push(extra!);
    await once(extra!, 'close');
    // Closed on arrival, not at the 5 s headers timeout: the 256 before it are all still open.
    expect(closedCount(slow.slice(0, 256))).toBe(0);
    expect(await genuine(new URL(`http://127.0.0.1:${port}/qqbot`), 1)).toEqual([200]);
  });

  it('the listener queues a connect flood in a backlog of 4 096 (as far as the kernel allows), not the 511 of node', async () => {
    // An overflowing accept queue drops a genuine callback's SYN, which TCP resends only after a second.
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    counted(bot);
    await bot.start();
    const { port } = bot.webhookAddress()!;
    if (process.platform === 'linux') {
      // `ss` shows a listening socket's backlog as its Send-Q; the kernel caps it at net.core.somaxconn.
      const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
      const [, , backlog] = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
        .trim()
        .split(/\s+/);
      expect(Number(backlog)).toBe(Math.min(4096, somaxconn));
    }
    expect(await genuine(new URL(`http://127.0.0.1:${port}/qqbot`), 1)).toEqual([200]);
  });

  it('webhookHandler() on a server with node defaults answers genuine callbacks 200 while 300 requests from the same address hold their bodies', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook' } });
    const seen = counted(bot);
    host = await listenHost(bot.webhookHandler());
    const { port } = host;
    slow = await holdSlowRequests(port, 300, '127.0.0.1');
    const statuses = await genuine(new URL(`http://127.0.0.1:${port}/qqbot`), 20);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(seen.n).toBe(20);
    // The slow ones do not linger either: each is dropped for a newer request or at its deadline.
    await expect.poll(() => closedCount(slow), { timeout: 10_000, interval: 100 }).toBe(300);
  });
});
