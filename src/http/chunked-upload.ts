import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import { ErrorCodes, QQBotError } from '../errors.js';
import { sleepOrReject } from '../util/abort.js';
import { isObject, isSecureUrl } from '../options/checks.js';
import { defaultsOf, integer, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import type { MediaFileType, MediaUploadResult, UploadProgress } from '../bodies/message-bodies.js';
import { QQApiError } from './api-error.js';
import { badShape, readUploadResult } from './answers.js';
import { transportError } from './request-json.js';
import type { RestRequester } from './rest-request.js';

/**
 * The chunked upload (docs/protocol.md §11): `upload_prepare` with the size and digests, each part `PUT` to its
 * presigned URL (read part by part: a file is never whole in memory), `upload_part_finish` per part, then the
 * merge `/files` call. Parts run `upload_config.concurrency` at once; a part that fails is retried until the
 * platform's `retry_timeout`; part i covers bytes [i · block_size, …) in the ORDER of `parts`, whatever its
 * `index` says (0- and 1-based both seen).
 * @module
 */

/** The largest inline upload: 7 000 000 bytes are ~9.3 MB of base64, under the platform's ~10 MB. */
const MAX_INLINE_BYTES = 7_000_000;

export const UPLOAD = {
  /**
   * Bytes above which an upload runs the chunked protocol instead of one inline (base64) body. The platform
   * refuses inline bodies around 10 MB (HTTP 413), and base64 adds a third: at most 7 000 000.
   * @defaultValue `5 * 1024 * 1024` (a ~7 MB inline body)
   */
  chunkedAboveBytes: integer({ default: 5 * 1024 * 1024, min: 0, max: MAX_INLINE_BYTES }),
};

/** Media uploads: when the chunked protocol takes over from an inline body (the `upload` option). */
export type UploadOptions = OptionsOf<typeof UPLOAD>;
export type ResolvedUpload = ResolvedOf<typeof UPLOAD>;
export const DEFAULT_UPLOAD: Readonly<ResolvedUpload> = Object.freeze(defaultsOf(UPLOAD));

/** `md5_10m` covers this many leading bytes (docs/protocol.md §11). */
const MD5_10M_BYTES = 10_002_432;
/** When the answer gives none (seconds, as the clients read them). */
const DEFAULT_RETRY_TIMEOUT_S = 60;
const DEFAULT_RETRY_DELAY_S = 1;
/** Deadline of one part's PUT: a part is megabytes, so longer than an API call. */
const PART_TIMEOUT_MS = 120_000;

/** Where the bytes are: a buffer, or a file read part by part. */
export type ChunkSource = { kind: 'buffer'; data: Uint8Array } | { kind: 'file'; path: string };

export interface Digests {
  md5: string;
  sha1: string;
  md5_10m: string;
}

/** The three digests in one pass over `chunks` (a file is streamed, never held). */
async function digestsOf(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Digests & { size: number }> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const md510 = createHash('md5');
  let size = 0;
  for await (const chunk of chunks) {
    md5.update(chunk);
    sha1.update(chunk);
    if (size < MD5_10M_BYTES) md510.update(chunk.subarray(0, MD5_10M_BYTES - size));
    size += chunk.byteLength;
  }
  return { md5: md5.digest('hex'), sha1: sha1.digest('hex'), md5_10m: md510.digest('hex'), size };
}

/**
 * File reads go into one buffer per reader (the digest pass, each part worker), refilled block after block. Fresh
 * buffers per read (what `fs` streams allocate: 64 kB each) are freed only at V8's next GC, tens of MB later when
 * little else is allocated, and the allocator keeps the pages: a 200 MB upload grew a fresh process's RSS by ~35 MB
 * that way (a 20 MB one by 17–23 MB). A block is larger than the socket's write high-water mark (undici 7's sockets:
 * 16 kB with TLS, 64 kB without), which makes refilling it safe (see putPart).
 */
const READ_BLOCK_BYTES = 256 * 1024;

/**
 * The bytes [start, start + length) of a file, read into `buffer`: each block yielded is valid until the next one
 * is asked for, and fills the buffer but the last (putPart counts on it).
 */
async function* fileBlocks(path: string, buffer: Buffer, start = 0, length = Infinity): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    for (let done = 0; done < length;) {
      const want = Math.min(buffer.length, length - done);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await file.read(buffer, filled, want - filled, start + done + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > 0) yield buffer.subarray(0, filled);
      if (filled < want) return;
      done += filled;
    }
  } finally {
    await file.close();
  }
}

/** A source's bytes [start, start + length), as blocks. */
type BlockReader = (start: number, length?: number) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** A reader of `source`: a buffer's bytes are sliced; a file's are read into this reader's own buffer (fileBlocks). */
function blockReader(source: ChunkSource): BlockReader {
  if (source.kind === 'buffer')
    return (start, length) => [source.data.subarray(start, length === undefined ? undefined : start + length)];
  const buffer = Buffer.allocUnsafe(READ_BLOCK_BYTES);
  return (start, length) => fileBlocks(source.path, buffer, start, length);
}

