import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from './cli-process.js';

afterEach(killAll);

const EXIT_MS = 10_000;

describe('bad usage exits with code 2 and says why on stderr', () => {
  it('rejects an unknown flag', async () => {
    const cli = startCli(['--bogus']);
    expect(await cli.exit(EXIT_MS), cli.stderr()).toEqual({ code: 2, signal: null });
    expect(cli.stderr()).toMatch(/unknown option --bogus/);
    expect(cli.stdout()).toBe('');
  });

  it('rejects an unknown intent and lists the valid names', async () => {
    const cli = startCli(['--intents', 'group,nope']);
    expect((await cli.exit(EXIT_MS)).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toMatch(/unknown intent 'nope'/);
    for (const name of [
      'group',
      'c2c',
      'guild-at',
      'guild',
      'dm',
      'interaction',
      'guilds',
      'members',
      'reactions',
      'audit',
      'forum',
    ]) {
      expect(cli.stderr()).toContain(`${name} (`);
    }
  });

  it.each([['--secret', 'sekret-on-argv-123'], ['--secret=sekret-on-argv-123']])(
    'refuses a secret on the command line (%s) without echoing it',
    async (...args) => {
      const cli = startCli(args);
      expect((await cli.exit(EXIT_MS)).code, cli.stderr()).toBe(2);
      expect(cli.stderr()).toMatch(/QQBOT_SECRET/);
      expect(cli.stderr()).toMatch(/--secret-file/);
      expect(cli.stderr() + cli.stdout()).not.toContain('sekret-on-argv-123');
    },
  );

  it('does not echo a stray positional argument (it might be a pasted secret)', async () => {
    const cli = startCli(['pasted-secret-456']);
    expect((await cli.exit(EXIT_MS)).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toMatch(/unexpected argument/);
    expect(cli.stderr()).not.toContain('pasted-secret-456');
  });

  it.each([
    [['--rate', 'fast'], /--rate expects a number/],
    [['--chaos', '-5'], /--chaos/],
    [['--shards', '0'], /--shards must be between 1 and 1024/],
    [['--shards', 'many'], /--shards expects an integer/],
    [['--shards', 'auto'], /--shards auto needs live mode/],
    [['--duration', '1e3'], /--duration expects a number/],
  ])('rejects a bad number: %j', async (args, message) => {
    const cli = startCli(args);
    expect((await cli.exit(EXIT_MS)).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toMatch(message);
  });

  it('rejects a demo-only flag in live mode', async () => {
    const cli = startCli(['--chaos', '500'], { QQBOT_APP_ID: 'app', QQBOT_SECRET: 'secret-789' });
    expect((await cli.exit(EXIT_MS)).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toMatch(/--chaos applies to demo mode only/);
    expect(cli.stderr()).not.toContain('secret-789');
  });

  it('rejects an app id without a secret', async () => {
    const cli = startCli(['--app-id', 'app']);
    expect((await cli.exit(EXIT_MS)).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toMatch(/no secret: set QQBOT_SECRET or pass --secret-file/);
  });

  it('rejects a live-only flag in demo mode', async () => {
    const cli = startCli(['--sandbox']);
    expect((await cli.exit(EXIT_MS)).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toMatch(/--sandbox needs live mode/);
  });
});

describe('help and version', () => {
  it('--help prints the usage and exits 0', async () => {
    const cli = startCli(['--help']);
    expect(await cli.exit(EXIT_MS), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(/^Usage:/m);
    expect(cli.stdout()).toMatch(/--secret-file/);
    expect(cli.stdout()).toMatch(/--shards <n\|auto>/);
    expect(cli.stderr()).toBe('');
  });

  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const cli = startCli(['--version']);
    expect(await cli.exit(EXIT_MS), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toBe(`${pkg.version}\n`);
  });
});
