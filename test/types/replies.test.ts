import { describe, expectTypeOf, it } from 'vitest';
import type { DispatchEvent, QQBotConnector, TypedDispatchEvent } from '../../src/index.js';
import type { FakeSentMessage } from '../../src/testing/index.js';

// Checked by `npm run typecheck` (tsc over test/); at run time these are no-ops. The same mistakes from untyped
// callers are refused at run time with QQBOT_REPLY_UNSUPPORTED (test/replies/passive-reply.test.ts, stream-reply.test.ts).
describe('reply types catch mistakes', () => {
  it('reply() takes events that can be replied to, replyStream() C2C messages only', () => {
    const check = (
      bot: QQBotConnector,
      group: TypedDispatchEvent<'GROUP_AT_MESSAGE_CREATE'>,
      c2c: TypedDispatchEvent<'C2C_MESSAGE_CREATE'>,
    ): void => {
      void bot.reply(group, 'ok');
      void bot.reply({} as TypedDispatchEvent<'INTERACTION_CREATE'>, 'ok');
      void bot.reply({} as TypedDispatchEvent<'FRIEND_ADD'>, 'ok');
      void bot.replyStream(c2c, (async function* () {})());
      // @ts-expect-error a guild's creation answers nothing
      void bot.reply({} as TypedDispatchEvent<'GUILD_CREATE'>, 'x');
      // @ts-expect-error a deletion answers nothing
      void bot.reply({} as TypedDispatchEvent<'MESSAGE_DELETE'>, 'x');
      // @ts-expect-error an event not narrowed by its type may be one that answers nothing
      void bot.reply({} as DispatchEvent, 'x');
      // @ts-expect-error streamed replies are C2C only
      void bot.replyStream(group, (async function* () {})());
      // @ts-expect-error streamed replies are C2C only
      void bot.api.replyStream({} as TypedDispatchEvent<'AT_MESSAGE_CREATE'>, (async function* () {})());
    };
    expectTypeOf(check).toBeFunction();
  });

  it('a misspelled event name in bot.on() names where the valid ones are', () => {
    const listen = (bot: QQBotConnector): void => {
      bot.on('GROUP_AT_MESSAGE_CREATE', (e) => expectTypeOf(e.data.group_openid).toEqualTypeOf<string>());
      bot.once('ready', (e) => expectTypeOf(e.sessionId).toEqualTypeOf<string>());
      // @ts-expect-error "GROUP_AT_MESAGE_CREATE" is not an event of QQBotConnector: use 'dispatch', … or a dispatch type
      bot.on('GROUP_AT_MESAGE_CREATE', () => undefined);
    };
    expectTypeOf(listen).toBeFunction();
  });

  it("the testing kit's sent bodies are typed", () => {
    expectTypeOf<FakeSentMessage['body']['msg_seq']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<FakeSentMessage['body']['content']>().toEqualTypeOf<string | undefined>();
  });
});
