import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ErrorCodes, QQBotError, invalidOption } from '../errors.js';
import { isObject } from '../options/checks.js';
import type {
  MediaFileType,
  MediaUploadResult,
  UploadCallOptions,
  UploadMediaInput,
} from '../bodies/message-bodies.js';
import { readUploadResult } from './answers.js';
import { pathSegment } from './path.js';
import { uploadChunked, type ChunkSource } from './chunked-upload.js';
import type { ResolvedUpload } from './chunked-upload.js';
import type { RestRequester } from './rest-request.js';

/** Where a group or C2C upload goes. */
export interface UploadTarget {
  scope: 'groups' | 'users';
  /** The route template's id name, for errors and logs. */
  idName: 'group_openid' | 'openid';
  /** The openid as given (the pacing target). */
  openid: string;
}

const INPUT_SHAPES =
  '`{ fileType: 1 | 2 | 3 | 4 }` with one of `url`, `data` (non-empty bytes), `path` (a file), or `stream` and `size`';

/** What was given, checked: a URL, or bytes / a file / a stream with its size. */
type Checked =
  | { kind: 'url'; url: string }
  | { kind: 'data'; data: Uint8Array }
  | { kind: 'path'; path: string }
  | { kind: 'stream'; stream: AsyncIterable<Uint8Array>; size: number };

function check(input: UploadMediaInput): Checked {
  if (!isObject(input) || ![1, 2, 3, 4].includes(input.fileType as number))
    throw invalidOption(`Expected ${INPUT_SHAPES}`);
  const given = (['url', 'data', 'path', 'stream'] as const).filter((k) => input[k] !== undefined);
  if (given.length !== 1)
    throw invalidOption(`Expected ${INPUT_SHAPES}; got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  const { url, data, path, stream, size, fileName } = input as Record<string, unknown>;
  if (fileName !== undefined && (typeof fileName !== 'string' || fileName === ''))
    throw invalidOption('Expected `fileName` to be a non-empty string');
  if (typeof url === 'string' && url !== '') return { kind: 'url', url };
  if (data instanceof Uint8Array && data.byteLength > 0) return { kind: 'data', data };
  if (typeof path === 'string' && path !== '') return { kind: 'path', path };
  const iterable =
    typeof stream === 'object' &&
    stream !== null &&
    typeof (stream as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === 'function';
  if (iterable && typeof size === 'number' && Number.isSafeInteger(size) && size > 0)
    return { kind: 'stream', stream: stream as AsyncIterable<Uint8Array>, size };
  throw invalidOption(`Expected ${INPUT_SHAPES}`);
}

/**
 * Uploads media for a group or C2C message: by URL, or the bytes inline (base64 `file_data`) up to
 * `upload.chunkedAboveBytes`, and the chunked protocol above it. A stream above it is first written to a
 * temporary file (the chunked protocol needs its digests before the first part), removed afterwards.
 */
export async function uploadMedia(
  requester: RestRequester,
  target: UploadTarget,
  input: UploadMediaInput,
  config: ResolvedUpload,
  options?: UploadCallOptions,
): Promise<MediaUploadResult> {
  const source = check(input);
  const fileType = input.fileType as MediaFileType;
  const given = (input as { fileName?: string }).fileName;
  const fileName = given ?? (source.kind === 'path' ? basename(source.path) : 'file');
  const inline = async (body: { url: string } | { file_data: string }, size: number): Promise<MediaUploadResult> => {
    const route = `POST /v2/${target.scope}/{${target.idName}}/files`;
    // A second upload only yields a second file_info; nothing is posted (srv_send_msg: false).
    const res = await requester.call({
      method: 'POST',
      idempotent: true,
      route,
      path: `/v2/${target.scope}/${pathSegment(target.openid)}/files`,
      body: { file_type: fileType, ...body, srv_send_msg: false },
      target: target.openid,
      signal: options?.signal,
    });
    const result = readUploadResult(route, res);
    options?.onProgress?.({ bytesDone: size, bytesTotal: size });
    return result;
  };
  const chunked = (chunkSource: ChunkSource, size: number): Promise<MediaUploadResult> =>
    uploadChunked(requester, {
      scope: target.scope,
      idName: target.idName,
      id: pathSegment(target.openid),
      target: target.openid,
      fileType,
      fileName,
      size,
      source: chunkSource,
      signal: options?.signal,
      onProgress: options?.onProgress,
    });
  const threshold = config.chunkedAboveBytes;

  switch (source.kind) {
    case 'url':
      return inline({ url: source.url }, 0);
    case 'data': {
      const size = source.data.byteLength;
      if (size <= threshold) return inline({ file_data: Buffer.from(source.data).toString('base64') }, size);
      return chunked({ kind: 'buffer', data: source.data }, size);
    }
    case 'path': {
      const size = await fileSize(source.path);
      if (size <= threshold) return inline({ file_data: (await readFile(source.path)).toString('base64') }, size);
      return chunked({ kind: 'file', path: source.path }, size);
    }
    case 'stream': {
      if (source.size <= threshold) {
        const data = await collect(source.stream, source.size);
        return inline({ file_data: data.toString('base64') }, source.size);
      }
      const dir = await mkdtemp(join(tmpdir(), 'qqbot-upload-'));
      try {
        const path = join(dir, 'part-source');
        await spool(source.stream, path, source.size);
        return await chunked({ kind: 'file', path }, source.size);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw invalidOption(`Expected \`path\` to name a file: ${path} is not one`);
    if (info.size === 0) throw invalidOption(`Expected a non-empty file: ${path} is empty`);
    return info.size;
  } catch (err) {
    if (err instanceof QQBotError) throw err;
    throw new QQBotError(ErrorCodes.INVALID_OPTION, `Expected \`path\` to name a readable file: ${path}`, {
      cause: err,
    });
  }
}

function sizeMismatch(declared: number, read: number): QQBotError {
  return new QQBotError(
    ErrorCodes.INVALID_OPTION,
    `the stream's \`size\` is ${declared} bytes but it yielded ${read}`,
    { details: { size: declared, read } },
  );
}

/** A small stream, read whole (it fits an inline body). */
async function collect(stream: AsyncIterable<Uint8Array>, size: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let read = 0;
  for await (const chunk of stream) {
    read += chunk.byteLength;
    if (read > size) throw sizeMismatch(size, read);
    chunks.push(chunk);
  }
  if (read !== size) throw sizeMismatch(size, read);
  return Buffer.concat(chunks);
}

/** Writes a stream to `path` chunk by chunk (never whole in memory), checking its size. */
async function spool(stream: AsyncIterable<Uint8Array>, path: string, size: number): Promise<void> {
  const file = await open(path, 'w');
  let read = 0;
  try {
    for await (const chunk of stream) {
      read += chunk.byteLength;
      if (read > size) throw sizeMismatch(size, read);
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
  if (read !== size) throw sizeMismatch(size, read);
}
