import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/**
 * One POST to a bot's callback URL, as the platform sends it. Internal to the testing kit; the fake's
 * callback mode and the webhook tests use it.
 * @internal
 * @module
 */

export interface CallbackAnswer {
  status: number;
  body: string;
}

export interface CallbackPostOptions {
  headers: Record<string, string>;
  /** Trust this certificate (a test's self-signed one); verification stays on. */
  ca?: string | Buffer;
  agent?: HttpAgent | HttpsAgent;
  /** No answer within this long rejects with `code` `ETIMEDOUT` and destroys the request. */
  timeoutMs: number;
  /**
   * Connect to this address instead of the URL's; the URL's host still names the server: the Host header,
   * SNI and the certificate's host-name check (like curl's `--connect-to`).
   */
  connectTo?: { host: string; port: number };
}

/** The request options that send a request for `url` to another address, as {@link CallbackPostOptions.connectTo} says. */
export function connectToOptions(
  url: URL,
  to: { host: string; port: number },
): {
  host: string;
  port: number;
  servername?: string;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
} {
  const name = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host: to.host,
    port: to.port,
    // SNI takes a host name only, never an address.
    ...(isIP(name) === 0 ? { servername: name } : {}),
    checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
  };
}

export function postCallback(url: URL, body: string | Buffer, options: CallbackPostOptions): Promise<CallbackAnswer> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(options.connectTo === undefined ? {} : { host: url.host }),
        ...options.headers,
      },
      ...(options.connectTo === undefined ? {} : connectToOptions(url, options.connectTo)),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.agent === undefined ? {} : { agent: options.agent }),
    });
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, options.timeoutMs);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
