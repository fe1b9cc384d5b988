import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ShardStatus } from '../../src/events.js';
import { createRedactor } from '../../src/util/redaction.js';
import { JsonStatus, type StatusFacts } from '../../src/cli/status-line.js';

function collect(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

const shard = (overrides: Partial<ShardStatus>): ShardStatus => ({
  shard: 0,
  state: 'backoff',
  connectedSince: null,
  disconnectedSince: 0,
  consecutiveFailures: 1,
  nextAttemptAt: null,
  phase: null,
  threadId: null,
  sessionId: null,
  seq: 0,
  restarts: 1,
  lastError: null,
  heartbeatLatencyMs: null,
  duplicatesDropped: 0,
  contested: false,
  ...overrides,
});

describe('JsonStatus', () => {
  it('redacts the secret in a shard’s lastError.message', () => {
    const secret = 'sekret-in-error-77';
    const out = collect();
    const facts = (): StatusFacts => ({
      shards: [
        shard({
          lastError: { code: 'QQBOT_HTTP_STATUS', message: `the endpoint echoed ${secret}`, details: { body: secret } },
        }),
      ],
      eventsPerSec: 0,
      received: 0,
    });
    const status = new JsonStatus(out.stream, facts, createRedactor([secret]));
    status.start();
    status.stop();
    expect(out.text()).not.toContain(secret);
    const line = JSON.parse(out.text()) as { type: string; shards: ShardStatus[] };
    expect(line).toMatchObject({ type: 'status', received: 0, eventsPerSec: 0 });
    expect(line.shards[0]?.lastError).toEqual({
      code: 'QQBOT_HTTP_STATUS',
      message: 'the endpoint echoed ***',
      details: { body: '***' },
    });
  });

  it('writes the status keys in the documented order', () => {
    const out = collect();
    const status = new JsonStatus(
      out.stream,
      () => ({ shards: [], eventsPerSec: 12.6, received: 3 }),
      createRedactor([]),
    );
    status.start();
    status.stop();
    expect(Object.keys(JSON.parse(out.text()) as object)).toEqual(['type', 'at', 'received', 'eventsPerSec', 'shards']);
    expect(out.text()).toContain('"eventsPerSec":13');
  });
});
