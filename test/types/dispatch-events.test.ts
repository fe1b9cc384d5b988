import { describe, expectTypeOf, it } from 'vitest';
import type {
  C2CMessageData,
  ChannelMessageData,
  DirectMessageData,
  DispatchEvent,
  GroupManagementData,
  GroupMessageData,
  InteractionData,
  QQBotConnector,
  TypedDispatchEvent,
  UnknownEventType,
} from '../../src/index.js';

// Checked by `npm run typecheck` (tsc over test/); at run time these are no-ops.
describe('typed dispatch events', () => {
  it("narrows e.data by e.type: e.type === 'GROUP_AT_MESSAGE_CREATE' gives the group message shape", () => {
    const e = {} as DispatchEvent;
    if (e.type === 'GROUP_AT_MESSAGE_CREATE') {
      expectTypeOf(e.data).toEqualTypeOf<GroupMessageData>();
      expectTypeOf(e.data.id).toEqualTypeOf<string>();
      expectTypeOf(e.data.author.member_openid).toEqualTypeOf<string>();
    }
    if (e.type === 'C2C_MESSAGE_CREATE') {
      expectTypeOf(e.data).toEqualTypeOf<C2CMessageData>();
      // @ts-expect-error a private message has no group
      void e.data.group_openid;
    }
    if (e.type === 'AT_MESSAGE_CREATE') expectTypeOf(e.data).toEqualTypeOf<ChannelMessageData>();
    if (e.type === 'DIRECT_MESSAGE_CREATE') expectTypeOf(e.data).toEqualTypeOf<DirectMessageData>();
    if (e.type === 'INTERACTION_CREATE')
      expectTypeOf(e.data.data.resolved.button_data).toEqualTypeOf<string | undefined>();
    if (e.type === 'GROUP_ADD_ROBOT') expectTypeOf(e.data).toEqualTypeOf<GroupManagementData>();
  });

  it('narrows in a switch, and leaves unknown types with data: unknown', () => {
    const e = {} as DispatchEvent;
    switch (e.type) {
      case 'FRIEND_ADD':
        expectTypeOf(e.data.openid).toEqualTypeOf<string>();
        break;
      case 'MESSAGE_REACTION_ADD':
        expectTypeOf(e.data.emoji.id).toEqualTypeOf<string>();
        break;
      default:
        expectTypeOf(e.type).toExtend<string | UnknownEventType>();
    }
    // A type the library does not know yet still arrives; its data is unknown.
    if (String(e.type) === 'SOME_NEW_EVENT') expectTypeOf(e.data).toBeUnknown();
    // Everything a dispatch has in common stays readable without narrowing.
    expectTypeOf(e.shard).toEqualTypeOf<number>();
    expectTypeOf(e.id).toEqualTypeOf<string | undefined>();
  });

  it("types the per-type listener: bot.on('GROUP_AT_MESSAGE_CREATE', (e) => …) gets that type's event", () => {
    const bot = {} as QQBotConnector;
    expectTypeOf(bot.on<'GROUP_AT_MESSAGE_CREATE'>)
      .parameter(1)
      .toEqualTypeOf<(event: TypedDispatchEvent<'GROUP_AT_MESSAGE_CREATE'>) => void>();
    expectTypeOf(bot.on<'INTERACTION_CREATE'>)
      .parameter(1)
      .parameter(0)
      .toHaveProperty('data')
      .toEqualTypeOf<InteractionData>();
    // Type-checked, never called (the bot here is only a type).
    const listen = (real: QQBotConnector): void => {
      real.on('C2C_MESSAGE_CREATE', (e) => {
        expectTypeOf(e.type).toEqualTypeOf<'C2C_MESSAGE_CREATE'>();
        expectTypeOf(e.data.author.user_openid).toEqualTypeOf<string>();
      });
      // @ts-expect-error a group message listener does not accept a C2C-only handler
      real.on('GROUP_AT_MESSAGE_CREATE', (e: TypedDispatchEvent<'C2C_MESSAGE_CREATE'>) => e);
    };
    expectTypeOf(listen).toBeFunction();
    // A typed event is still a DispatchEvent; reply() takes a narrowed one (test/types/replies.test.ts).
    expectTypeOf<TypedDispatchEvent<'GROUP_AT_MESSAGE_CREATE'>>().toExtend<DispatchEvent>();
    expectTypeOf<TypedDispatchEvent<'GROUP_AT_MESSAGE_CREATE'>>().toExtend<Parameters<QQBotConnector['reply']>[0]>();
    expectTypeOf<TypedDispatchEvent<'C2C_MESSAGE_CREATE'>>().toExtend<Parameters<QQBotConnector['replyStream']>[0]>();
    expectTypeOf<TypedDispatchEvent<'INTERACTION_CREATE'>>().toExtend<
      Parameters<QQBotConnector['api']['ackInteraction']>[0]
    >();
  });
});
