import { ErrorCodes, QQBotError, invalidOption } from '../errors.js';
import { custom, defaultsOf, integer, oneOf, resolve, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import { raceAbort } from '../util/abort.js';

/**
 * Streamed C2C replies (`POST /v2/users/{openid}/stream_messages`, docs/protocol.md §10): the shape LLM bots use.
 * Every number and field here comes from community SDKs and field reports, not from public docs, so each is an
 * option. What we rely on, checked against the platform's newest SDK (tencent-connect/qqbot-nodejs):
 * - replace mode: every frame carries the whole text so far (`content_raw`);
 * - one `msg_seq` for the whole stream, `index` counting frames from 0, `stream_msg_id` = the first answer's `id`;
 * - frames no faster than ~300 ms apart; a `msg_id` younger than ~5 min;
 * - a final frame with `input_state` 10, without which the platform rolls the message back.
 */

/** The options of one streamed reply (`replyStream(event, chunks, options)`). */
const STREAM = {
  /**
   * Least time from one frame's answer to the next frame; text arriving faster is merged into the next frame.
   * @defaultValue `300`
   */
  minIntervalMs: integer({ default: 300, min: 0, max: 60_000 }),
  /**
   * How long after the message a stream may still send frames (from `data.timestamp`, or from the call when
   * there is none). Past it the stream stops with `QQBOT_PASSIVE_REPLY_EXPIRED`.
   * @defaultValue `300_000` (5 min, as reported; shorter than C2C's 60-min reply window)
   */
  windowMs: integer({ default: 5 * 60_000, min: 1, max: 24 * 3_600_000 }),
  /** `content_type` of every frame. @defaultValue `'markdown'` */
  contentType: oneOf(['markdown', 'text'], { default: 'markdown' }),
  /**
   * Stops reading the source, closes the stream (final frame) and rejects with `QQBOT_ABORTED`.
   * @defaultValue none: the stream runs until the source ends
   */
  signal: custom<AbortSignal, AbortSignal | undefined>(
    (value, path) => {
      if (!(value instanceof AbortSignal)) throw invalidOption(`Expected \`${path}\` to be an AbortSignal`);
      return value;
    },
    { default: undefined },
  ),
};

export type StreamReplyOptions = OptionsOf<typeof STREAM>;
export type ResolvedStreamOptions = ResolvedOf<typeof STREAM>;

const { signal: _noSignal, ...streamDefaults } = defaultsOf(STREAM);
/** The defaults of {@link StreamReplyOptions} (a signal has none). */
export const DEFAULT_STREAM: Readonly<Omit<ResolvedStreamOptions, 'signal'>> = Object.freeze(streamDefaults);

/** Checks the options of one streamed reply (unknown keys refused). */
export function resolveStreamOptions(value: unknown): ResolvedStreamOptions {
  return resolve(STREAM, value, '');
}

/** What a streamed reply sent. */
export interface StreamReplyResult {
  /** The platform's id of the stream; `undefined` when the source produced no text (nothing was sent). */
  streamMsgId: string | undefined;
  /** Frames sent, the final one included. */
  frames: number;
  /** The whole text, as the final frame carried it. */
  text: string;
}

/** One frame's body, without the reply fields. */
export interface StreamFrame {
  input_mode: 'replace';
  input_state: 1 | 10;
  content_type: 'markdown' | 'text';
  content_raw: string;
  index: number;
  stream_msg_id?: string;
}

/** What the runner needs from the client: post one frame (the reply fields added), answer its `id`. */
export interface StreamIo {
  post(frame: StreamFrame): Promise<string | undefined>;
  /** Epoch ms on the reply tracker's clock. */
  now(): number;
  /** Epoch ms after which no frame may be sent. */
  deadline: number;
}

/**
 * Sends `source` as one streamed reply and settles once the stream is closed. The source is read as fast as it
 * yields; frames go out at most every `minIntervalMs`, each with the whole text so far.
 *
 * The final frame (`input_state` 10) is sent whenever a stream was opened, on every path: the source ends, the
 * source throws (then `QQBOT_STREAM_SOURCE_FAILED`, its `cause` the source's error), the signal aborts
 * (`QQBOT_ABORTED`), or a frame fails (that frame's error). The one exception is expiry: past the window the
 * platform refuses any frame, so the stream stops reading and rejects with `QQBOT_PASSIVE_REPLY_EXPIRED`.
 * A first error wins; a failing final frame after it is not reported over it.
 */
export async function runStream(
  io: StreamIo,
  source: AsyncIterable<string>,
  options: ResolvedStreamOptions,
): Promise<StreamReplyResult> {
  const { minIntervalMs, contentType, signal } = options;
  const iterator = source[Symbol.asyncIterator]();
  let text = '';
  /** The text of the last frame sent. */
  let sentText = '';
  let index = 0;
  let streamMsgId: string | undefined;
  /**
   * When the last frame was answered (performance.now(): monotonic). Spacing from the answer, not the request,
   * keeps frames `minIntervalMs` apart where the platform sees them, whatever a request's latency.
   */
  let lastAnswer = Number.NEGATIVE_INFINITY;
  /** Aborted when a frame fails, so a slow source is not waited for. */
  const stop = new AbortController();
  let failure: unknown;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const expired = (): QQBotError =>
    new QQBotError(
      ErrorCodes.PASSIVE_REPLY_EXPIRED,
      'the stream outlived its window: the platform would refuse more frames',
      {
        details: { scope: 'c2c', windowMs: options.windowMs, framesSent: index },
      },
    );

  const send = async (state: 1 | 10, content: string): Promise<void> => {
    const wait = lastAnswer + minIntervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (io.now() > io.deadline) throw expired();
    const frame: StreamFrame = {
      input_mode: 'replace',
      input_state: state,
      content_type: contentType,
      content_raw: content,
      index,
    };
    if (streamMsgId !== undefined) frame.stream_msg_id = streamMsgId;
    const id = await io.post(frame);
    lastAnswer = performance.now();
    index += 1;
    sentText = content;
    if (streamMsgId === undefined) {
      if (id === undefined)
        throw new QQBotError(
          ErrorCodes.BAD_RESPONSE,
          'the first stream frame was answered without an id (stream_msg_id)',
          { retryable: false },
        );
      streamMsgId = id;
    }
  };

  /** False once the source is no longer read: from then on only the final frame goes out. */
  let reading = true;

  /** Sends the text when it changed and nothing is pending; one frame at a time, spaced by the interval. */
  const kick = (): void => {
    if (
      !reading ||
      timer !== undefined ||
      inFlight !== undefined ||
      failure !== undefined ||
      text === sentText ||
      text === ''
    )
      return;
    timer = setTimeout(
      () => {
        timer = undefined;
        inFlight = send(1, text).then(
          () => {
            inFlight = undefined;
            kick();
          },
          (err: unknown) => {
            inFlight = undefined;
            failure ??= err;
            stop.abort();
          },
        );
      },
      Math.max(0, lastAnswer + minIntervalMs - performance.now()),
    );
  };

  /** Marks a wait cut short by our own signals, so it is told apart from an error the source threw. */
  const cut = Symbol('cut');
  /** True while the source may hold resources: it has not ended, and it did not throw. */
  let sourceOpen = true;
  try {
    for (;;) {
      const next = await raceAbort(
        iterator.next(),
        signal === undefined ? [stop.signal] : [stop.signal, signal],
        () => cut,
      );
      if (next.done === true) {
        sourceOpen = false;
        break;
      }
      if (typeof next.value !== 'string') {
        failure ??= invalidOption('Expected the stream source to yield strings');
        break;
      }
      text += next.value;
      kick();
      if (failure !== undefined) break;
    }
  } catch (err) {
    if (err === cut) {
      // A failed frame (failure is set) or the caller's signal.
      failure ??= new QQBotError(ErrorCodes.ABORTED, 'the streamed reply was aborted', {
        retryable: false,
        cause: signal?.reason,
      });
    } else {
      sourceOpen = false;
      failure ??= new QQBotError(
        ErrorCodes.STREAM_SOURCE_FAILED,
        'the stream source threw; the stream was closed with the text so far',
        { cause: err },
      );
    }
  } finally {
    // A frame still in flight must not schedule another when it returns: the final frame comes next.
    reading = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    // Stop a source we no longer read, so its finally blocks run.
    if (sourceOpen) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
  await inFlight;

  const isExpiry = failure instanceof QQBotError && failure.code === ErrorCodes.PASSIVE_REPLY_EXPIRED;
  // Close every opened stream (or send the whole text as one frame when the source ended before the first).
  if (!isExpiry && (streamMsgId !== undefined || (failure === undefined && text !== ''))) {
    try {
      await send(10, text);
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
  return { streamMsgId, frames: index, text };
}
