// The public surface: what a host uses, and nothing more. test/package/surface.test.ts pins these names.
export { QQBotConnector, type CloseOptions, type StartOptions } from './connector.js';
export { MemorySessionStore, type SessionCheckpoint, type SessionStore } from './store/session-store.js';
export type { ClaimState, DeliveryClaims } from './store/delivery-claims.js';
export { FileSessionStore, type FileSessionStoreOptions } from './store/file-session-store.js';
export type { Fleet } from './fleet/fleet.js';
export type { LeaseWait, ShardLease, ShardLeases } from './fleet/leases.js';
export type { FleetIdentifyGate, IdentifySlot } from './fleet/identify-gate.js';
export type { FleetShardCount, ShardCountAgreement } from './fleet/shard-count.js';
export { ErrorCodes, QQBotError, type ErrorCode, type WireError } from './errors.js';
export type {
  ConnectorEventMap,
  ConnectorEventName,
  ConnectorListener,
  DispatchEvent,
  DispatchEventBase,
  DispatchListenerMap,
  KnownDispatchEvent,
  TypedDispatchEvent,
  UnknownDispatchEvent,
  HealthReport,
  ReadyEvent,
  ResumedEvent,
  RestartEvent,
  ShardState,
  ShardStatus,
} from './events.js';
export {
  DEFAULT_ENDPOINTS,
  DEFAULT_RESTART,
  DEFAULT_TIMEOUTS,
  DEFAULT_OPTIONS,
  type EndpointOptions,
  type Logger,
  type QQBotConnectorOptions,
  type RestartOptions,
  type TimeoutOptions,
} from './options.js';
export { Intents, type IntentName } from './protocol/intents.js';
export type { DispatchEventDataMap, KnownDispatchType, UnknownEventType } from './protocol/events/event-map.js';
export type {
  C2CMessageData,
  ChannelMessageData,
  DirectMessageData,
  GroupMessageData,
  GuildUser,
  MessageAttachment,
  MessageDeleteData,
  MessageQuote,
  MessageScene,
} from './protocol/events/message-events.js';
export type {
  AudioData,
  AudioLiveMemberData,
  ChannelData,
  ForumAuditData,
  ForumData,
  FriendManagementData,
  GroupManagementData,
  GuildData,
  GuildMemberData,
  InteractionData,
  MessageAuditData,
  OpenForumData,
  ReactionData,
} from './protocol/events/other-events.js';
export { OpCodes, DispatchEvents, type DispatchEventName } from './protocol/opcodes.js';
export type { WorkerStatus } from './protocol/worker-messages.js';
export type { AttemptRunner, RunnerOption, RunningAttempt, ThreadsOption } from './runners/runner.js';
export { ThreadPool, type ThreadPoolOptions, type PoolThread } from './runners/thread-pool.js';
export { CHANNEL_NAMES } from './metrics/channels.js';
export { QQOpenAPI, type BotUser, type InteractionAckCode, type InteractionEventLike } from './http/openapi.js';
export {
  DEFAULT_RETRY,
  type QQOpenAPIOptions,
  type SharedTokenOpenAPIOptions,
  type RetryOptions,
} from './http/openapi-options.js';
export type { TokenSource } from './http/token-manager.js';
export {
  ButtonActionType,
  ButtonStyle,
  type CallOptions,
  type V2MessageBody,
  type ChannelMessageBody,
  type MessageType,
  type MarkdownPayload,
  type KeyboardPayload,
  type ArkPayload,
  type EmbedPayload,
  type MessageReference,
  type UploadMediaInput,
  type MediaFileType,
  type SendResult,
  type MediaUploadResult,
  type ButtonAction,
  type ButtonPermission,
  type KeyboardButton,
  type KeyboardRow,
} from './bodies/message-bodies.js';
export type { ReplyContent } from './replies/reply.js';
export { DEFAULT_PACING, type PacingOptions } from './http/pacing.js';
export { DEFAULT_UPLOAD, type UploadOptions } from './http/chunked-upload.js';
export type { UploadCallOptions, UploadProgress } from './bodies/message-bodies.js';
export { QQApiError, QQApiCodes, type ApiErrorKind, type ApiErrorBody } from './http/api-error.js';
export {
  REPLY_WINDOWS_MS,
  REPLYABLE_EVENT_TYPES,
  type ReplyableEventType,
  type StreamableEvent,
  type ReplyableEvent,
  type ReplyScope,
  type ReplyFields,
  type ReplyStore,
  type ReplyTrackerOptions,
} from './replies/passive-reply.js';
export { markdown, markdownTemplate, type MarkdownMessage, type MarkdownOptions } from './messages/markdown.js';
export {
  keyboard,
  keyboardTemplate,
  linkButton,
  callbackButton,
  commandButton,
  MAX_KEYBOARD_ROWS,
  MAX_BUTTONS_PER_ROW,
  type ButtonAudience,
  type ButtonOptions,
  type ButtonSpec,
} from './messages/keyboard.js';
export { ark, type ArkMessage, type ArkValue } from './messages/ark.js';
export { embed, type EmbedInput, type EmbedMessage } from './messages/embed.js';
export { MEDIA_FILE_TYPES, type MediaKind, type MediaReply, type MediaSource } from './messages/media.js';
export { DEFAULT_STREAM, type StreamReplyOptions, type StreamReplyResult } from './replies/stream-reply.js';
