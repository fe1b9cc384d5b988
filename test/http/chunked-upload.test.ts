import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { QQApiError } from '../../src/http/api-error.js';
import { QQOpenAPI } from '../../src/http/openapi.js';
import type { UploadProgress } from '../../src/bodies/message-bodies.js';
import { rejection } from '../helpers.js';
import { fakeApiPerTest } from './fake-api.js';

// Chunked uploads against the fake over real HTTP: its object store takes the presigned PUTs on loopback.

const MiB = 1024 * 1024;
// Default options: the client's threshold (5 MiB); the fake answers 1 MiB parts.
const t = fakeApiPerTest();
let dir: string;

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qqbot-upload-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('chunked upload, default options', () => {
  it('a 6.5 MB file on disk: prepare with its digests, parts in order at the answer concurrency, progress to the end, then a media reply', async () => {
    const data = randomBytes(6.5 * MiB);
    const path = join(dir, 'clip.mp4');
    await writeFile(path, data);
    const progress: UploadProgress[] = [];
    const result = await t.api.uploadGroupMedia('G1', { fileType: 2, path }, { onProgress: (p) => progress.push(p) });

    const [file] = t.fake.rest.chunkedUploads.files;
    expect(file).toMatchObject({
      fileName: 'clip.mp4',
      size: data.length,
      md5: md5(data),
      sha1: createHash('sha1').update(data).digest('hex'),
    });
    expect(file?.md5_10m).toBe(md5(data)); // smaller than 10 002 432 bytes: the whole file
    const parts = Array.from({ length: 7 }, (_, i) => md5(data.subarray(i * MiB, (i + 1) * MiB)));
    expect(file?.partMd5s).toEqual(parts);
    expect(t.fake.rest.chunkedUploads.maxPartsInFlight).toBeGreaterThan(1);
    expect(t.fake.rest.chunkedUploads.maxPartsInFlight).toBeLessThanOrEqual(3);
    expect(progress.map((p) => p.bytesTotal)).toEqual(Array(7).fill(data.length));
    expect(progress.map((p) => p.bytesDone)).toEqual([...progress.map((p) => p.bytesDone)].sort((a, b) => a - b));
    expect(progress.at(-1)?.bytesDone).toBe(data.length);
    expect(result.fileInfo).toBe(t.fake.rest.uploads[0]?.fileInfo);
    // No inline body went out: the bytes went only to the object store.
    expect(t.fake.rest.requestsTo('/v2/groups/G1/files').map((r) => Object.keys(r.body as object).sort())).toEqual([
      ['file_name', 'file_type', 'srv_send_msg', 'upload_id'],
    ]);

    const event = {
      type: 'GROUP_AT_MESSAGE_CREATE' as const,
      id: 'E1',
      data: { id: 'IN-1', group_openid: 'G1', content: 'hi', timestamp: new Date().toISOString() },
    };
    expect((await t.api.reply(event, { video: { path } })).status).toBe('sent');
    expect(t.fake.rest.messages.at(-1)?.body).toMatchObject({ msg_type: 7, msg_id: 'IN-1' });
  });

  it('a small Buffer still goes inline (base64), one request', async () => {
    const data = randomBytes(1000);
    await t.api.uploadC2CMedia('U1', { fileType: 1, data });
    expect(t.fake.rest.uploads[0]?.data?.equals(data)).toBe(true);
    expect(t.fake.rest.requestsTo('/v2/users/U1/upload_prepare')).toHaveLength(0);
  });

  it('40093002 (daily quota spent) is a non-retryable QQApiError that says the quota resets daily', async () => {
    t.fake.rest.chunkedUploads.spendQuota();
    const err = (await rejection(
      t.api.uploadC2CMedia('U1', { fileType: 4, data: randomBytes(5 * MiB + 1) }),
    )) as QQApiError;
    expect(err).toBeInstanceOf(QQApiError);
    expect(err.kind).toBe('upload-quota');
    expect(err.retryable).toBe(false);
    expect(err.advice).toMatch(/resets daily/);
    expect(t.fake.rest.requestsTo('/v2/users/U1/upload_prepare')).toHaveLength(1);
  });
});

