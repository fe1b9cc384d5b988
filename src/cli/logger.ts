import type { Logger } from '../options/shared.js';

export interface CliLoggerOptions {
  /** Writes one line (no newline). */
  writeLine(text: string): void;
  /** Debug lines are written only when true; otherwise `debug` is a no-op. */
  verbose: boolean;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

function noop(): void {}

/**
 * The connector's `logger` for the CLI: `2024-05-01T10:00:00.000Z WARN restarting: … {"shard":0}` on stderr.
 * Disabled levels are swapped for a no-op once, pino-style, and `isLevelEnabled` tells the connector so: it
 * builds no debug text at all without `--verbose`. It does not redact: `writeLine` is the one place that does.
 */
export function createCliLogger({ writeLine, verbose }: CliLoggerOptions): Logger {
  const write =
    (level: Level) =>
    (obj: object | string, msg?: string): void => {
      const text = typeof obj === 'string' ? obj : (msg ?? '');
      const fields = typeof obj === 'string' ? '' : JSON.stringify(obj);
      const line = `${new Date().toISOString()} ${level.toUpperCase()} ${text}${fields === '' || fields === '{}' ? '' : ` ${fields}`}`;
      writeLine(line);
    };
  return {
    debug: verbose ? write('debug') : noop,
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    isLevelEnabled: (level) => verbose || level !== 'debug',
  };
}
