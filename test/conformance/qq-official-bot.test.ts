import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeQQServer } from '../../src/testing/index.js';
import { SAMPLE_IDS } from '../../src/testing/sample-events.js';

/**
 * Conformance: a third-party SDK from npm (qq-official-bot, pinned in devDependencies), written against the live
 * platform, runs against FakeQQServer with the fake's defaults. It connects, receives group and C2C messages,
 * survives the platform's periodic reconnect (op 7 + close 4009) and replies passively. The SDK reads `group_id`
 * and `author.id`, sends text without `msg_type` and resumes with its own seq: if the fake stops speaking the
 * wire (drops a live field, refuses what the platform takes, replays wrong), this test fails.
 *
 * The SDK runs in a child process (test/fixtures/qq-official-bot-child.js): it installs process-wide handlers
 * and timers. Worked around there: its hard-coded https endpoints (token, API) are pointed at the fake, its axios
 * gets no proxy (loopback only), and of its two reconnect paths only the one that resumes is left: on close 4009
 * both its receiver and its connection manager reconnect, each on its own socket, and the manager's re-identifies
 * when its Hello wins a race (a new session, the missed event lost) or closes the receiver's new socket.
 * `SDK_LOG=debug` in the environment shows the SDK's own log.
 */

/** Each wait; generous, the machine may be loaded. */
const WAIT_MS = 15_000;
const CHILD = fileURLToPath(new URL('../fixtures/qq-official-bot-child.js', import.meta.url));

interface Report {
  kind: 'ready' | 'group' | 'c2c' | 'replied' | 'reply-failed';
  [field: string]: unknown;
}

let fake: FakeQQServer;
let child: ChildProcess | undefined;
let reports: Report[];

beforeEach(async () => {
  fake = await FakeQQServer.start();
  reports = [];
});

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
  await fake.close();
});

/** Starts the SDK; resolves once it reported READY. An empty environment: no proxy variables reach axios. */
async function startSdk(): Promise<void> {
  child = fork(CHILD, [fake.url, fake.endpoints.token], {
    env: { PATH: process.env.PATH ?? '', SDK_LOG: process.env.SDK_LOG ?? 'off' },
    execArgv: [],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('message', (m) => reports.push(m as Report));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the SDK process exited (${String(code)}): ${stderr}`);
  });
  await Promise.race([until('READY', () => reports.some((r) => r.kind === 'ready')), exited]);
}

const of = (kind: Report['kind']): Report[] => reports.filter((r) => r.kind === kind);

/** Waits for `predicate`; on timeout the error says what the SDK reported and what the fake saw. */
async function until(what: string, predicate: () => boolean): Promise<void> {
  try {
    await fake.waitFor(predicate, WAIT_MS);
  } catch (err) {
    const { identifies, resumes, connections, liveConnections } = fake.stats;
    const seen = { reports, identifies: identifies.length, resumes, connections, liveConnections };
    throw new Error(`${what}: not within ${WAIT_MS} ms; ${JSON.stringify(seen)}`, { cause: err });
  }
}

it(
  'qq-official-bot: READY, group and C2C messages, a reconnect resumed with replay, passive replies on the right routes',
  async () => {
    await startSdk();
    expect(of('ready')).toEqual([{ kind: 'ready', self_id: 'bot-1' }]);
    expect(fake.stats.identifies).toHaveLength(1);

    await fake.emitEvents(1); // GROUP_AT_MESSAGE_CREATE, n = 0
    await fake.emitEvents(1, { type: 'C2C_MESSAGE_CREATE' }); // n = 1
    await until('two replies', () => of('replied').length === 2);

    // The SDK routes by the live aliases: group_id (not group_openid) and author.id (not the openids).
    expect(of('group')).toEqual([
      {
        kind: 'group',
        group_id: SAMPLE_IDS.group,
        user_id: SAMPLE_IDS.member,
        message_id: 'fake-msg-0',
        raw: 'event 0',
      },
    ]);
    expect(of('c2c')).toEqual([{ kind: 'c2c', user_id: SAMPLE_IDS.user, message_id: 'fake-msg-1', raw: 'event 1' }]);
    // It sends text without msg_type, as the official Go SDK does: the fake takes it as text.
    expect(fake.rest.messages.map((m) => [m.kind, m.targetId, m.body])).toEqual([
      ['group', SAMPLE_IDS.group, { content: 'pong event 0', msg_id: 'fake-msg-0', msg_seq: expect.any(Number) }],
      ['c2c', SAMPLE_IDS.user, { content: 'pong event 1', msg_id: 'fake-msg-1', msg_seq: expect.any(Number) }],
    ]);
    expect(of('reply-failed')).toEqual([]);

    // The platform's periodic reconnect. The event dispatched while no socket is live is replayed on RESUME.
    let resumed = 0;
    fake.on('resumed', () => resumed++);
    fake.sendReconnect();
    await fake.emitEvents(1); // n = 2, logged while the SDK reconnects
    await until('RESUMED', () => resumed === 1);
    await fake.emitEvents(1); // n = 3, live on the resumed socket
    await until('four replies', () => of('replied').length === 4);

    expect(of('group').map((r) => r.message_id)).toEqual(['fake-msg-0', 'fake-msg-2', 'fake-msg-3']);
    expect(fake.stats.identifies).toHaveLength(1);
    expect(fake.stats.resumes.map((r) => [r.sessionId, r.seq])).toEqual([['session-1', 3]]);
    expect(fake.stats.maxConcurrentPerSession).toBe(1);
    expect(fake.stats.liveConnections).toBe(1);
    expect(fake.rest.messages.slice(2).map((m) => [m.kind, m.targetId, m.body.msg_id])).toEqual([
      ['group', SAMPLE_IDS.group, 'fake-msg-2'],
      ['group', SAMPLE_IDS.group, 'fake-msg-3'],
    ]);
    expect(of('reply-failed')).toEqual([]);
  },
  4 * WAIT_MS,
);
