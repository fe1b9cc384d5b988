import { request } from 'undici';

/**
 * Whether the host behind `url` answers HTTP again: one `HEAD` without credentials; any answer below 500 says the
 * host is back (a gateway answers a plain request 4xx), a 5xx, a network error or no answer within `timeoutMs`
 * says it is not. A `ws:`/`wss:` URL is asked over `http:`/`https:`. Never rejects.
 */
export async function hostAnswers(url: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    const res = await request(url.replace(/^ws/, 'http'), {
      method: 'HEAD',
      signal: deadline,
      headersTimeout: timeoutMs,
    });
    await res.body.dump();
    return res.statusCode < 500;
  } catch {
    return false;
  }
}
