import { isObject } from '../options/checks.js';
import type { RestRecords } from './fake-rest-records.js';
import { REPLY_WINDOWS_MS } from './fake-rest-replies.js';
import {
  FakeRestCodes,
  codeBody,
  type Answer,
  type FakeInteractionAck,
  type FakeMessageKind,
  type FakeSentMessage,
} from './fake-rest-types.js';

/**
 * The message routes of the REST fake: a send (v2 group/C2C, guild channel/DM) checked as the platform checks it,
 * a recall, and an interaction ACK. Internal to the testing kit.
 * @internal
 * @module
 */

/** `POST …/messages`: the body's shape, the passive-reply rules, then an audit hold or an accepted message. */
export function sendMessage(
  records: RestRecords,
  kind: FakeMessageKind,
  targetId: string,
  body: unknown,
  answer: Answer,
): void {
  const error = (code: number, message: string): void => answer(400, codeBody(code, message));
  if (!isObject(body)) return error(FakeRestCodes.INVALID_BODY, 'body must be a JSON object');
  const v2 = kind === 'group' || kind === 'c2c';
  // A v2 send without msg_type is text: the platform takes it so (docs/testing.md, "Fidelity").
  const msgType = v2 ? (body.msg_type ?? 0) : 0;
  if (v2 && ![0, 2, 3, 4, 7].includes(msgType as number))
    return error(FakeRestCodes.INVALID_BODY, 'msg_type must be 0 (or absent), 2, 3, 4 or 7');
  if (
    msgType === 0 &&
    (typeof body.content !== 'string' || body.content.trim() === '') &&
    !(
      !v2 &&
      (body.embed !== undefined || body.ark !== undefined || body.image !== undefined || body.markdown !== undefined)
    )
  ) {
    return error(FakeRestCodes.INVALID_BODY, 'content is required for msg_type 0');
  }
  if (msgType === 2 && !isObject(body.markdown))
    return error(FakeRestCodes.INVALID_BODY, 'markdown is required for msg_type 2');
  if (msgType === 7) {
    const info = isObject(body.media) ? body.media.file_info : undefined;
    if (typeof info !== 'string' || !records.fileInfos.has(info))
      return error(
        FakeRestCodes.INVALID_BODY,
        'media.file_info is required for msg_type 7 and must come from an upload',
      );
  }
  if (
    body.msg_seq !== undefined &&
    (typeof body.msg_seq !== 'number' || !Number.isInteger(body.msg_seq) || body.msg_seq < 0)
  ) {
    return error(FakeRestCodes.INVALID_BODY, 'msg_seq must be a non-negative integer');
  }
  const msgId = typeof body.msg_id === 'string' && body.msg_id !== '' ? body.msg_id : undefined;
  const eventId = typeof body.event_id === 'string' && body.event_id !== '' ? body.event_id : undefined;
  const ref = msgId ?? eventId;
  if (ref === undefined && v2 && records.rejectProactive())
    return error(FakeRestCodes.PROACTIVE_FORBIDDEN, '主动消息失败, 无权限');

  let seqKey: string | undefined;
  let countKey: string | undefined;
  if (ref !== undefined) {
    const expired = records.replies.expired(msgId, (registered) => REPLY_WINDOWS_MS[registered]);
    if (expired !== undefined) return error(expired.code, expired.message);
    countKey = `${kind}:${msgId === undefined ? 'e' : 'm'}:${ref}`;
    // The guild (v1) API has no msg_seq: every send is new there.
    if (v2) seqKey = `${countKey}#${typeof body.msg_seq === 'number' ? body.msg_seq : 1}`;
    const refused = records.replies.refusal(countKey, seqKey);
    if (refused !== undefined) return error(refused.code, refused.message);
  }

  records.replies.take(countKey, seqKey);
  if (records.faults.takeAudit()) {
    return answer(202, {
      code: FakeRestCodes.MESSAGE_AUDIT,
      message: 'push message is waiting for audit now',
      data: { message_audit: { audit_id: `fake-audit-${records.nextSeq()}` } },
    });
  }
  const id = `ROBOT1.0_fake_${records.nextSeq()}`;
  records.addMessage({ id, kind, targetId, body } satisfies FakeSentMessage);
  answer(200, { id, timestamp: records.timestamp() });
}

/** `DELETE …/messages/{id}`: forgets an accepted message of that target. */
export function recall(
  records: RestRecords,
  kind: FakeMessageKind,
  targetId: string,
  messageId: string,
  answer: Answer,
): void {
  const index = records.messages.findIndex((m) => m.id === messageId && m.kind === kind && m.targetId === targetId);
  if (index < 0) return answer(404, codeBody(FakeRestCodes.NOT_FOUND, 'message not found'));
  records.messages.splice(index, 1);
  answer(200, undefined);
}

/** `PUT /interactions/{id}`: an ACK with a `code` of 0–5. */
export function acknowledge(records: RestRecords, id: string, body: unknown, answer: Answer): void {
  const code = isObject(body) ? body.code : undefined;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 5)
    return answer(400, codeBody(FakeRestCodes.INVALID_BODY, 'code must be an integer 0-5'));
  const ack: FakeInteractionAck = { id, code, at: records.context.now() };
  records.interactions.push(ack);
  records.events.emit('interaction', ack);
  answer(204, undefined);
}