export interface ChunkedUploadRequest {
  /** `groups` or `users`, the route's id name, the encoded openid and the raw one (the pacing target). */
  scope: 'groups' | 'users';
  idName: string;
  id: string;
  target: string;
  fileType: MediaFileType;
  fileName: string;
  size: number;
  source: ChunkSource;
  signal: AbortSignal | undefined;
  onProgress: ((progress: UploadProgress) => void) | undefined;
}

interface Part {
  /** `index` as the answer gave it (sent back in `upload_part_finish`). */
  index: unknown;
  url: string;
  offset: number;
  length: number;
}

interface Plan {
  uploadId: string;
  parts: Part[];
  concurrency: number;
  retryTimeoutMs: number;
  retryDelayMs: number;
}

function positive(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Reads the `upload_prepare` answer; `QQBOT_BAD_RESPONSE` for what cannot be used (an http:// URL to a remote host included). */
function readPlan(route: string, status: number, body: unknown, size: number): Plan {
  if (
    !isObject(body) ||
    typeof body.upload_id !== 'string' ||
    body.upload_id === '' ||
    !Array.isArray(body.parts) ||
    body.parts.length === 0
  ) {
    throw badShape(route, status, 'upload_id and parts');
  }
  const blockSize = positive(body.block_size);
  if (blockSize === undefined || !Number.isInteger(blockSize)) throw badShape(route, status, 'a block_size');
  const count = Math.ceil(size / blockSize);
  if (body.parts.length !== count)
    throw badShape(route, status, `${count} parts of ${blockSize} bytes`, `${body.parts.length} parts`);
  const parts = body.parts.map((p: unknown, i: number): Part => {
    const url = isObject(p) && typeof p.presigned_url === 'string' ? p.presigned_url : '';
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      throw badShape(route, status, `a presigned_url for part ${i}`);
    }
    // The part's bytes would cross the network in clear: never PUT them over http:// to a remote host.
    if (!isSecureUrl(parsed))
      throw badShape(
        route,
        status,
        `an https:// presigned_url for part ${i}`,
        `${parsed.protocol}// to ${parsed.hostname}`,
      );
    const offset = i * blockSize;
    return { index: isObject(p) ? p.index : i, url, offset, length: Math.min(blockSize, size - offset) };
  });
  const config = isObject(body.upload_config) ? body.upload_config : {};
  return {
    uploadId: body.upload_id,
    parts,
    concurrency: Math.max(1, Math.floor(positive(config.concurrency) ?? positive(body.concurrency) ?? 1)),
    retryTimeoutMs: (positive(config.retry_timeout) ?? DEFAULT_RETRY_TIMEOUT_S) * 1000,
    retryDelayMs: (positive(config.retry_delay) ?? DEFAULT_RETRY_DELAY_S) * 1000,
  };
}

/** A part failure worth another try within `retry_timeout`: the platform's "part failed", or anything retryable. */
function partRetryable(err: unknown): boolean {
  if (err instanceof QQApiError) return err.kind === 'upload-part-failed' || err.retryable;
  return err instanceof QQBotError && err.retryable;
}

/** Runs the chunked protocol for one file. */
export async function uploadChunked(requester: RestRequester, req: ChunkedUploadRequest): Promise<MediaUploadResult> {
  const base = `/v2/${req.scope}/${req.id}`;
  const routeOf = (what: string): string => `POST /v2/${req.scope}/{${req.idName}}/${what}`;
  const call = (what: string, body: unknown) =>
    requester.call({
      method: 'POST',
      idempotent: true,
      route: routeOf(what),
      path: `${base}/${what}`,
      body,
      target: req.target,
      signal: req.signal,
    });

  const digests = await digestsOf(blockReader(req.source)(0));
  if (digests.size !== req.size) {
    throw new QQBotError(
      ErrorCodes.INVALID_OPTION,
      `the upload's size is ${req.size} bytes but ${digests.size} were read`,
      { details: { size: req.size, read: digests.size } },
    );
  }
  const prepared = await call('upload_prepare', {
    file_type: req.fileType,
    file_name: req.fileName,
    file_size: String(req.size),
    md5: digests.md5,
    sha1: digests.sha1,
    md5_10m: digests.md5_10m,
  });
  const plan = readPlan(routeOf('upload_prepare'), prepared.status, prepared.body, req.size);

  // One failed part stops the others: their PUTs are aborted, no new part starts.
  const stop = new AbortController();
  const signals = [requester.closing, stop.signal, ...(req.signal === undefined ? [] : [req.signal])];
  let bytesDone = 0;
  let next = 0;
  const runPart = async (part: Part, read: BlockReader): Promise<void> => {
    const deadline = performance.now() + plan.retryTimeoutMs;
    for (;;) {
      try {
        const md5 = await putPart(part, read, signals);
        await call('upload_part_finish', {
          upload_id: plan.uploadId,
          part_index: part.index,
          block_size: String(part.length),
          md5,
        });
        return;
      } catch (err) {
        const failure = translate(err, requester, req.signal);
        if (!partRetryable(failure)) throw failure;
        if (performance.now() + plan.retryDelayMs > deadline) {
          throw new QQBotError(
            ErrorCodes.UPLOAD_FAILED,
            `part ${String(part.index)} of the upload kept failing for ${plan.retryTimeoutMs} ms (retry_timeout)`,
            {
              retryable: true,
              cause: failure,
              details: { part: String(part.index), retryTimeoutMs: plan.retryTimeoutMs },
            },
          );
        }
        await sleepOrReject(plan.retryDelayMs, signals).catch((e: unknown) => {
          throw translate(e, requester, req.signal);
        });
      }
    }
  };
  const worker = async (): Promise<void> => {
    // One read buffer per worker, reused by its parts one after the other (putPart says why that is safe).
    const read = blockReader(req.source);
    while (next < plan.parts.length && !stop.signal.aborted) {
      const part = plan.parts[next++] as Part;
      await runPart(part, read);
      bytesDone += part.length;
      req.onProgress?.({ bytesDone, bytesTotal: req.size });
    }
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(plan.concurrency, plan.parts.length) }, () =>
      worker().catch((err: unknown) => {
        stop.abort(err);
        throw err;
      }),
    ),
  );
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  // The first failure is the cause; the others only saw its abort.
  if (failed !== undefined) throw stop.signal.reason ?? failed.reason;

  const merged = await call('files', {
    file_type: req.fileType,
    file_name: req.fileName,
    srv_send_msg: false,
    upload_id: plan.uploadId,
  });
  return readUploadResult(routeOf('files'), merged);
}

