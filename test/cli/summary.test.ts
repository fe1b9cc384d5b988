import { describe, expect, it } from 'vitest';
import { buildDemoSummary, formatDemoSummary, type DemoFacts } from '../../src/cli/summary.js';

const facts = (overrides: Partial<DemoFacts> = {}): DemoFacts => ({
  stopReason: 'duration',
  durationMs: 3_000.4,
  shards: 1,
  transport: 'websocket',
  ratePerSec: 200,
  chaosMs: 500,
  sent: 600,
  received: 600,
  distinct: 600,
  duplicated: 0,
  outOfOrder: 0,
  unnumbered: 0,
  restarts: 2,
  kills: 2,
  newSessions: 0,
  recoveryMs: [10.04, 30],
  duplicatesDropped: 0,
  fatal: null,
  ...overrides,
});

describe('the demo summary', () => {
  it('derives the verdict, losses and recovery statistics from the counts', () => {
    expect(buildDemoSummary(facts())).toMatchObject({
      mode: 'demo',
      ok: true,
      durationMs: 3000,
      lost: 0,
      medianRecoveryMs: 20,
      maxRecoveryMs: 30,
    });
    expect(buildDemoSummary(facts({ distinct: 598, received: 598 }))).toMatchObject({ ok: false, lost: 2 });
    expect(buildDemoSummary(facts({ kills: 0, recoveryMs: [] }))).toMatchObject({
      medianRecoveryMs: null,
      maxRecoveryMs: null,
    });
  });

  it('is not ok after a fatal error, and says which', () => {
    const summary = buildDemoSummary(facts({ fatal: { code: 'QQBOT_RESTART_BUDGET', message: 'too many restarts' } }));
    expect(summary.ok).toBe(false);
    expect(formatDemoSummary(summary)).toMatch(/^FAILED: QQBOT_RESTART_BUDGET: too many restarts$/m);
  });

  it('reports dispatches without data.n, in JSON and in the text when there are any', () => {
    const summary = buildDemoSummary(facts({ received: 601, unnumbered: 1 }));
    expect(summary).toMatchObject({ received: 601, unnumbered: 1, lost: 0 });
    expect(formatDemoSummary(summary)).toMatch(/^ {2}events without a number \(data\.n\) +1$/m);
    expect(formatDemoSummary(buildDemoSummary(facts()))).not.toMatch(/without a number/);
  });

  it('explains events out of order over webhook (redeliveries), and only there', () => {
    const row = (text: string): string | undefined =>
      text.split('\n').find((line) => line.trimStart().startsWith('out of order'));
    expect(row(formatDemoSummary(buildDemoSummary(facts({ transport: 'webhook', outOfOrder: 29 }))))).toMatch(
      / 29 \(expected over webhook: the platform redelivers/,
    );
    expect(row(formatDemoSummary(buildDemoSummary(facts({ transport: 'webhook', outOfOrder: 0 }))))).toMatch(/ 0$/);
    expect(row(formatDemoSummary(buildDemoSummary(facts({ outOfOrder: 3 }))))).toMatch(/ 3$/);
  });

  it('keeps the documented JSON key order', () => {
    expect(Object.keys(buildDemoSummary(facts()))).toEqual([
      'mode',
      'ok',
      'stopReason',
      'durationMs',
      'shards',
      'transport',
      'ratePerSec',
      'chaosMs',
      'sent',
      'received',
      'lost',
      'duplicated',
      'outOfOrder',
      'unnumbered',
      'restarts',
      'kills',
      'newSessions',
      'medianRecoveryMs',
      'maxRecoveryMs',
      'duplicatesDropped',
      'fatal',
    ]);
  });
});
