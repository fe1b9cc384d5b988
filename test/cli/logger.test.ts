import { describe, expect, it } from 'vitest';
import { createCliLogger } from '../../src/cli/logger.js';

describe('the CLI logger', () => {
  it('reports debug as disabled without --verbose, so the connector builds no debug text', () => {
    const logger = createCliLogger({ writeLine: () => undefined, verbose: false });
    expect(logger.isLevelEnabled?.('debug')).toBe(false);
    expect(logger.isLevelEnabled?.('info')).toBe(true);
    expect(logger.isLevelEnabled?.('warn')).toBe(true);
  });

  it('reports debug as enabled with --verbose', () => {
    const logger = createCliLogger({ writeLine: () => undefined, verbose: true });
    expect(logger.isLevelEnabled?.('debug')).toBe(true);
  });
});
