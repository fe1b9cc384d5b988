import { invalidOption } from '../errors.js';
import { isObject } from '../options/checks.js';

/** Upload `file_type` per media kind (docs/protocol.md §8). */
export const MEDIA_FILE_TYPES = { image: 1, video: 2, voice: 3, file: 4 } as const;
export type MediaKind = keyof typeof MEDIA_FILE_TYPES;

/**
 * A URL the platform fetches, the bytes themselves, a file on disk, or a stream with its size in bytes. Large
 * ones are uploaded in parts (see `uploadGroupMedia`).
 */
export type MediaSource =
  | string
  | Uint8Array
  | { path: string; fileName?: string }
  | { stream: AsyncIterable<Uint8Array>; size: number; fileName?: string };

type OnlyOne<K extends MediaKind> = { [P in K]: MediaSource } & { [P in Exclude<MediaKind, K>]?: never };

/**
 * A media reply: `bot.reply(e, { image: 'https://…' })` or `{ image: buffer }` uploads (`POST …/files`) and sends
 * (`msg_type` 7) in one call. One kind per reply; `content` is text sent with it.
 */
export type MediaReply = (OnlyOne<'image'> | OnlyOne<'video'> | OnlyOne<'voice'> | OnlyOne<'file'>) & {
  content?: string;
};

/** A media reply, read and checked. */
export interface MediaRequest {
  kind: MediaKind;
  fileType: (typeof MEDIA_FILE_TYPES)[MediaKind];
  source: MediaSource;
  content: string | undefined;
}

const KINDS = Object.keys(MEDIA_FILE_TYPES) as MediaKind[];

/**
 * Reads a reply's content as a media reply: `undefined` when it names no media kind (a text or rich body);
 * `QQBOT_INVALID_OPTION` for two kinds at once, an empty URL or no bytes, or a non-string `content`.
 */
export function readMediaReply(content: unknown): MediaRequest | undefined {
  if (!isObject(content)) return undefined;
  const kinds = KINDS.filter((k) => content[k] !== undefined);
  const kind = kinds[0];
  if (kind === undefined) return undefined;
  if (kinds.length > 1) throw invalidOption(`Expected one media kind per reply, got ${kinds.join(' and ')}`);
  const source = content[kind];
  const usable =
    (typeof source === 'string' && source !== '') ||
    (source instanceof Uint8Array && source.byteLength > 0) ||
    (isObject(source) &&
      (typeof source.path === 'string' || (source.stream !== undefined && typeof source.size === 'number')));
  if (!usable)
    throw invalidOption(
      `Expected \`${kind}\` to be a URL, non-empty bytes (Buffer / Uint8Array), \`{ path }\` or \`{ stream, size }\``,
    );
  if (content.content !== undefined && typeof content.content !== 'string')
    throw invalidOption('Expected the `content` of a media reply to be a string');
  return {
    kind,
    fileType: MEDIA_FILE_TYPES[kind],
    source: source as MediaSource,
    content: content.content as string | undefined,
  };
}
