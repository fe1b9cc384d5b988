import { describe, expect, it } from 'vitest';
import { parseCli, SANDBOX_API_URL, UsageError } from '../../src/cli/args.js';
import { DeliveryTracker, median } from '../../src/cli/delivery-tracker.js';
import { parseIntents } from '../../src/cli/intents.js';
import { Intents } from '../../src/protocol/intents.js';

describe('intent names', () => {
  it('maps the default list to GROUP_AND_C2C_EVENT | PUBLIC_GUILD_MESSAGES', () => {
    expect(parseIntents('group,c2c,guild-at')).toBe(Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES);
  });

  it('accepts the Intents constant names and ignores blanks', () => {
    expect(parseIntents(' dm , ,GUILDS')).toBe(Intents.DIRECT_MESSAGE | Intents.GUILDS);
  });

  it('names every unknown entry', () => {
    expect(() => parseIntents('group,nope,zap')).toThrow(/unknown intent 'nope', 'zap'; valid names: group/);
  });
});

describe('parseCli', () => {
  it('runs the demo without credentials, with its defaults: kills every second, a summary after 10 s', () => {
    expect(parseCli([], {})).toEqual({
      mode: 'demo',
      intents: Intents.GROUP_AND_C2C_EVENT | Intents.PUBLIC_GUILD_MESSAGES,
      shards: 1,
      durationMs: 10_000,
      verbose: false,
      json: false,
      webhook: false,
      ratePerSec: 200,
      chaosMs: 1_000,
      bots: 1,
    });
  });

  it('--duration 0 runs until a signal, --chaos 0 kills nothing', () => {
    expect(parseCli(['--duration', '0', '--chaos', '0'], {})).toMatchObject({
      mode: 'demo',
      durationMs: undefined,
      chaosMs: undefined,
    });
    expect(parseCli(['--duration', '2.5', '--chaos', '10'], {})).toMatchObject({ durationMs: 2_500, chaosMs: 10 });
  });

  it('live mode runs until a signal unless --duration says otherwise', () => {
    const env = { QQBOT_APP_ID: 'app', QQBOT_SECRET: 's' };
    expect(parseCli([], env)).toMatchObject({ mode: 'live', durationMs: undefined });
    expect(parseCli(['--duration', '0'], env)).toMatchObject({ mode: 'live', durationMs: undefined });
    expect(parseCli(['--duration', '30'], env)).toMatchObject({ mode: 'live', durationMs: 30_000 });
  });

  it("--shards takes a count up to MAX_SHARDS, or auto in live mode (the connector's shards: 'auto')", () => {
    const env = { QQBOT_APP_ID: 'app', QQBOT_SECRET: 's' };
    expect(parseCli(['--shards', 'auto'], env)).toMatchObject({ mode: 'live', shards: 'auto' });
    expect(parseCli(['--shards', '1024'], env)).toMatchObject({ mode: 'live', shards: 1_024 });
    expect(() => parseCli(['--shards', '1025'], env)).toThrow(
      new UsageError('--shards must be between 1 and 1024, got 1025'),
    );
    expect(() => parseCli(['--shards', 'auto'], {})).toThrow(/--shards auto needs live mode/);
  });

  it('--bots runs several bots in the demo: 1 to 1000, not with --webhook, not live', () => {
    expect(parseCli(['--bots', '50'], {})).toMatchObject({ mode: 'demo', bots: 50 });
    expect(() => parseCli(['--bots', '0'], {})).toThrow(new UsageError('--bots must be between 1 and 1000, got 0'));
    expect(() => parseCli(['--bots', '2', '--webhook'], {})).toThrow(UsageError);
    expect(() => parseCli(['--bots', '2'], { QQBOT_APP_ID: 'app', QQBOT_SECRET: 's' })).toThrow(
      new UsageError('--bots applies to demo mode only (no credentials, or --demo)'),
    );
  });

  it('refuses a --chaos interval between 0 and 10 ms', () => {
    expect(() => parseCli(['--chaos', '5'], {})).toThrow(
      new UsageError('--chaos must be 0 (no kills) or between 10 and 3600000, got 5'),
    );
  });

  it('goes live with credentials from the environment; flags beat env', () => {
    const command = parseCli(['--api-url', 'http://flag.example'], {
      QQBOT_APP_ID: 'app',
      QQBOT_SECRET: 's',
      QQBOT_API_URL: 'http://env.example',
      QQBOT_TOKEN_URL: 'http://env.example/token',
    });
    expect(command).toMatchObject({
      mode: 'live',
      appId: 'app',
      secret: { from: 'env', value: 's' },
      endpoints: { api: 'http://flag.example', token: 'http://env.example/token' },
    });
  });

  it('--sandbox switches the API origin and beats QQBOT_API_URL', () => {
    const command = parseCli(['--sandbox', '--app-id', 'app', '--secret-file', '/s'], {
      QQBOT_API_URL: 'http://env.example',
    });
    expect(command).toMatchObject({
      mode: 'live',
      secret: { from: 'file', path: '/s' },
      endpoints: { api: SANDBOX_API_URL },
    });
  });

  it('--demo wins over credentials in the environment', () => {
    expect(parseCli(['--demo', '--chaos', '500'], { QQBOT_APP_ID: 'app', QQBOT_SECRET: 's' })).toMatchObject({
      mode: 'demo',
      chaosMs: 500,
    });
  });

  it('treats empty environment variables as unset', () => {
    expect(parseCli([], { QQBOT_APP_ID: '', QQBOT_SECRET: '  ' })).toMatchObject({ mode: 'demo' });
  });

  it.each([
    [['--secret', 'x'], /QQBOT_SECRET or pass --secret-file/],
    [['--api-url', 'ftp://x'], /--api-url needs live mode/],
    [['--app-id', 'a', '--secret-file', '/s', '--api-url', 'ftp://x'], /--api-url expects an http\(s\) URL/],
    [['--app-id', 'a', '--secret-file', '/s', '--sandbox', '--api-url', 'http://x'], /--sandbox and --api-url/],
    [['--duration', '1e3'], /--duration expects a number/],
    [['--rate', ''], /--rate expects a number/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(UsageError);
    expect(() => parseCli(argv, {})).toThrow(message);
  });

  it('lets --secret-file through even though it starts like --secret', () => {
    expect(parseCli(['--app-id', 'a', '--secret-file', '/s'], {})).toMatchObject({ mode: 'live' });
  });
});

describe('DeliveryTracker', () => {
  it('counts duplicates and late arrivals by data.n', () => {
    const tracker = new DeliveryTracker();
    for (const n of [0, 1, 3, 2, 3, 5000]) tracker.record({ n });
    tracker.record({ other: true });
    expect({
      received: tracker.received,
      distinct: tracker.distinct,
      duplicated: tracker.duplicated,
      outOfOrder: tracker.outOfOrder,
      unnumbered: tracker.unnumbered,
    }).toEqual({
      received: 7,
      distinct: 5,
      duplicated: 1,
      outOfOrder: 1,
      unnumbered: 1,
    });
  });

  it('takes the median of odd and even counts, null when empty', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