/** Any failure → a QQBotError: the caller's abort and close() win over what they caused. */
function translate(err: unknown, requester: RestRequester, signal: AbortSignal | undefined): QQBotError {
  if (requester.closing.aborted)
    return new QQBotError(ErrorCodes.CLOSED, 'the upload was cut short: the OpenAPI client was closed', { cause: err });
  if (signal?.aborted === true) return new QQBotError(ErrorCodes.ABORTED, 'the upload was aborted', { cause: err });
  if (err instanceof QQBotError) return err;
  return new QQBotError(ErrorCodes.INTERNAL, 'the upload failed unexpectedly', { cause: err });
}

/**
 * PUTs one part, streaming it from its source and hashing it on the way; answers the part's MD5.
 *
 * A file's blocks share the worker's one buffer, so no block may be read while an earlier one is still queued on the
 * socket. The body is therefore an async iterable handed to undici as is (a `Readable` would read ahead): undici
 * asks for the next block only when the socket took the last one below its high-water mark, has drained, or closed
 * (checked against undici 7.30), and every block but the part's last fills the buffer, larger than that mark, so
 * the socket has drained (or is gone). A dispatcher of the host's own with a mark above 256 kB would break this. Once
 * the request is settled (the store answered after the whole body, or the socket is gone) the body is closed before
 * the buffer serves the retry or the next part: a PUT that failed mid-way may otherwise still be pulled by undici.
 * Should bytes still be queued then, they belong to a PUT already answered; and `upload_part_finish` carries the MD5
 * of what was read, which the platform checks against what it received.
 */
async function putPart(part: Part, read: BlockReader, signals: readonly AbortSignal[]): Promise<string> {
  const hash: Hash = createHash('md5');
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const block of read(part.offset, part.length)) {
      hash.update(block);
      yield block;
    }
  }
  const body = hashed();
  const host = new URL(part.url).host;
  const what = `PUT part ${String(part.index)}`;
  let status: number;
  try {
    const res = await request(part.url, {
      method: 'PUT',
      // undici takes any async iterable as a body (documented); its types list only Readable.
      body: body as AsyncIterable<Uint8Array> as unknown as Readable,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(part.length) },
      signal: AbortSignal.any([...signals]),
      headersTimeout: PART_TIMEOUT_MS,
      bodyTimeout: PART_TIMEOUT_MS,
    });
    status = res.statusCode;
    await res.body.dump();
  } catch (err) {
    throw transportError(err, what, host, PART_TIMEOUT_MS, false);
  } finally {
    await body.return(undefined);
  }
  if (status < 200 || status >= 300) {
    throw new QQBotError(ErrorCodes.UPLOAD_FAILED, `${what} to ${host} answered HTTP ${status}`, {
      retryable: status >= 500 || status === 429 || status === 408,
      details: { status },
    });
  }
  return hash.digest('hex');
}
