import { describe, expect, it } from 'vitest';
import { parseCli, type LiveConfig } from '../../src/cli/args.js';
import { runLive } from '../../src/cli/live.js';

const signalListeners = (): number[] => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];

describe('live mode, in process', () => {
  it('removes its signal handlers and --duration timer when something throws after they were set', async () => {
    const before = signalListeners();
    const broken = {
      isTTY: false,
      write(): boolean {
        throw new Error('stderr is broken');
      },
      on(): unknown {
        return broken;
      },
    } as unknown as NodeJS.WriteStream;
    // Nothing listens on port 9: the run never gets that far, the first log line throws.
    const env = {
      QQBOT_APP_ID: 'test-app',
      QQBOT_SECRET: 'test-secret',
      QQBOT_API_URL: 'http://127.0.0.1:9',
      QQBOT_TOKEN_URL: 'http://127.0.0.1:9/token',
    };
    const config = parseCli(['--duration', '60'], env) as LiveConfig;
    await expect(runLive(config, { stdout: broken, stderr: broken })).rejects.toThrow('stderr is broken');
    expect(signalListeners()).toEqual(before);
  });
});
