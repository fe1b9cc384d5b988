import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_PORT, UsageError, parseCli } from '../../src/cli/args.js';

const LIVE = { QQBOT_APP_ID: 'app', QQBOT_SECRET: 's' };

describe('CLI webhook flags', () => {
  it('--transport webhook --port N listens for callbacks in live mode; the gateway stays the default', () => {
    expect(parseCli(['--transport', 'webhook', '--port', '8080'], LIVE)).toMatchObject({
      mode: 'live',
      webhook: { port: 8080 },
    });
    expect(parseCli(['--transport', 'webhook'], LIVE)).toMatchObject({ webhook: { port: DEFAULT_WEBHOOK_PORT } });
    expect(parseCli([], LIVE)).toMatchObject({ mode: 'live', webhook: null });
    expect(parseCli(['--transport', 'websocket'], LIVE)).toMatchObject({ webhook: null });
  });

  it('--webhook runs the demo over callbacks', () => {
    expect(parseCli(['--webhook'], {})).toMatchObject({ mode: 'demo', webhook: true });
  });

  it.each([
    [['--transport', 'http'], LIVE, /--transport expects websocket or webhook/],
    [['--port', '8443'], LIVE, /--port applies to --transport webhook only/],
    [['--transport', 'webhook', '--port', '70000'], LIVE, /--port must be between 0 and 65535/],
    [['--webhook'], LIVE, /--webhook applies to demo mode only/],
    [['--transport', 'webhook'], {}, /--transport needs live mode/],
  ])('refuses %j', (argv, env, message) => {
    expect(() => parseCli(argv, env)).toThrow(UsageError);
    expect(() => parseCli(argv, env)).toThrow(message);
  });
});
