import { acknowledge, recall, sendMessage } from './fake-rest-messages.js';
import { upload, uploadPath } from './fake-rest-media.js';
import type { RestRecords } from './fake-rest-records.js';
import { streamFrame } from './fake-rest-streams.js';
import type { Answer } from './fake-rest-types.js';

/**
 * The route table of the REST fake: method and path pattern to the handler of each family (messages, media and
 * chunked upload, streams, interactions, the bot's profile, the gateway URL). Internal to the testing kit.
 * @internal
 * @module
 */

export interface Route {
  method: string;
  pattern: RegExp;
  handler: (records: RestRecords, params: string[], body: unknown, answer: Answer) => void;
}

const GATEWAY = /^\/gateway(\/bot)?$/;

/** The v2 targets: their path segment and their kind (a group, or a user in C2C). */
const V2_TARGETS = [
  ['groups', 'group'],
  ['users', 'c2c'],
] as const;

/** The routes each v2 target has: sends, uploads (plain and chunked) and recalls. */
const V2_ROUTES: readonly Route[] = V2_TARGETS.flatMap(([segment, kind]): Route[] => {
  const at = (tail: string): RegExp => new RegExp(`^/v2/${segment}/([^/]+)/${tail}$`);
  const owner = (id: string | undefined): string => uploadPath(kind, id ?? '');
  return [
    {
      method: 'POST',
      pattern: at('messages'),
      handler: (r, [id], b, answer) => sendMessage(r, kind, id ?? '', b, answer),
    },
    { method: 'POST', pattern: at('files'), handler: (r, [id], b, answer) => upload(r, kind, id ?? '', b, answer) },
    {
      method: 'POST',
      pattern: at('upload_prepare'),
      handler: (r, [id], b, answer) => r.chunked.prepare(owner(id), b, answer),
    },
    {
      method: 'POST',
      pattern: at('upload_part_finish'),
      handler: (r, [id], b, answer) => r.chunked.partFinish(owner(id), b, answer),
    },
    {
      method: 'DELETE',
      pattern: at('messages/([^/]+)'),
      handler: (r, [id, mid], _b, answer) => recall(r, kind, id ?? '', mid ?? '', answer),
    },
  ];
});

const ROUTES: readonly Route[] = [
  ...V2_ROUTES,
  {
    method: 'POST',
    pattern: /^\/channels\/([^/]+)\/messages$/,
    handler: (r, [id], b, answer) => sendMessage(r, 'channel', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/dms\/([^/]+)\/messages$/,
    handler: (r, [id], b, answer) => sendMessage(r, 'dm', id ?? '', b, answer),
  },
  {
    method: 'POST',
    pattern: /^\/v2\/users\/([^/]+)\/stream_messages$/,
    handler: (r, [id], b, answer) => streamFrame(r, id ?? '', b, answer),
  },
  {
    method: 'PUT',
    pattern: /^\/interactions\/([^/]+)$/,
    handler: (r, [id], b, answer) => acknowledge(r, id ?? '', b, answer),
  },
  {
    method: 'GET',
    pattern: /^\/users\/@me$/,
    handler: (_r, _p, _b, answer) =>
      answer(200, {
        id: 'fake-bot-id',
        username: 'fake-bot',
        avatar: 'https://example.invalid/avatar.png',
        union_openid: 'fake-union',
      }),
  },
  {
    method: 'GET',
    pattern: GATEWAY,
    handler: (r, [bot], _b, answer) => {
      const url = r.context.gatewayUrl?.() ?? '';
      answer(
        200,
        bot === undefined
          ? { url }
          : {
              url,
              shards: 1,
              session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
            },
      );
    },
  },
];

/**
 * The route for `method` and `path` with its decoded parameters, or `undefined` (the host then answers 404). The
 * gateway routes exist only when `withGateway` (the context knows the gateway URL).
 */
export function matchRoute(
  method: string,
  path: string,
  withGateway: boolean,
): { route: Route; params: string[] } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m !== null) {
      if (route.pattern === GATEWAY && !withGateway) return undefined;
      return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    }
  }
  return undefined;
}
