import { once } from 'node:events';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { validateEvent } from '../../src/protocol/events/validate.js';
import { FakeQQServer } from '../../src/testing/index.js';
import type { FakeQQServerOptions } from '../../src/testing/index.js';

interface Frame {
  op: number;
  d?: unknown;
  s?: number;
  t?: string;
  id?: string;
}

/** A bare gateway client: records every frame and lets a test await the next matching one. */
class Client {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #cursor = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('error', () => {});
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** The next frame (after the previous match) for which `match` is true. */
  next(match: (f: Frame) => boolean = () => true, timeoutMs = 2000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const scan = (): boolean => {
        for (let i = this.#cursor; i < this.frames.length; i++) {
          const frame = this.frames[i] as Frame;
          if (match(frame)) {
            this.#cursor = i + 1;
            done();
            resolve(frame);
            return true;
          }
        }
        return false;
      };
      const onMessage = (): void => void scan();
      const onClose = (): void => {
        if (scan()) return;
        done();
        reject(
          new Error(`socket closed before the expected frame; got ${JSON.stringify(this.frames.slice(this.#cursor))}`),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(this.#cursor))}`),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        this.ws.off('close', onClose);
      };
      this.ws.on('message', onMessage);
      this.ws.on('close', onClose);
      scan();
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
}

const fakes: FakeQQServer[] = [];
const sockets: WebSocket[] = [];
const agent = new Agent({ keepAliveTimeout: 10 });
afterAll(() => agent.close());

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function startFake(options?: FakeQQServerOptions): Promise<FakeQQServer> {
  const fake = await FakeQQServer.start(options);
  fakes.push(fake);
  return fake;
}

async function connect(fake: FakeQQServer, path = '/websocket'): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${fake.port}${path}`);
  sockets.push(ws);
  const client = new Client(ws);
  await once(ws, 'open');
  return client;
}

async function post(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    dispatcher: agent,
  });
  return { status: res.statusCode, json: await res.body.json() };
}

async function get(url: string, token?: string): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `QQBot ${token}` };
  const res = await request(url, { method: 'GET', headers, dispatcher: agent });
  return { status: res.statusCode, json: await res.body.json() };
}

async function token(fake: FakeQQServer): Promise<string> {
  const { json } = await post(fake.endpoints.token, JSON.stringify({ appId: 'test-app', clientSecret: 'test-secret' }));
  return (json as { access_token: string }).access_token;
}

const identify = (tok: string, overrides: Record<string, unknown> = {}): Frame => ({
  op: 2,
  d: { token: `QQBot ${tok}`, intents: 1 << 25, shard: [0, 1], properties: {}, ...overrides },
});

/** Connects, identifies and waits for READY. */
async function ready(fake: FakeQQServer, tok: string): Promise<{ client: Client; sessionId: string; seq: number }> {
  const client = await connect(fake);
  await client.next((f) => f.op === 10);
  client.send(identify(tok));
  const frame = await client.next((f) => f.t === 'READY');
  return { client, sessionId: (frame.d as { session_id: string }).session_id, seq: frame.s as number };
}

describe('FakeQQServer HTTP', () => {
  it('issues a token for the right pair and answers code 100016 with HTTP 200 for a wrong one', async () => {
    const fake = await startFake();
    const ok = await post(fake.endpoints.token, JSON.stringify({ appId: 'test-app', clientSecret: 'test-secret' }));
    expect(ok.status).toBe(200);
    const { access_token, expires_in } = ok.json as { access_token: string; expires_in: unknown };
    expect(expires_in).toBe('7200');
    expect(fake.isValidToken(access_token)).toBe(true);
    expect(await token(fake)).not.toBe(access_token);

    const wrong = await post(fake.endpoints.token, JSON.stringify({ appId: 'test-app', clientSecret: 'nope' }));
    expect(wrong).toEqual({ status: 200, json: { code: 100016, message: 'invalid appid or secret' } });
    expect(fake.stats.tokenCalls).toBe(3);
  });

  it('answers 400 for a non-JSON token request and 413 for a body over 10 MiB (the platform inline limit)', async () => {
    const fake = await startFake();
    const bad = await post(fake.endpoints.token, 'not json');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 400 });
    const big = await post(fake.endpoints.token, 'x'.repeat(10 * 1024 * 1024 + 1));
    expect(big.status).toBe(413);
  });

  it('expires tokens on the injected clock', async () => {
    let now = 1_000_000;
    const fake = await startFake({ now: () => now, tokenTtlSeconds: 60 });
    const tok = await token(fake);
    expect(fake.isValidToken(tok)).toBe(true);
    expect(fake.isValidToken('never-issued')).toBe(false);
    now += 60_000;
    expect(fake.isValidToken(tok)).toBe(false);
    expect((await get(`${fake.url}/gateway/bot`, tok)).status).toBe(401);
  });

  it('answers /gateway/bot only with a valid token', async () => {
    const fake = await startFake({ shards: 2, sessionStartRemaining: 7, maxConcurrency: 3 });
    const missing = await get(`${fake.endpoints.api}/gateway/bot`);
    expect(missing).toEqual({ status: 401, json: { code: 11244, message: 'token not exist or expire' } });
    expect((await get(`${fake.endpoints.api}/gateway/bot`, 'forged')).status).toBe(401);

    const tok = await token(fake);
    const ok = await get(`${fake.endpoints.api}/gateway/bot`, tok);
    expect(ok).toEqual({
      status: 200,
      json: {
        url: fake.gatewayUrl,
        shards: 2,
        session_start_limit: { total: 1000, remaining: 7, reset_after: 14_400_000, max_concurrency: 3 },
      },
    });
    expect(await get(`${fake.url}/gateway`, tok)).toEqual({ status: 200, json: { url: fake.gatewayUrl } });
    expect(fake.stats.gatewayBotCalls).toBe(3);
  });

  it('answers 404 JSON for unknown routes and refuses upgrades on other paths', async () => {
    const fake = await startFake();
    expect(await get(`${fake.url}/nothing/here`)).toEqual({ status: 404, json: { code: 404, message: 'not found' } });
    const ws = new WebSocket(`ws://127.0.0.1:${fake.port}/elsewhere`);
    sockets.push(ws);
    const [err] = (await once(ws, 'error')) as [Error];
    expect(err.message).toContain('404');
  });

