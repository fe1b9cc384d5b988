import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject } from '../options/checks.js';
import { FakeRestCodes, codeBody, type Answer } from './fake-rest-types.js';

/**
 * The chunked upload of the REST fake (docs/protocol.md §11): `upload_prepare`, a fake object store for the
 * presigned `PUT`s on the same loopback server (it hashes each part as it streams and keeps no bytes, so a
 * 200 MB upload costs it nothing), `upload_part_finish`, and the merge through `/files`. Faults: a part failing
 * once, the daily quota spent. Internal to the testing kit; reached through `FakeRestApi`.
 * @internal
 * @module
 */

/** The path under which the fake serves presigned part URLs. */
export const OBJECT_STORE_PATH = '/fake-object-store/';

export interface FakeChunkedUploadConfig {
  /** Bytes per part (`block_size`). @defaultValue `1048576` (1 MiB) */
  blockSize?: number;
  /** `upload_config.concurrency`. @defaultValue `3` */
  concurrency?: number;
  /** The first part's `index`: answers with 0- and with 1-based indexes are seen. @defaultValue `1` */
  indexBase?: 0 | 1;
  /** `upload_config.retry_timeout` in seconds. @defaultValue `10` */
  retryTimeout?: number;
  /** `upload_config.retry_delay` in seconds. @defaultValue `0.05` */
  retryDelay?: number;
  /** Where the presigned part URLs point: another origin tests a client's URL check. @defaultValue the fake's own */
  presignedUrlBase?: string;
}

/** A finished chunked upload, as the fake saw it. */
export interface FakeChunkedFile {
  uploadId: string;
  fileName: string;
  size: number;
  /** The digests `upload_prepare` was given. */
  md5: string;
  sha1: string;
  md5_10m: string;
  /** Each part's MD5 as the object store computed it, in order. */
  partMd5s: string[];
}

interface Session {
  uploadId: string;
  targetPath: string;
  fileType: number;
  fileName: string;
  size: number;
  digests: { md5: string; sha1: string; md5_10m: string };
  blockSize: number;
  indexBase: number;
  /** Per part: what the store received (md5, length), and whether `upload_part_finish` confirmed it. */
  parts: Array<{ received?: { md5: string; length: number }; finished: boolean }>;
}

/** When an injected part failure answers (see `failPartOnce`). */
export type PartFailure = 'after-body' | 'early';

const DEFAULT_CONFIG = {
  blockSize: 1024 * 1024,
  concurrency: 3,
  indexBase: 1,
  retryTimeout: 10,
  retryDelay: 0.05,
} as const;

