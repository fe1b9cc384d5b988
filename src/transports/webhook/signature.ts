import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 keys and signatures of the platform's HTTP callback (docs/protocol.md §9), through node:crypto only.
 * The private key is derived from the app secret and stays on the main thread; a worker gets the public key
 * ({@link exportPublicKey}) and can verify, never sign.
 */

/** An Ed25519 seed is 32 bytes (RFC 8032). */
const SEED_BYTES = 32;
/** An Ed25519 signature is 64 bytes; the platform sends it as hex. */
const SIGNATURE_BYTES = 64;
const SIGNATURE_HEX = /^[0-9a-fA-F]{128}$/;
/**
 * PKCS#8 `PrivateKeyInfo` for Ed25519 (OID 1.3.101.112) up to the 32-byte seed: the DER node:crypto needs to
 * import a raw seed.
 */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** SPKI for Ed25519 up to the 32-byte public key. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The seed the platform derives from the secret: the secret repeated until ≥ 32 bytes, first 32 bytes. */
export function seedFromSecret(secret: string): Buffer {
  if (secret.length === 0) throw new RangeError('the webhook key needs a non-empty secret');
  const once = Buffer.from(secret, 'utf8');
  const repeated = Buffer.alloc(Math.ceil(SEED_BYTES / once.length) * once.length);
  for (let at = 0; at < repeated.length; at += once.length) once.copy(repeated, at);
  return repeated.subarray(0, SEED_BYTES);
}

export interface WebhookKeyPair {
  /** Signs op 13 answers. Main thread only. */
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function webhookKeyPair(secret: string): WebhookKeyPair {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seedFromSecret(secret)]),
    format: 'der',
    type: 'pkcs8',
  });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The 32 raw public-key bytes: small, cloneable, safe to send to a worker. */
export function exportPublicKey(publicKey: KeyObject): Uint8Array {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
}

/** The inverse of {@link exportPublicKey}. */
export function importPublicKey(raw: Uint8Array): KeyObject {
  if (raw.byteLength !== SEED_BYTES)
    throw new RangeError(`an Ed25519 public key is ${SEED_BYTES} bytes, got ${raw.byteLength}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Hex signature of `timestamp + body`, as the platform computes it. */
export function signWebhook(privateKey: KeyObject, timestamp: string, body: Buffer | string): string {
  return sign(
    null,
    Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]),
    privateKey,
  ).toString('hex');
}

/**
 * The signature bytes from the header, or `null` when it is not 64 bytes of hex or fails the platform's own
 * check (`sig[63] & 224 === 0`, the top bits of S in a canonical signature).
 */
export function parseSignature(header: string | undefined): Buffer | null {
  if (header === undefined || !SIGNATURE_HEX.test(header)) return null;
  const sig = Buffer.from(header, 'hex');
  if (sig.length !== SIGNATURE_BYTES || (sig[SIGNATURE_BYTES - 1]! & 224) !== 0) return null;
  return sig;
}

/**
 * Resolves true when `signatureHex` signs `timestamp + body` under `publicKey`; never rejects. The Ed25519
 * check (~90 µs of CPU, the whole cost of a callback) runs on libuv's thread pool, not on the calling thread:
 * the thread that serves HTTP keeps parsing and answering other requests meanwhile, and a second core can verify.
 */
export function verifyWebhook(
  publicKey: KeyObject,
  timestamp: string,
  body: Buffer,
  signatureHex: string | undefined,
): Promise<boolean> {
  const sig = parseSignature(signatureHex);
  if (sig === null) return Promise.resolve(false);
  const message = Buffer.concat([Buffer.from(timestamp, 'utf8'), body]);
  return new Promise((resolve) => {
    try {
      verify(null, message, publicKey, sig, (err, ok) => resolve(err === null && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * op 13 values we sign. The answer signs `event_ts + plain_token`; with free-form values it would be a
 * signing oracle (`event_ts` = a timestamp, `plain_token` = a forged event body). Digits and a token without
 * `{` can never form `timestamp + JSON object`, which every event we accept is.
 */
const EVENT_TS = /^[0-9]{1,20}$/;
const PLAIN_TOKEN = /^[A-Za-z0-9_.~-]{1,128}$/;

export interface ValidationRequest {
  plainToken: string;
  eventTs: string;
}

/** The `d` of an op 13 body when it is safe to sign, else `null`. */
export function validationRequest(d: unknown): ValidationRequest | null {
  if (typeof d !== 'object' || d === null) return null;
  const { plain_token: plainToken, event_ts: eventTs } = d as Record<string, unknown>;
  if (typeof plainToken !== 'string' || !PLAIN_TOKEN.test(plainToken)) return null;
  if (typeof eventTs !== 'string' || !EVENT_TS.test(eventTs)) return null;
  return { plainToken, eventTs };
}

/** The op 13 answer body: `{ plain_token, signature }`. */
export function answerValidation(
  privateKey: KeyObject,
  request: ValidationRequest,
): { plain_token: string; signature: string } {
  return { plain_token: request.plainToken, signature: signWebhook(privateKey, request.eventTs, request.plainToken) };
}

/** The op 13 body the platform POSTs to validate a callback URL. */
export function validationBody(request: ValidationRequest): string {
  return JSON.stringify({ d: { plain_token: request.plainToken, event_ts: request.eventTs }, op: 13 });
}

/**
 * What is wrong with a bot's answer to op 13, as the platform checks it, or `null` when it is right: HTTP 200,
 * a JSON `{ plain_token, signature }` with the same token and a valid signature of `event_ts + plain_token`.
 */
export function validationAnswerProblem(
  publicKey: KeyObject,
  request: ValidationRequest,
  answer: { status: number; body: string },
): string | null {
  if (answer.status !== 200) return `answered HTTP ${answer.status}, not 200`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return 'answered a body that is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'answered JSON that is not an object';
  const { plain_token: plainToken, signature } = parsed as Record<string, unknown>;
  if (plainToken !== request.plainToken) return 'answered another plain_token than the one sent';
  const sig = parseSignature(typeof signature === 'string' ? signature : undefined);
  if (sig === null) return 'answered no signature, or one that is not 64 bytes of hex';
  const message = Buffer.from(request.eventTs + request.plainToken, 'utf8');
  return verify(null, message, publicKey, sig)
    ? null
    : 'answered a signature that does not verify: the listener signs with another secret';
}