  it('hands every other route and its body to rest.handle', async () => {
    const fake = await startFake();
    const handle = vi.spyOn(fake.rest, 'handle').mockImplementation((req, res, url, body) => {
      if (url.pathname !== '/v2/groups/g1/messages') return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, body }));
      return true;
    });
    expect(await post(`${fake.url}/v2/groups/g1/messages`, '{"content":"hi"}')).toEqual({
      status: 200,
      json: { method: 'POST', body: '{"content":"hi"}' },
    });
    expect(await get(`${fake.url}/v2/elsewhere`)).toEqual({ status: 404, json: { code: 404, message: 'not found' } });
    expect(handle).toHaveBeenCalledTimes(2);
  });

  it('failGatewayBot, delayGatewayBot and the token faults answer as told', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    fake.failGatewayBot(1, 503);
    expect(await get(`${fake.url}/gateway/bot`, tok)).toEqual({
      status: 503,
      json: { code: 500, message: 'internal' },
    });
    fake.delayGatewayBot(1, 30);
    const started = performance.now();
    expect((await get(`${fake.url}/gateway/bot`, tok)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);

    fake.failToken(1);
    const failed = await post(fake.endpoints.token, '{}');
    expect(failed).toEqual({ status: 500, json: { code: 100002, message: 'internal err' } });
    fake.failToken(1, 200, { code: 100001, message: 'too many requests' });
    expect((await post(fake.endpoints.token, '{}')).json).toEqual({ code: 100001, message: 'too many requests' });
    fake.delayToken(1, 20);
    expect(fake.isValidToken(await token(fake))).toBe(true);
  });

  it('hangGatewayBot hangs until close()', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    fake.hangGatewayBot(1);
    const hung = get(`${fake.url}/gateway/bot`, tok);
    const outcome = hung.then(
      () => 'answered',
      () => 'failed',
    );
    await fake.waitFor(() => fake.stats.gatewayBotCalls === 1);
    expect((await get(`${fake.url}/gateway/bot`, tok)).status).toBe(200);
    await fake.close();
    expect(await outcome).toBe('failed');
  });

  it('hangToken hangs until close()', async () => {
    const fake = await startFake();
    fake.hangToken(1);
    const outcome = token(fake).then(
      () => 'answered',
      () => 'failed',
    );
    await fake.waitFor(() => fake.stats.tokenCalls === 1);
    await fake.close();
    expect(await outcome).toBe('failed');
  });
});

