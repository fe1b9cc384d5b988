import type { IncomingMessage } from 'node:http';

/** Why a body was not read: over the limit, or not there in time (its deadline, or dropped for a newer request). */
export type BodyFailure = 'too-large' | 'slow';

/**
 * Whether something read the request before us (a body parser mounted first): then the `'end'` we would wait for
 * has fired already, or the bytes went to another reader. `req.complete` alone is no sign: it is also true when
 * the whole body sits unread in the stream's buffer.
 */
export function bodyConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || req.readableDidRead || (req as { body?: unknown }).body !== undefined;
}

/**
 * Reads at most `limit` bytes within `timeoutMs`, holding a place in a budget of pending bodies while it reads:
 * `admit(evict)` takes the place and returns its release; the budget calls `evict` to drop this request for a
 * newer one. Reading stops at the first failure. Rejects when the client goes away or the stream fails.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
  admit: (evict: () => void) => () => void,
): Promise<Buffer | BodyFailure> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      release();
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      finish();
    };
    const fail = (failure: BodyFailure): void =>
      settle(() => {
        req.pause();
        resolve(failure);
      });
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) return fail('too-large');
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(() => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    const onError = (err: Error): void => settle(() => reject(err));
    // A client that goes away mid-body: nothing to answer.
    const onClose = (): void => settle(() => reject(new Error('the request closed before its body ended')));
    const release = admit(() => fail('slow'));
    const timer = setTimeout(() => fail('slow'), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
