import { connect, type PeerCertificate } from 'node:tls';
import { connectToOptions } from '../../testing/callback-post.js';

/** One TLS handshake with verification on, as the platform makes it, and what it showed. */
export type TlsProbe =
  | { ok: true; cert: PeerCertificate }
  /** `cert` is known when only the host-name check failed (Node attaches it to that error). */
  | { ok: false; code: string; message: string; cert: PeerCertificate | undefined };

/** The port a URL is reached on. */
export function urlPort(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

/**
 * Opens a TLS connection to `url` (or `connectTo`), verifying the chain against the trusted CAs and the
 * certificate against the URL's host name, and closes it at once: nothing is sent.
 */
export function probeTls(
  url: URL,
  connectTo: { host: string; port: number } | undefined,
  timeoutMs: number,
): Promise<TlsProbe> {
  return new Promise((resolve) => {
    const socket = connect({
      ...connectToOptions(url, connectTo ?? { host: url.hostname.replace(/^\[|\]$/g, ''), port: urlPort(url) }),
      rejectUnauthorized: true,
    });
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve({ ok: true, cert });
    });
    socket.once('error', (err: Error & { code?: string; cert?: PeerCertificate }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, code: err.code ?? 'ERR_TLS', message: err.message, cert: err.cert });
    });
  });
}
