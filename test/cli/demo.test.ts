import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from './cli-process.js';

afterEach(killAll);

describe('demo mode (no credentials)', () => {
  // `npm start` with no flags, and no terminal (the child's stdio are pipes): the default restart options, kills on.
  it('with no flags, kills workers and ends by itself after about 10 s with the summary', async () => {
    const cli = startCli([]);
    expect(await cli.exit(45_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/killing the worker thread every 1000 ms/);
    const out = cli.stdout();
    expect(out).toMatch(/^demo summary: (9|10|11)\.\d s of events, 1 shard, 200 events\/s, stopped by duration$/m);
    const row = (name: string): string => new RegExp(`^ {2}${name} +(.+)$`, 'm').exec(out)?.[1] ?? `no ${name} row`;
    const sent = Number(row('events sent by the fake'));
    expect(sent).toBeGreaterThan(1_000);
    expect(Number(row('events received'))).toBe(sent);
    expect(row('lost')).toBe('0');
    expect(row('duplicated')).toBe('0');
    expect(row('restarts')).toMatch(/^[1-9]\d* \([1-9]\d* workers killed by --chaos\)$/);
    expect(row('recovery \\(kill → resumed\\)')).toMatch(/^median [\d.]+ ms, max [\d.]+ ms$/);
    expect(out).toMatch(/OK: every event sent was received exactly once/);
  }, 60_000);

  it('--duration 0 streams until Ctrl-C', async () => {
    const cli = startCli(['--duration', '0', '--chaos', '0', '--json']);
    await cli.stderrMatches(/streaming events/, 15_000);
    expect(cli.stderr()).toMatch(/Ctrl-C to stop/);
    cli.child.kill('SIGINT');
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(JSON.parse(cli.stdout())).toMatchObject({ ok: true, stopReason: 'SIGINT', chaosMs: null, kills: 0 });
  });

  it('survives a worker kill every 500 ms and ends with every event received exactly once', async () => {
    const cli = startCli(['--chaos', '500', '--duration', '3', '--json']);
    expect(await cli.exit(15_000), cli.stderr()).toEqual({ code: 0, signal: null });
    const summary = JSON.parse(cli.stdout()) as Record<string, unknown>;
    expect(summary).toMatchObject({
      mode: 'demo',
      ok: true,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      unnumbered: 0,
      fatal: null,
      stopReason: 'duration',
    });
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.received).toBe(summary.sent);
    // Default restart options: kills in a row may back off, and a tick that finds the shard restarting is skipped.
    expect(summary.kills).toBeGreaterThanOrEqual(1);
    expect(summary.kills).toBe(summary.restarts);
    expect(summary.medianRecoveryMs).toEqual(expect.any(Number));
  });

  it('--bots 4: four bots share worker threads; the summary counts each bot and the total, exactly once', async () => {
    const cli = startCli(['--bots', '4', '--chaos', '300', '--duration', '3', '--json']);
    expect(await cli.exit(30_000), cli.stderr()).toEqual({ code: 0, signal: null });
    const summary = JSON.parse(cli.stdout()) as {
      sent: number;
      received: number;
      kills: number;
      perBot: Array<Record<string, unknown>>;
    } & Record<string, unknown>;
    expect(summary).toMatchObject({ ok: true, lost: 0, duplicated: 0, fatal: null });
    expect(summary.perBot.map((b) => b.appId)).toEqual(['demo-app', 'demo-app-2', 'demo-app-3', 'demo-app-4']);
    for (const bot of summary.perBot) {
      expect(bot).toMatchObject({ ok: true, lost: 0, duplicated: 0 });
      expect(bot.sent).toBeGreaterThan(0);
      expect(bot.received).toBe(bot.sent);
    }
    expect(summary.perBot.reduce((sum, b) => sum + (b.sent as number), 0)).toBe(summary.sent);
    expect(summary.perBot.reduce((sum, b) => sum + (b.kills as number), 0)).toBe(summary.kills);
    expect(cli.stderr()).toMatch(/4 bots in this process, sharing worker threads/);
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
