/**
 * `qqbot-connector/testing`: a fake of the QQ platform for tests. See `docs/testing.md`.
 * @module
 */
export { FakeQQServer } from './fake-qq-server.js';
export type {
  FakeDispatchOptions,
  FakeEmitEventsOptions,
  FakeIdentifyRecord,
  FakeQQServerEventMap,
  FakeQQServerStats,
  FakeResumeRecord,
  FakeSessionInfo,
} from './fake-types.js';
export type { FakeQQServerOptions } from './fake-options.js';
export { FakeRestApi } from './fake-rest.js';
export { FakeRestCodes } from './fake-rest-types.js';
export { STREAM_WINDOW_MS } from './fake-rest-streams.js';
export type {
  FakeCallbackEvent,
  FakeCallbackOptions,
  FakeCallbackRejection,
  FakeCallbackStats,
  SendCallbackOptions,
} from './fake-callback.js';
export type { CallbackAnswer } from './callback-post.js';
export { selfSignedCert, type SelfSignedCert, type SelfSignedCertOptions } from './self-signed.js';
export type {
  FakeRestContext,
  FakeRestEventMap,
  RecordedRequest,
  FakeSentMessage,
  FakeSentBody,
  RegisteredMessage,
  FakeMessageKind,
  FakeUpload,
  FakeStream,
  FakeStreamFrame,
  FakeInteractionAck,
} from './fake-rest-types.js';
export type { FakeChunkedFile, FakeChunkedUploadConfig, FakeChunkedUploads } from './fake-chunked-upload.js';
export type { FakeCodeOptions, FakeRateLimitOptions } from './fake-send-limits.js';