describe('FakeQQServer gateway', () => {
  it('identify → READY with a session id and seq', async () => {
    const fake = await startFake({ heartbeatIntervalMs: 1234 });
    const tok = await token(fake);
    const client = await connect(fake);
    expect(await client.next()).toEqual({ op: 10, d: { heartbeat_interval: 1234 } });
    const identified = once(fake, 'identify');
    client.send(identify(tok, { shard: [0, 1] }));
    const frame = await client.next();
    expect(frame).toEqual({
      op: 0,
      s: 1,
      t: 'READY',
      id: 'READY-session-1',
      d: { version: 1, session_id: 'session-1', user: { id: 'bot-1', username: 'fake-bot', bot: true }, shard: [0, 1] },
    });
    expect(await identified).toEqual([{ shard: [0, 1], intents: 1 << 25 }]);
    expect(fake.stats.identifies).toEqual([
      { token: `QQBot ${tok}`, intents: 1 << 25, shard: [0, 1], at: expect.any(Number), appId: 'test-app' },
    ]);
    expect(fake.sessions).toEqual([
      { id: 'session-1', shard: [0, 1], appId: 'test-app', lastSeq: 1, resumable: true, delivering: true },
    ]);

    expect(fake.dispatch('C2C_MESSAGE_CREATE', { content: 'hi' })).toBe(2);
    expect(await client.next()).toEqual({ op: 0, s: 2, t: 'C2C_MESSAGE_CREATE', id: 'evt-1-2', d: { content: 'hi' } });
    fake.dispatch('C2C_MESSAGE_CREATE', {}, { id: 'custom' });
    expect((await client.next()).id).toBe('custom');
    expect(fake.eventsDispatched).toBe(2);
  });

  it('closes 4004 for a bad token, 4014 for intents outside allowedIntents and 4010 for a bad shard', async () => {
    const fake = await startFake({ allowedIntents: 1 << 25 });
    const tok = await token(fake);
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ token: 'QQBot forged' }, 4004],
      [{ token: tok }, 4004],
      [{ intents: (1 << 25) | (1 << 30) }, 4014],
      [{ shard: [1, 1] }, 4010],
      [{ shard: undefined }, 4010],
    ];
    for (const [overrides, code] of cases) {
      const client = await connect(fake);
      client.send(identify(tok, overrides));
      expect((await client.closed).code).toBe(code);
    }
    expect(fake.sessions).toEqual([]);
  });

  it('closes 4002 for a non-JSON frame and 4001 for an unknown op', async () => {
    const fake = await startFake();
    const a = await connect(fake);
    a.send('{nope');
    expect(await a.closed).toEqual({ code: 4002, reason: 'invalid payload' });
    const b = await connect(fake);
    b.send({ op: 42 });
    expect((await b.closed).code).toBe(4001);
  });

  it('dispatch throws before any session exists', async () => {
    const fake = await startFake();
    expect(() => fake.dispatch('GROUP_AT_MESSAGE_CREATE', {})).toThrow(/no session/);
    await expect(fake.emitEvents(1)).rejects.toThrow(/no session/);
  });

  it('resume replays every event after seq then RESUMED with d ""', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const first = await ready(fake, tok);
    const [s2] = await fake.emitEvents(1);
    expect(s2).toBe(2);
    await first.client.next((f) => f.s === 2);
    first.client.ws.terminate();
    await fake.waitFor(() => fake.stats.liveConnections === 0);

    const missed = await fake.emitEvents(3);
    expect(missed).toEqual([3, 4, 5]);
    const second = await connect(fake);
    await second.next((f) => f.op === 10);
    second.send({ op: 6, d: { token: `QQBot ${tok}`, session_id: first.sessionId, seq: 2 } });
    const replayed = [await second.next(), await second.next(), await second.next()];
    expect(replayed.map((f) => [f.s, f.t, (f.d as { n: number }).n])).toEqual([
      [3, 'GROUP_AT_MESSAGE_CREATE', 1],
      [4, 'GROUP_AT_MESSAGE_CREATE', 2],
      [5, 'GROUP_AT_MESSAGE_CREATE', 3],
    ]);
    expect(await second.next()).toEqual({ op: 0, t: 'RESUMED', s: 6, d: '' });
    expect(fake.stats.resumes).toEqual([{ sessionId: 'session-1', seq: 2, at: expect.any(Number) }]);
    fake.dispatch('GROUP_AT_MESSAGE_CREATE', { live: true });
    expect(await second.next()).toMatchObject({ s: 7, d: { live: true } });
  });

  it('resume of an unknown or invalidated session gets op 9 d false', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const { client, sessionId } = await ready(fake, tok);
    client.send({ op: 6, d: { token: `QQBot ${tok}`, session_id: 'session-99', seq: 0 } });
    expect(await client.next()).toEqual({ op: 9, d: false });

    fake.invalidateSessions();
    expect(fake.sessions).toEqual([
      { id: sessionId, shard: [0, 1], appId: 'test-app', lastSeq: 1, resumable: false, delivering: true },
    ]);
    const other = await connect(fake);
    other.send({ op: 6, d: { token: `QQBot ${tok}`, session_id: sessionId, seq: 1 } });
    expect(await other.next((f) => f.op !== 10)).toEqual({ op: 9, d: false });
  });

  it('resume with a seq beyond the session closes 4007', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const { sessionId } = await ready(fake, tok);
    const other = await connect(fake);
    other.send({ op: 6, d: { token: `QQBot ${tok}`, session_id: sessionId, seq: 99 } });
    expect((await other.closed).code).toBe(4007);
  });

  it('rejectResumes closes with 4902', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const { sessionId } = await ready(fake, tok);
    fake.rejectResumes(1);
    const resume = { op: 6, d: { token: `QQBot ${tok}`, session_id: sessionId, seq: 1 } };
    const a = await connect(fake);
    a.send(resume);
    expect((await a.closed).code).toBe(4902);
    const b = await connect(fake);
    b.send(resume);
    expect(await b.next((f) => f.t === 'RESUMED')).toMatchObject({ s: 2 });
    expect(fake.stats.resumes).toHaveLength(2);
  });

  it('closeAfterResumed sends the replay and RESUMED, then closes with the code at once', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const { sessionId } = await ready(fake, tok);
    fake.dispatch('C2C_MESSAGE_CREATE', { n: 0 });
    fake.closeAfterResumed(1);
    const resume = { op: 6, d: { token: `QQBot ${tok}`, session_id: sessionId, seq: 1 } };
    const a = await connect(fake);
    a.send(resume);
    expect(await a.next((f) => f.t === 'C2C_MESSAGE_CREATE')).toMatchObject({ s: 2 });
    expect(await a.next((f) => f.t === 'RESUMED')).toMatchObject({ s: 3 });
    expect((await a.closed).code).toBe(4009);
    // Only the next n: this one stays open.
    const b = await connect(fake);
    b.send(resume);
    await b.next((f) => f.t === 'RESUMED');
    fake.dispatch('C2C_MESSAGE_CREATE', { n: 1 });
    expect(await b.next((f) => f.t === 'C2C_MESSAGE_CREATE' && f.s === 5)).toMatchObject({ d: { n: 1 } });
  });

  it('refuseConnections answers upgrades 503 for the given time, then accepts again', async () => {
    const fake = await startFake();
    fake.refuseConnections(60_000);
    const refused = new WebSocket(`ws://127.0.0.1:${fake.port}/websocket`);
    const [err] = (await once(refused, 'error')) as [Error];
    expect(err.message).toMatch(/503/);
    expect(fake.stats.refusedConnections).toBe(1);
    expect(fake.stats.connections).toBe(0);
    fake.refuseConnections(0);
    await connect(fake);
    expect(fake.stats.connections).toBe(1);
    expect(() => fake.refuseConnections(-1)).toThrow(RangeError);
  });

  it('failIdentifies closes with the given code', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    fake.failIdentifies(1, 4903);
    const a = await connect(fake);
    a.send(identify(tok));
    expect((await a.closed).code).toBe(4903);
    const { sessionId } = await ready(fake, tok);
    expect(sessionId).toBe('session-1');
    expect(fake.stats.identifies).toHaveLength(2);
  });

  it('sendReconnect sends op 7 then closes 4009', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const { client } = await ready(fake, tok);
    const disconnected = once(fake, 'disconnect');
    fake.sendReconnect();
    expect(await client.next()).toEqual({ op: 7 });
    expect((await client.closed).code).toBe(4009);
    expect(await disconnected).toEqual([{ code: 4009, reason: 'session timed out' }]);
  });

  it('sendInvalidSession sends op 9 and closes 4006 after 100 ms if the client stays', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const { client } = await ready(fake, tok);
    fake.sendInvalidSession(true);
    expect(await client.next()).toEqual({ op: 9, d: true });
    expect((await client.closed).code).toBe(4006);
  });

  it('closeConnections and dropConnections close every live socket', async () => {
    const fake = await startFake();
    const a = await connect(fake);
    const b = await connect(fake);
    fake.closeConnections(4900, 'bye');
    expect(await a.closed).toEqual({ code: 4900, reason: 'bye' });
    expect((await b.closed).code).toBe(4900);
    expect(() => fake.closeConnections(1006)).toThrow(RangeError);
    const c = await connect(fake);
    fake.dropConnections();
    expect((await c.closed).code).toBe(1006);
    await fake.waitFor(() => fake.stats.liveConnections === 0);
    expect(fake.stats.connections).toBe(3);
    expect(fake.stats.maxConcurrentConnections).toBe(2);
  });

  it('stopAcking stops ACKs', async () => {
    const fake = await startFake();
    const client = await connect(fake);
    client.send({ op: 1, d: null });
    expect(await client.next((f) => f.op !== 10)).toEqual({ op: 11 });
    fake.stopAcking();
    client.send({ op: 1, d: 5 });
    await fake.waitFor(() => fake.stats.heartbeats === 2);
    fake.resumeAcking();
    client.send({ op: 1, d: 6 });
    await client.next((f) => f.op === 11);
    await fake.waitFor(() => fake.stats.heartbeats === 3);
    // Frames arrive in order: had the second heartbeat been ACKed, its ACK would precede the third's.
    expect(client.frames.filter((f) => f.op === 11)).toHaveLength(2);
    expect(fake.stats.heartbeatAcks).toBe(2);
  });

  it('heartbeatTimeoutMs closes a session that stops beating with 4009, and beats keep it open', async () => {
    const fake = await startFake({ heartbeatTimeoutMs: 150 });
    const { client } = await ready(fake, await token(fake));
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      client.send({ op: 1, d: null });
    }
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect((await client.closed).code).toBe(4009);
  });

  it('holdHello withholds Hello until released', async () => {
    const fake = await startFake();
    fake.holdHello(true);
    const client = await connect(fake);
    client.send({ op: 1, d: null });
    await client.next((f) => f.op === 11);
    expect(client.frames.some((f) => f.op === 10)).toBe(false);
    fake.holdHello(false);
    expect(await client.next((f) => f.op === 10)).toMatchObject({ d: { heartbeat_interval: 41250 } });
  });

  it('holdReady withholds READY and the events dispatched meanwhile until released', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    fake.holdReady(true);
    const client = await connect(fake);
    client.send(identify(tok));
    await fake.waitFor(() => fake.sessions.length === 1);
    await fake.emitEvents(2);
    client.send({ op: 1, d: null });
    await client.next((f) => f.op === 11);
    expect(client.frames.some((f) => f.op === 0)).toBe(false);
    fake.holdReady(false);
    expect((await client.next((f) => f.op === 0)).t).toBe('READY');
    expect((await client.next()).s).toBe(2);
    expect((await client.next()).s).toBe(3);
  });

  it('records maxConcurrentPerSession', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const first = await ready(fake, tok);
    const resume = { op: 6, d: { token: `QQBot ${tok}`, session_id: first.sessionId, seq: 1 } };

    // Correct: the old socket is gone before the resume.
    first.client.ws.close();
    await fake.waitFor(() => fake.stats.liveConnections === 0);
    const second = await connect(fake);
    second.send(resume);
    await second.next((f) => f.t === 'RESUMED');
    expect(fake.stats.maxConcurrentPerSession).toBe(1);

    // Wrong: a second socket resumes while the first is still open; the fake kicks the old one with 4009.
    const third = await connect(fake);
    third.send(resume);
    await third.next((f) => f.t === 'RESUMED');
    expect((await second.closed).code).toBe(4009);
    expect(fake.stats.maxConcurrentPerSession).toBe(2);
    fake.dispatch('GROUP_AT_MESSAGE_CREATE', {});
    expect((await third.next()).t).toBe('GROUP_AT_MESSAGE_CREATE');
  });
});

