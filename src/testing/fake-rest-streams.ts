import { isObject } from '../options/checks.js';
import type { RestRecords } from './fake-rest-records.js';
import { FakeRestCodes, codeBody, type Answer, type FakeStream, type FakeStreamFrame } from './fake-rest-types.js';

/**
 * The streamed C2C reply of the REST fake (`POST /v2/users/{openid}/stream_messages`). Internal to the testing
 * kit.
 * @internal
 * @module
 */

/** A stream needs a `msg_id` younger than this (docs/protocol.md §10, as reported), also in C2C. */
export const STREAM_WINDOW_MS = 5 * 60_000;

/**
 * One frame of a streamed C2C reply. The first frame (no `stream_msg_id`) is a reply like any other: window,
 * 5-reply limit and `msg_seq` dedupe apply, and it starts a stream whose id is the answer's `id`. Later frames
 * name that id, keep its `msg_id`/`event_id` and `msg_seq`, and raise `index`; none is accepted after the final
 * one (`input_state` 10). A stream's window is {@link STREAM_WINDOW_MS} from the message.
 */
export function streamFrame(records: RestRecords, openid: string, body: unknown, answer: Answer): void {
  const error = (code: number, message: string): void => answer(400, codeBody(code, message));
  const invalid = (message: string): void => error(FakeRestCodes.INVALID_BODY, message);
  if (!isObject(body)) return invalid('body must be a JSON object');
  if (body.input_mode !== 'replace') return invalid('input_mode must be "replace"');
  if (body.input_state !== 1 && body.input_state !== 10) return invalid('input_state must be 1 or 10');
  if (body.content_type !== 'markdown' && body.content_type !== 'text')
    return invalid('content_type must be "markdown" or "text"');
  if (typeof body.content_raw !== 'string') return invalid('content_raw must be a string');
  if (!Number.isInteger(body.index) || (body.index as number) < 0)
    return invalid('index must be a non-negative integer');
  if (!Number.isInteger(body.msg_seq) || (body.msg_seq as number) < 0)
    return invalid('msg_seq must be a non-negative integer');
  const ref =
    typeof body.msg_id === 'string' && body.msg_id !== ''
      ? body.msg_id
      : typeof body.event_id === 'string' && body.event_id !== ''
        ? body.event_id
        : undefined;
  if (ref === undefined) return invalid('msg_id or event_id is required');
  const expired = records.replies.expired(ref, () => STREAM_WINDOW_MS);
  if (expired !== undefined) return error(expired.code, expired.message);
  const frame: FakeStreamFrame = {
    index: body.index as number,
    state: body.input_state,
    content: body.content_raw,
    contentType: body.content_type,
    at: records.context.now(),
  };

  let stream: FakeStream | undefined;
  if (body.stream_msg_id === undefined) {
    const countKey = `c2c:m:${ref}`;
    const seqKey = `${countKey}#${String(body.msg_seq)}`;
    const refused = records.replies.refusal(countKey, seqKey);
    if (refused !== undefined) return error(refused.code, refused.message);
    records.replies.take(countKey, seqKey);
    stream = {
      id: `fake-stream-${records.nextSeq()}`,
      openid,
      ref,
      msgSeq: body.msg_seq as number,
      frames: [],
      text: '',
      done: false,
    };
    records.streams.push(stream);
  } else {
    stream = records.streams.find((s) => s.id === body.stream_msg_id && s.openid === openid);
    if (stream === undefined) return error(FakeRestCodes.NOT_FOUND, 'unknown stream_msg_id');
    if (stream.done) return invalid('the stream has ended (input_state 10 was sent)');
    if (stream.ref !== ref || stream.msgSeq !== body.msg_seq) return invalid('a stream keeps its msg_id and msg_seq');
    const last = stream.frames.at(-1);
    if (last !== undefined && frame.index <= last.index) return invalid('index must grow');
  }
  stream.frames.push(frame);
  stream.text = frame.content;
  if (frame.state === 10) stream.done = true;
  records.events.emit('stream', stream, frame);
  if (stream.done) records.addMessage({ id: stream.id, kind: 'c2c', targetId: openid, body });
  answer(200, { id: stream.id, timestamp: records.timestamp() });
}
