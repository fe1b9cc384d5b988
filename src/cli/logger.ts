import type { Logger } from '../options.js';

export interface CliLoggerOptions {
  /** Writes one line (no newline). */
  writeLine(text: string): void;
  /** Debug lines are written only when true; otherwise `debug` is a no-op. */
  verbose: boolean;
  /** Strings that must never be written (the secret): replaced by `***` in every line. */
  redact: readonly string[];
}

type Level = 'debug' | 'info' | 'warn' | 'error';

function noop(): void {}

/** Replaces every occurrence of each secret in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('***');
  return out;
}

/**
 * The connector's `logger` for the CLI: `2024-05-01T10:00:00.000Z WARN restarting: … {"shard":0}` on stderr.
 * Disabled levels are swapped for a no-op once, pino-style, and `isLevelEnabled` tells the connector so: it
 * builds no debug text at all without `--verbose`.
 */
export function createCliLogger({ writeLine, verbose, redact: secrets }: CliLoggerOptions): Logger {
  const write =
    (level: Level) =>
    (obj: object | string, msg?: string): void => {
      const text = typeof obj === 'string' ? obj : msg ?? '';
      const fields = typeof obj === 'string' ? '' : JSON.stringify(obj);
      const line = `${new Date().toISOString()} ${level.toUpperCase()} ${text}${fields === '' || fields === '{}' ? '' : ` ${fields}`}`;
      writeLine(redact(line, secrets));
    };
  return {
    debug: verbose ? write('debug') : noop,
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    isLevelEnabled: (level) => verbose || level !== 'debug',
  };
}