describe('chunked upload, platform variants and faults', () => {
  it.each([0, 1] as const)(
    'offsets follow the order of parts with %i-based indexes; a stream with its size is spooled, never held',
    async (indexBase) => {
      t.fake.rest.configureChunkedUpload({ indexBase, blockSize: 256 * 1024, concurrency: 2 });
      await t.api.close();
      t.api = new QQOpenAPI({
        appId: 'test-app',
        secret: 'test-secret',
        endpoints: t.fake.endpoints,
        upload: { chunkedAboveBytes: 64 * 1024 },
      });
      const data = randomBytes(1 * MiB + 123);
      const stream = Readable.from(
        (function* () {
          for (let at = 0; at < data.length; at += 10_000) yield data.subarray(at, at + 10_000);
        })(),
      );
      await t.api.uploadC2CMedia('U1', { fileType: 4, stream, size: data.length, fileName: 'log.txt' });
      const file = t.fake.rest.chunkedUploads.files[0];
      expect(file?.partMd5s).toEqual(
        Array.from({ length: 5 }, (_, i) => md5(data.subarray(i * 256 * 1024, (i + 1) * 256 * 1024))),
      );
      expect(
        t.fake.rest
          .requestsTo('/v2/users/U1/upload_part_finish')
          .map((r) => (r.body as { part_index: number }).part_index)
          .sort(),
      ).toEqual([0, 1, 2, 3, 4].map((i) => i + indexBase));
    },
  );

  it('a part failing once is PUT again within retry_timeout; the upload completes', async () => {
    t.fake.rest.configureChunkedUpload({ blockSize: 512 * 1024 });
    t.fake.rest.chunkedUploads.failPartOnce(1);
    const data = randomBytes(5 * MiB + 10);
    await t.api.uploadGroupMedia('G1', { fileType: 4, data });
    expect(t.fake.rest.chunkedUploads.partPuts).toBe(11 + 1);
    expect(t.fake.rest.chunkedUploads.files[0]?.md5).toBe(md5(data));
  });

  it.each([1, 2, 3])(
    'a file read through reused buffers, parts at once, two failing (one before its body was read) and PUT again: the store gets exactly its bytes (round %i)',
    async () => {
      // 8 MiB parts outgrow what loopback sockets buffer, so the client's writes stay queued while it reads on (the
      // store shares this thread); a 1 ms retry_delay PUTs a part again while its failed PUT may still pull its body.
      // A corrupted part would fail upload_part_finish (MD5) and be PUT once more.
      t.fake.rest.configureChunkedUpload({ blockSize: 8 * MiB, concurrency: 3, retryDelay: 0.001 });
      t.fake.rest.chunkedUploads.failPartOnce(0, 'early');
      t.fake.rest.chunkedUploads.failPartOnce(2);
      const data = randomBytes(20 * MiB);
      const path = join(dir, 'retried.bin');
      await writeFile(path, data);
      await t.api.uploadC2CMedia('U1', { fileType: 4, path });

      const file = t.fake.rest.chunkedUploads.files[0];
      const part = (i: number): Uint8Array => data.subarray(i * 8 * MiB, (i + 1) * 8 * MiB);
      expect(file?.partMd5s).toEqual([0, 1, 2].map((i) => md5(part(i))));
      expect(file?.md5).toBe(md5(data));
      expect(t.fake.rest.chunkedUploads.partPuts).toBe(3 + 2);
      expect(t.fake.rest.requestsTo('/v2/users/U1/upload_part_finish')).toHaveLength(3);
      expect(t.fake.rest.chunkedUploads.maxPartsInFlight).toBeGreaterThan(1);
    },
  );

  it('a stream whose size is wrong is refused (QQBOT_INVALID_OPTION) and nothing is prepared', async () => {
    const err = await rejection(
      t.api.uploadGroupMedia('G1', { fileType: 4, stream: Readable.from([randomBytes(6 * MiB)]), size: 6 * MiB + 1 }),
    );
    expect((err as QQBotError).code).toBe(ErrorCodes.INVALID_OPTION);
    expect(t.fake.rest.requestsTo('/v2/groups/G1/upload_prepare')).toHaveLength(0);
  });

  it('signal aborts cleanly mid-upload: QQBOT_ABORTED, no merge', async () => {
    t.fake.rest.configureChunkedUpload({ blockSize: 256 * 1024, concurrency: 1 });
    const controller = new AbortController();
    const data = randomBytes(6 * MiB);
    const done = t.api.uploadGroupMedia(
      'G1',
      { fileType: 4, data },
      { signal: controller.signal, onProgress: (p) => p.bytesDone >= 512 * 1024 && controller.abort() },
    );
    const err = await rejection(done);
    expect((err as QQBotError).code).toBe(ErrorCodes.ABORTED);
    expect(t.fake.rest.chunkedUploads.files).toHaveLength(0);
    expect(t.fake.rest.chunkedUploads.partPuts).toBeLessThan(24);
  });

  it('a file above the fake (and platform) inline limit never goes inline: 10.5 MB by path', async () => {
    const data = randomBytes(10.5 * MiB);
    const path = join(dir, 'big.bin');
    await writeFile(path, data);
    await t.api.uploadC2CMedia('U1', { fileType: 4, path });
    expect(t.fake.rest.chunkedUploads.files[0]?.md5_10m).toBe(md5(data.subarray(0, 10_002_432)));
  });

  it('a presigned URL over http:// to a remote host is refused before any byte is PUT (QQBOT_BAD_RESPONSE)', async () => {
    t.fake.rest.configureChunkedUpload({ presignedUrlBase: 'http://objects.example.com' });
    const err = await rejection(t.api.uploadGroupMedia('G1', { fileType: 4, data: randomBytes(5 * MiB + 1) }));
    expect(err.code).toBe(ErrorCodes.BAD_RESPONSE);
    expect(err.message).toMatch(/https:\/\/ presigned_url/);
    expect(t.fake.rest.chunkedUploads.partPuts).toBe(0);
  });
});
