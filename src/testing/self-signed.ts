import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/**
 * A self-signed Ed25519 certificate for `127.0.0.1` and `localhost`, valid from a minute ago for a day, built
 * with node:crypto and a few lines of DER: HTTPS tests need one, and no dependency is worth it. Trust it with
 * `ca: cert` on the client side; TLS verification stays on.
 */
export interface SelfSignedCert {
  /** PKCS#8 PEM. */
  key: string;
  /** X.509 PEM; pass it as `ca` to trust it. */
  cert: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const oid = (hex: string): Buffer => tlv(0x06, Buffer.from(hex, 'hex'));
const ED25519 = seq(oid('2b6570'));

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

/** Other names and dates, to test what a client does with a certificate that is expired or names another host. */
export interface SelfSignedCertOptions {
  /** Host names and IP addresses the certificate is for (subjectAltName). @defaultValue `['127.0.0.1', 'localhost']` */
  hosts?: readonly string[];
  /** @defaultValue a minute ago */
  notBefore?: Date;
  /** @defaultValue a day from now */
  notAfter?: Date;
}

function altName(host: string): Buffer {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 === null ? tlv(0x82, Buffer.from(host, 'ascii')) : tlv(0x87, Buffer.from(v4.slice(1).map(Number)));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function selfSignedCert(
  commonName = 'qqbot-connector test',
  options: SelfSignedCertOptions = {},
): SelfSignedCert {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const name = seq(tlv(0x31, seq(oid('550403'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const now = Date.now();
  const serial = randomBytes(8);
  // DER: a positive INTEGER without a leading zero byte (0x00 then < 0x80 is "illegal padding"): first byte 0x40–0x7f.
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  const hosts = options.hosts ?? ['127.0.0.1', 'localhost'];
  const subjectAltName = seq(oid('551d11'), tlv(0x04, seq(...hosts.map(altName))));
  const basicConstraints = seq(
    oid('551d13'),
    tlv(0x01, Buffer.from([0xff])),
    tlv(0x04, seq(tlv(0x01, Buffer.from([0xff])))),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ED25519,
    name,
    seq(
      utcTime(options.notBefore ?? new Date(now - 60_000)),
      utcTime(options.notAfter ?? new Date(now + 24 * 3_600_000)),
    ),
    name,
    publicKey.export({ format: 'der', type: 'spki' }),
    tlv(0xa3, seq(subjectAltName, basicConstraints)),
  );
  const signature = sign(null, tbs, privateKey);
  const cert = seq(tbs, ED25519, tlv(0x03, Buffer.from([0]), signature));
  return { key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, cert: pem('CERTIFICATE', cert) };
}