export class FakeChunkedUploads {
  /** Parts PUT at the same time, at most, since the last reset. */
  maxPartsInFlight = 0;
  /** PUTs the object store answered, failures included. */
  partPuts = 0;
  readonly files: FakeChunkedFile[] = [];
  #config: FakeChunkedUploadConfig & Required<Omit<FakeChunkedUploadConfig, 'presignedUrlBase'>> = {
    ...DEFAULT_CONFIG,
  };
  readonly #sessions = new Map<string, Session>();
  readonly #failOnce = new Map<number, PartFailure>();
  #quotaSpent = false;
  #inFlight = 0;
  #seq = 0;

  constructor(private readonly baseUrl: () => string) {}

  configure(config: FakeChunkedUploadConfig): void {
    this.#config = { ...this.#config, ...config };
  }

  /**
   * The PUT of part `i` (0-based, in the order of `parts`) fails once with HTTP 500: once its body is read, or
   * `'early'`, as soon as its headers arrive, the body unread and the connection closed (the client may still be
   * sending it then).
   */
  failPartOnce(i: number, when: PartFailure = 'after-body'): void {
    this.#failOnce.set(i, when);
  }

  /** `upload_prepare` answers 40093002 (the daily upload quota is spent) until the reset. */
  spendQuota(): void {
    this.#quotaSpent = true;
  }

  reset(): void {
    this.#config = { ...DEFAULT_CONFIG };
    this.#sessions.clear();
    this.#failOnce.clear();
    this.#quotaSpent = false;
    this.files.length = 0;
    this.maxPartsInFlight = 0;
    this.partPuts = 0;
  }

  prepare(targetPath: string, body: unknown, answer: Answer): void {
    const invalid = (message: string): void => answer(400, codeBody(FakeRestCodes.INVALID_BODY, message));
    if (this.#quotaSpent) return answer(400, codeBody(FakeRestCodes.UPLOAD_QUOTA, 'upload quota exceeded for today'));
    if (!isObject(body) || ![1, 2, 3, 4].includes(body.file_type as number))
      return invalid('file_type (1-4) is required');
    const size = typeof body.file_size === 'string' && /^\d+$/.test(body.file_size) ? Number(body.file_size) : 0;
    if (size <= 0) return invalid('file_size must be a positive integer as a string');
    const hex = (v: unknown, n: number): v is string => typeof v === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(v);
    if (!hex(body.md5, 32) || !hex(body.sha1, 40) || !hex(body.md5_10m, 32))
      return invalid('md5, sha1 and md5_10m (hex) are required');
    if (typeof body.file_name !== 'string' || body.file_name === '') return invalid('file_name is required');
    const { blockSize, indexBase, concurrency, retryTimeout, retryDelay } = this.#config;
    const uploadId = `fake-upload-${++this.#seq}`;
    const count = Math.ceil(size / blockSize);
    this.#sessions.set(uploadId, {
      uploadId,
      targetPath,
      fileType: body.file_type as number,
      fileName: body.file_name,
      size,
      digests: { md5: body.md5, sha1: body.sha1, md5_10m: body.md5_10m },
      blockSize,
      indexBase,
      parts: Array.from({ length: count }, () => ({ finished: false })),
    });
    answer(200, {
      upload_id: uploadId,
      block_size: String(blockSize),
      parts: Array.from({ length: count }, (_, i) => ({
        index: i + indexBase,
        presigned_url: `${this.#config.presignedUrlBase ?? this.baseUrl()}${OBJECT_STORE_PATH}${uploadId}/${i}`,
      })),
      upload_config: { concurrency, retry_timeout: retryTimeout, retry_delay: retryDelay },
    });
  }

  /** A presigned PUT: hashes the bytes as they stream; answers 200, 404 (unknown part) or the injected 500. */
  put(req: IncomingMessage, res: ServerResponse, path: string): void {
    const [uploadId, part] = path.slice(OBJECT_STORE_PATH.length).split('/');
    const session = this.#sessions.get(uploadId ?? '');
    const i = Number(part);
    const slot = session?.parts[i];
    this.partPuts += 1;
    const end = (status: number): void => {
      res.writeHead(status, { 'content-length': '0' });
      res.end();
    };
    if (req.method !== 'PUT' || session === undefined || slot === undefined) {
      req.resume();
      return end(404);
    }
    if (this.#failOnce.get(i) === 'early') {
      this.#failOnce.delete(i);
      res.setHeader('connection', 'close'); // the unread body is not waited for
      return end(500);
    }
    this.#inFlight += 1;
    this.maxPartsInFlight = Math.max(this.maxPartsInFlight, this.#inFlight);
    const hash = createHash('md5');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    const done = (): void => {
      this.#inFlight -= 1;
    };
    req.once('error', done);
    req.once('end', () => {
      done();
      if (this.#failOnce.delete(i)) return end(500);
      slot.received = { md5: hash.digest('hex'), length };
      end(200);
    });
  }

  partFinish(targetPath: string, body: unknown, answer: Answer): void {
    const failed = (message: string): void => answer(400, codeBody(FakeRestCodes.UPLOAD_PART_FAILED, message));
    if (!isObject(body) || typeof body.upload_id !== 'string') return failed('upload_id is required');
    const session = this.#sessions.get(body.upload_id);
    if (session === undefined || session.targetPath !== targetPath) return failed('unknown upload_id');
    const i = Number(body.part_index) - session.indexBase;
    const slot = session.parts[i];
    if (slot === undefined) return failed('unknown part_index');
    const expected = Math.min(session.blockSize, session.size - i * session.blockSize);
    if (
      slot.received === undefined ||
      slot.received.md5 !== body.md5 ||
      slot.received.length !== expected ||
      body.block_size !== String(expected)
    ) {
      return failed('part not received, or its md5 or length differ');
    }
    slot.finished = true;
    answer(200, {});
  }

  /** The merge (`/files` with `upload_id`): the file_info when every part was finished, else 40093001. */
  merge(
    targetPath: string,
    body: Record<string, unknown>,
  ): { fileInfo: string; file: FakeChunkedFile } | { error: string } {
    const session = this.#sessions.get(String(body.upload_id));
    if (session === undefined || session.targetPath !== targetPath) return { error: 'unknown upload_id' };
    if (!session.parts.every((p) => p.finished)) return { error: 'not every part was finished' };
    this.#sessions.delete(session.uploadId);
    const file: FakeChunkedFile = {
      uploadId: session.uploadId,
      fileName: session.fileName,
      size: session.size,
      ...session.digests,
      partMd5s: session.parts.map((p) => p.received?.md5 ?? ''),
    };
    this.files.push(file);
    return { fileInfo: `fake-file-info-${session.uploadId}`, file };
  }
}
