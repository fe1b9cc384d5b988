import { invalidOption } from '../errors.js';
import { isObject } from '../validation.js';
import type { CallOptions, MediaUploadResult, UploadMediaInput } from '../bodies/message-bodies.js';
import { readUploadResult } from './answers.js';
import type { RestRequester } from './rest-request.js';

/** Where a group or C2C upload goes: `scope` `groups` or `users`, and the openid (already encoded). */
export interface UploadTarget {
  scope: 'groups' | 'users';
  /** The route template's id name, for errors and logs. */
  idName: 'group_openid' | 'openid';
  /** The encoded openid. */
  id: string;
}

/** `POST /v2/{scope}/{id}/files` with a URL or the bytes (base64 `file_data`). */
export async function uploadMedia(requester: RestRequester, target: UploadTarget, input: UploadMediaInput, options?: CallOptions): Promise<MediaUploadResult> {
  const byUrl = isObject(input) && typeof input.url === 'string' && input.url !== '' && input.data === undefined;
  const byData = isObject(input) && input.data instanceof Uint8Array && input.data.byteLength > 0 && input.url === undefined;
  if (!isObject(input) || ![1, 2, 3, 4].includes(input.fileType) || !(byUrl || byData)) {
    throw invalidOption('Expected `{ fileType: 1 | 2 | 3 | 4, url: string }` or `{ fileType, data: Uint8Array }` (non-empty)');
  }
  const source = byUrl ? { url: input.url } : { file_data: Buffer.from(input.data as Uint8Array).toString('base64') };
  const route = `POST /v2/${target.scope}/{${target.idName}}/files`;
  // A second upload only yields a second file_info; nothing is posted (srv_send_msg: false).
  const res = await requester.call({
    method: 'POST',
    idempotent: true,
    route,
    path: `/v2/${target.scope}/${target.id}/files`,
    body: { file_type: input.fileType, ...source, srv_send_msg: false },
    signal: options?.signal,
  });
  return readUploadResult(route, res);
}
