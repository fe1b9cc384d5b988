import { ErrorCodes, QQBotError } from '../errors.js';
import { isObject } from '../options/checks.js';
import type { MediaUploadResult, SendResult } from '../bodies/message-bodies.js';

/** Reading the platform's successful answers; a 2xx answer without what was expected is `QQBOT_BAD_RESPONSE`. */

/** The audit id of a send held for audit (HTTP 201/202), wherever the answer put it. */
export function auditIdOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const candidates = [
    isObject(body.data) && isObject(body.data.message_audit) ? body.data.message_audit.audit_id : undefined,
    isObject(body.message_audit) ? body.message_audit.audit_id : undefined,
    body.audit_id,
  ];
  const found = candidates.find((c): c is string => typeof c === 'string' && c !== '');
  return found;
}

export function badShape(route: string, status: number, expected: string, got = 'something else'): QQBotError {
  return new QQBotError(
    ErrorCodes.BAD_RESPONSE,
    `${route} answered HTTP ${status} with ${got} where ${expected} was expected`,
    {
      retryable: false,
      details: { status },
    },
  );
}

/** A send's answer: a message id, an audit id, or (a retry answered "duplicate") deduplicated. */
export function readSendResult(
  route: string,
  res: { status: number; body: unknown; deduplicated: boolean },
): SendResult {
  if (res.deduplicated) return { status: 'deduplicated', deduplicated: true };
  const b = isObject(res.body) ? res.body : undefined;
  if (b !== undefined && typeof b.id === 'string' && b.id !== '') {
    const ts = b.timestamp;
    return {
      status: 'sent',
      id: b.id,
      timestamp: typeof ts === 'string' ? ts : typeof ts === 'number' ? String(ts) : undefined,
      deduplicated: false,
    };
  }
  const auditId = auditIdOf(b);
  if (auditId !== undefined) return { status: 'audit', auditId, deduplicated: false };
  throw badShape(route, res.status, 'a message id or an audit id');
}

/** A `/files` answer (an upload or the merge of a chunked one). */
export function readUploadResult(route: string, res: { status: number; body: unknown }): MediaUploadResult {
  const b = res.body;
  if (!isObject(b) || typeof b.file_info !== 'string' || b.file_info === '')
    throw badShape(route, res.status, 'file_info');
  return {
    fileUuid: typeof b.file_uuid === 'string' ? b.file_uuid : undefined,
    fileInfo: b.file_info,
    ttl: typeof b.ttl === 'number' ? b.ttl : 0,
  };
}
