import { describe, expect, it } from 'vitest';
import {
  answerValidation,
  exportPublicKey,
  importPublicKey,
  parseSignature,
  seedFromSecret,
  signWebhook,
  validationRequest,
  verifyWebhook,
  webhookKeyPair,
} from '../../src/transports/webhook/signature.js';

// docs/protocol.md §9: the platform's documented op 13 example.
const OP13 = {
  secret: 'DG5g3B4j9X2KOErG',
  eventTs: '1725442341',
  plainToken: 'Arq0D5A61EgUu4OxUvOp',
  signature:
    '87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d01bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706',
};

// The event vector of the official Go SDK's signature test (tencent-connect/botgo, interaction/signature):
// a C2C message body signed by the platform with the secret below.
const EVENT = {
  secret: '123456abcdef',
  timestamp: '1728981195',
  body: '{"id":"ROBOT1.0_veoihSEXDc8Q.g-6eLpNIa11bH8MisOjn-m-LKxCPntMk6exUXgcWCGpVO7L2QKTNZzjZzFFDSbiOFcqAPWyVA!!","content":"哦一下","timestamp":"2024-10-15T16:33:15+08:00","author":{"id":"675860273","user_openid":"675860273"}}',
  signature:
    'e949b5b94ef4103df903fb031d1d16e358db3db83e79e117edd404c8508be3ce8a76d7bad1bed353194c126a1a5915b4ad8b5288c1191cc53a12acffccd82004',
};

describe('webhook signatures', () => {
  it('answers the official op 13 vector', () => {
    const { privateKey } = webhookKeyPair(OP13.secret);
    const request = validationRequest({ plain_token: OP13.plainToken, event_ts: OP13.eventTs });
    expect(request).not.toBeNull();
    expect(answerValidation(privateKey, request!)).toEqual({ plain_token: OP13.plainToken, signature: OP13.signature });
  });

  it('verifies the Go SDK event vector with the public key alone, after a round trip through its raw bytes', async () => {
    const raw = exportPublicKey(webhookKeyPair(EVENT.secret).publicKey);
    expect(raw.byteLength).toBe(32);
    const publicKey = importPublicKey(raw);
    expect(await verifyWebhook(publicKey, EVENT.timestamp, Buffer.from(EVENT.body), EVENT.signature)).toBe(true);
    expect(
      await verifyWebhook(publicKey, EVENT.timestamp, Buffer.from(EVENT.body), EVENT.signature.toUpperCase()),
    ).toBe(true);
  });

  it('refuses a changed body, a changed timestamp and another key', async () => {
    const { publicKey } = webhookKeyPair(EVENT.secret);
    const body = Buffer.from(EVENT.body);
    expect(
      await verifyWebhook(publicKey, EVENT.timestamp, Buffer.from(EVENT.body.replace('哦', '啊')), EVENT.signature),
    ).toBe(false);
    expect(await verifyWebhook(publicKey, '1728981196', body, EVENT.signature)).toBe(false);
    expect(
      await verifyWebhook(webhookKeyPair('another-secret').publicKey, EVENT.timestamp, body, EVENT.signature),
    ).toBe(false);
  });

  it('refuses signatures that are not 64 bytes of hex or fail sig[63] & 224 === 0', () => {
    expect(parseSignature(undefined)).toBeNull();
    expect(parseSignature('')).toBeNull();
    expect(parseSignature(EVENT.signature.slice(0, 126))).toBeNull();
    expect(parseSignature(`${EVENT.signature}00`)).toBeNull();
    expect(parseSignature(`${EVENT.signature.slice(0, 126)}zz`)).toBeNull();
    // Same bytes with a high bit set in the last byte: refused before any curve arithmetic.
    expect(parseSignature(`${EVENT.signature.slice(0, 126)}e4`)).toBeNull();
    expect(parseSignature(EVENT.signature)).toHaveLength(64);
  });

  it('signs what it verifies', async () => {
    const { privateKey, publicKey } = webhookKeyPair('a-secret-of-any-length-beyond-32-bytes-long');
    const body = Buffer.from('{"op":0,"id":"x","t":"C2C_MESSAGE_CREATE","d":{}}');
    expect(await verifyWebhook(publicKey, '1700000000', body, signWebhook(privateKey, '1700000000', body))).toBe(true);
  });

  it('derives the seed by repeating the secret to 32 bytes', () => {
    expect(seedFromSecret('abc').toString()).toBe('abcabcabcabcabcabcabcabcabcabcab');
    expect(seedFromSecret('x'.repeat(40)).toString()).toBe('x'.repeat(32));
    expect(() => seedFromSecret('')).toThrow(RangeError);
  });

  it('signs op 13 only for digit timestamps and plain tokens, so its answer never signs an event body', () => {
    expect(validationRequest({ plain_token: '{"op":0}', event_ts: '1725442341' })).toBeNull();
    expect(validationRequest({ plain_token: 'abc', event_ts: '1725442341{"op":0' })).toBeNull();
    expect(validationRequest({ plain_token: 'abc', event_ts: 1725442341 })).toBeNull();
    expect(validationRequest({ plain_token: '', event_ts: '1' })).toBeNull();
    expect(validationRequest(null)).toBeNull();
    expect(validationRequest('x')).toBeNull();
  });
});
