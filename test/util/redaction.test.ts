import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/util/redaction.js';

describe('createRedactor', () => {
  it('replaces every occurrence of the secret', () => {
    expect(createRedactor(['s3cret'])('token s3cret, again s3cret')).toBe('token ***, again ***');
  });

  it('also replaces the secret where JSON escaped it (log fields, JSON status lines)', () => {
    const secret = 'se"cr\\et';
    const redact = createRedactor([secret]);
    const line = `WARN refused ${JSON.stringify({ body: `bad secret ${secret}` })}`;
    expect(redact(line)).toBe('WARN refused {"body":"bad secret ***"}');
  });

  it('leaves text alone when there is no secret to hide', () => {
    expect(createRedactor([''])('nothing *** here')).toBe('nothing *** here');
  });
});
