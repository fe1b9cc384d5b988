import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from './cli-process.js';

afterEach(killAll);

describe('demo mode (no credentials)', () => {
  it('survives a worker kill every 500 ms and ends with every event received exactly once', async () => {
    const cli = startCli(['--chaos', '500', '--duration', '3', '--json']);
    expect(await cli.exit(15_000), cli.stderr()).toEqual({ code: 0, signal: null });
    const summary = JSON.parse(cli.stdout()) as Record<string, unknown>;
    expect(summary).toMatchObject({ mode: 'demo', ok: true, lost: 0, duplicated: 0, outOfOrder: 0, unnumbered: 0, fatal: null, stopReason: 'duration' });
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.received).toBe(summary.sent);
    expect(summary.restarts).toBeGreaterThanOrEqual(3);
    expect(summary.kills).toBe(summary.restarts);
    expect(summary.medianRecoveryMs).toEqual(expect.any(Number));
  });

  it('stops cleanly on SIGTERM: prints the summary and the process exits by itself', async () => {
    const cli = startCli([]);
    await cli.stderrMatches(/streaming events/, 10_000);
    cli.child.kill('SIGTERM');
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(/stopped by SIGTERM/);
    expect(cli.stdout()).toMatch(/^ {2}lost +0$/m);
    expect(cli.stdout()).toMatch(/OK: every event sent was received exactly once/);
  });

  it('exits 0 without an EPIPE crash when the stdout reader went away (`| head`)', async () => {
    const cli = startCli(['--duration', '1']);
    await cli.stderrMatches(/streaming events/, 10_000);
    // The reader closes its end of the pipe before the summary is written: that write fails with EPIPE.
    cli.child.stdout?.destroy();
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).not.toMatch(/EPIPE|Error/);
  });

  it('stops cleanly on SIGINT with --json', async () => {
    const cli = startCli(['--json', '--rate', '1000']);
    await cli.stderrMatches(/streaming events/, 10_000);
    cli.child.kill('SIGINT');
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(JSON.parse(cli.stdout())).toMatchObject({ ok: true, stopReason: 'SIGINT', lost: 0, duplicated: 0 });
  });
});