describe('FakeQQServer emitEvents', () => {
  it('numbers events across calls and dispatches without a rate in one go', async () => {
    const fake = await startFake();
    const tok = await token(fake);
    const { client } = await ready(fake, tok);
    const first = await fake.emitEvents(2, { type: 'C2C_MESSAGE_CREATE' });
    const second = await fake.emitEvents(1200);
    expect(first).toEqual([2, 3]);
    expect(second).toHaveLength(1200);
    expect(second[1199]).toBe(1203);
    expect(fake.eventsDispatched).toBe(1202);
    const last = await client.next((f) => f.s === 1203);
    expect(last.d).toMatchObject({
      n: 1201,
      id: 'fake-msg-1201',
      content: ' event 1201',
      group_openid: 'fake-group',
      group_id: 'fake-group',
      author: { member_openid: 'fake-member', id: 'fake-member' },
    });
    expect(client.frames.filter((f) => f.t === 'C2C_MESSAGE_CREATE')).toHaveLength(2);
    // Message events carry what the connector's edge checks require, so they are delivered and can be replied to.
    const c2c = client.frames.find((f) => f.t === 'C2C_MESSAGE_CREATE');
    expect(validateEvent('C2C_MESSAGE_CREATE', c2c?.d)).toBeUndefined();
    expect(c2c?.d).toMatchObject({ author: { user_openid: 'fake-user', id: 'fake-user' } });
    expect(validateEvent('GROUP_AT_MESSAGE_CREATE', last.d)).toBeUndefined();
  });

  it('paces events with ratePerSec, batching at high rates', async () => {
    const fake = await startFake();
    await ready(fake, await token(fake));
    let started = performance.now();
    expect(await fake.emitEvents(11, { ratePerSec: 200 })).toHaveLength(11);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    started = performance.now();
    const fast = await fake.emitEvents(5000, { ratePerSec: 50_000 });
    expect(fast).toHaveLength(5000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('stops on abort and on close(), resolving with the seqs so far', async () => {
    const fake = await startFake();
    await ready(fake, await token(fake));
    const ac = new AbortController();
    const running = fake.emitEvents(1000, { ratePerSec: 100, signal: ac.signal });
    await fake.waitFor(() => fake.eventsDispatched >= 2);
    ac.abort();
    const seqs = await running;
    expect(seqs.length).toBeGreaterThanOrEqual(2);
    expect(seqs.length).toBeLessThan(1000);
    expect(await fake.emitEvents(5, { signal: AbortSignal.abort() })).toEqual([]);

    const endless = fake.emitEvents(1000, { ratePerSec: 100 });
    await fake.close();
    expect((await endless).length).toBeLessThan(1000);
  });
});

describe('FakeQQServer lifecycle', () => {
  it('rejects an option out of range with a RangeError naming it', async () => {
    await expect(FakeQQServer.start({ shards: 0 })).rejects.toThrow(/`shards`/);
    await expect(FakeQQServer.start({ heartbeatIntervalMs: -1 })).rejects.toThrow(RangeError);
  });

  it('refuses an unknown option key with QQBOT_INVALID_OPTION naming the nearest known one, before anything listens', async () => {
    const typo = { heartbeatIntervalMS: 1000 } as unknown as FakeQQServerOptions;
    await expect(FakeQQServer.start(typo)).rejects.toMatchObject({
      code: 'QQBOT_INVALID_OPTION',
      message: expect.stringContaining('Unknown option `heartbeatIntervalMS`; did you mean `heartbeatIntervalMs`?'),
    });
    const far = { zzz: 1 } as unknown as FakeQQServerOptions;
    await expect(FakeQQServer.start(far)).rejects.toMatchObject({
      code: 'QQBOT_INVALID_OPTION',
      message: expect.stringContaining('known options: `appId`, `secret`, `apps`'),
    });
  });

  it('fills every default from the one declaration of the options', async () => {
    const fake = await FakeQQServer.start();
    try {
      const res = await request(fake.endpoints.token, {
        method: 'POST',
        body: JSON.stringify({ appId: 'test-app', clientSecret: 'test-secret' }),
      });
      expect(await res.body.json()).toMatchObject({ expires_in: '7200' });
    } finally {
      await fake.close();
    }
  });

  it('waitFor rejects after its timeout and when the fake closes', async () => {
    const fake = await startFake();
    await expect(fake.waitFor(() => false, 30)).rejects.toThrow(/timed out after 30 ms/);
    const pending = fake.waitFor(() => false, 5000);
    await fake.close();
    await expect(pending).rejects.toThrow(/closed/);
    await fake.close();
  });

  it('close() leaves no open handle', async () => {
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
      return counts;
    };
    // libuv finishes closing handles in the loop's close phase: let two turns pass before counting.
    const turns = async (): Promise<void> => {
      for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    };
    await turns();
    const before = count();
    const localAgent = new Agent();
    const fake = await FakeQQServer.start();
    const res = await request(fake.endpoints.token, {
      method: 'POST',
      body: JSON.stringify({ appId: 'test-app', clientSecret: 'test-secret' }),
      dispatcher: localAgent,
    });
    const tok = ((await res.body.json()) as { access_token: string }).access_token;
    fake.hangGatewayBot(1);
    const hung = request(`${fake.url}/gateway/bot`, {
      headers: { authorization: `QQBot ${tok}` },
      dispatcher: localAgent,
    }).catch(() => 'failed');
    const { client } = await ready(fake, tok);
    fake.sendInvalidSession(true);
    const pacing = fake.emitEvents(1000, { ratePerSec: 10 });
    await fake.waitFor(() => fake.stats.gatewayBotCalls === 1);

    await fake.close();
    expect(await hung).toBe('failed');
    expect((await client.closed).code).toBe(1006);
    expect((await pacing).length).toBeLessThan(1000);
    await localAgent.close();
    await turns();
    const after = count();
    expect(after['TCPServerWrap'] ?? 0).toBe(before['TCPServerWrap'] ?? 0);
    expect(after['TCPSocketWrap'] ?? 0).toBe(before['TCPSocketWrap'] ?? 0);
    expect(after['Timeout'] ?? 0).toBeLessThanOrEqual(before['Timeout'] ?? 0);
  });
});
