import { isObject } from '../options/checks.js';
import type { RestRecords } from './fake-rest-records.js';
import { FakeRestCodes, codeBody, type Answer } from './fake-rest-types.js';

/**
 * The upload routes of the REST fake: `POST /v2/{groups,users}/{id}/files` by URL, by bytes, or as the merge of
 * a chunked upload (whose prepare, part PUTs and part finish `FakeChunkedUploads` serves). Internal to the
 * testing kit.
 * @internal
 * @module
 */

type UploadKind = 'group' | 'c2c';

/** The chunked-upload session's owner: one target's routes. */
export function uploadPath(kind: UploadKind, targetId: string): string {
  return `${kind === 'group' ? 'groups' : 'users'}/${targetId}`;
}

/** `POST …/files`: exactly one of `url` and base64 `file_data`, or an `upload_id` to merge. */
export function upload(records: RestRecords, kind: UploadKind, targetId: string, body: unknown, answer: Answer): void {
  const invalid = (message: string): void => answer(400, codeBody(FakeRestCodes.INVALID_BODY, message));
  if (!isObject(body) || ![1, 2, 3, 4].includes(body.file_type as number))
    return invalid('file_type (1-4) is required');
  if (body.upload_id !== undefined) return mergeChunked(records, kind, targetId, body, answer);
  const url = typeof body.url === 'string' && body.url !== '' ? body.url : undefined;
  const data =
    typeof body.file_data === 'string' && body.file_data !== '' ? Buffer.from(body.file_data, 'base64') : undefined;
  if ((url === undefined) === (data === undefined)) return invalid('exactly one of url and file_data is required');
  if (data !== undefined && (data.length === 0 || data.toString('base64') !== body.file_data))
    return invalid('file_data must be base64');
  const n = records.nextSeq();
  const fileInfo = `fake-file-info-${n}`;
  records.addUpload({
    kind,
    targetId,
    fileType: body.file_type as number,
    fileInfo,
    ...(url === undefined ? {} : { url }),
    ...(data === undefined ? {} : { data }),
  });
  answer(200, { file_uuid: `fake-file-uuid-${n}`, file_info: fileInfo, ttl: 3600 });
}

function mergeChunked(
  records: RestRecords,
  kind: UploadKind,
  targetId: string,
  body: Record<string, unknown>,
  answer: Answer,
): void {
  const merged = records.chunked.merge(uploadPath(kind, targetId), body);
  if ('error' in merged) return answer(400, codeBody(FakeRestCodes.UPLOAD_PART_FAILED, merged.error));
  records.addUpload({
    kind,
    targetId,
    fileType: body.file_type as number,
    fileInfo: merged.fileInfo,
    chunked: merged.file,
  });
  answer(200, { file_uuid: `fake-file-uuid-${records.nextSeq()}`, file_info: merged.fileInfo, ttl: 3600 });
}
