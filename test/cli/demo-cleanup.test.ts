import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseCli, type DemoConfig } from '../../src/cli/args.js';
import { runDemo } from '../../src/cli/demo.js';

/** Whether something accepts TCP connections at `url`'s host and port. */
function listening(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A stderr whose first write works and whose later writes throw. */
function stderrBrokenAfterOneLine(): { stream: NodeJS.WriteStream; written: () => string } {
  let written = '';
  const stream = {
    isTTY: false,
    write(text: string): boolean {
      if (written !== '') throw new Error('stderr is broken');
      written += text;
      return true;
    },
    on(): unknown {
      return stream;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, written: () => written };
}

describe('demo mode, in process', () => {
  it('closes the fake and removes its signal handlers when something throws after the fake started', async () => {
    const signalsBefore = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const stderr = stderrBrokenAfterOneLine();
    const config = parseCli(['--duration', '1'], {}) as DemoConfig;
    await expect(runDemo(config, { stdout: stderr.stream, stderr: stderr.stream })).rejects.toThrow('stderr is broken');
    const url = /fake QQ at (http:\/\/\S+)/.exec(stderr.written())?.[1];
    expect(url, stderr.written()).toBeDefined();
    expect(await listening(new URL(url as string))).toBe(false);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(signalsBefore);
  });
});
