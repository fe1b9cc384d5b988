import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.js';
import { selfSignedCert } from '../../src/testing/self-signed.js';
import { DEFAULT_WEBHOOK } from '../../src/transports/webhook/options.js';

const base = { appId: '1', secret: 's3cret-value' };

function refused(options: unknown): { code: string; message: string } {
  try {
    resolveOptions(options);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected the options to be refused');
}

describe('the transport option', () => {
  it('defaults to the WebSocket gateway, and the webhook to 127.0.0.1:8443/qqbot with the documented limits', () => {
    expect(resolveOptions({ ...base, intents: 1 }).transport).toEqual({ kind: 'websocket' });
    expect(resolveOptions({ ...base, transport: { kind: 'webhook' } }).transport).toEqual({
      kind: 'webhook',
      tls: null,
      ...DEFAULT_WEBHOOK,
    });
    expect(DEFAULT_WEBHOOK).toMatchObject({
      maxBodyBytes: 1_048_576,
      timestampWindowMs: 300_000,
      host: '127.0.0.1',
      port: 8443,
      path: '/qqbot',
    });
  });

  it('needs no intents for the webhook, still needs them for the WebSocket', () => {
    expect(() => resolveOptions({ ...base, transport: { kind: 'webhook', port: 0 } })).not.toThrow();
    expect(refused({ ...base, transport: { kind: 'websocket' } }).code).toBe('QQBOT_INVALID_OPTION');
  });

  it.each([
    [{ kind: 'webhook', prot: 8443 }, /transport\.prot.*did you mean `transport\.port`/],
    [{ kind: 'websocket', port: 1 }, /transport\.port/],
    [{ kind: 'http' }, /transport\.kind/],
    [{ kind: 'webhook', port: 70_000 }, /transport\.port/],
    [{ kind: 'webhook', path: 'qqbot' }, /transport\.path/],
    [{ kind: 'webhook', maxBodyBytes: 10 }, /transport\.maxBodyBytes/],
    [{ kind: 'webhook', tls: { key: 'k', cert: 'c', ca: 'x' } }, /transport\.tls\.ca/],
    [{ kind: 'webhook', tls: { key: 'k', certs: 'c' } }, /transport\.tls\.certs.*did you mean `transport\.tls\.cert`/],
    [{ kind: 'webhook', tls: { key: 'k' } }, /transport\.tls\.cert/],
    [{ kind: 'webhook', tls: 'pem' }, /transport\.tls/],
  ])('refuses %j', (transport, message) => {
    const err = refused({ ...base, transport });
    expect(err.code).toBe('QQBOT_INVALID_OPTION');
    expect(err.message).toMatch(message);
  });

  it('checks the TLS pair at construction and never quotes the key', () => {
    const a = selfSignedCert();
    const b = selfSignedCert();
    expect(resolveOptions({ ...base, transport: { kind: 'webhook', tls: a } }).transport).toMatchObject({ tls: a });
    const buffers = { key: Buffer.from(a.key), cert: Buffer.from(a.cert) };
    expect(resolveOptions({ ...base, transport: { kind: 'webhook', tls: buffers } }).transport).toMatchObject({
      tls: a,
    });
    const err = refused({ ...base, transport: { kind: 'webhook', tls: { key: a.key, cert: b.cert } } });
    expect(err.code).toBe('QQBOT_INVALID_OPTION');
    expect(err.message).not.toContain('PRIVATE KEY');
    expect(err.message).not.toContain(base.secret);
  });
});
