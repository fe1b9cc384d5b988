/**
 * `qqbot-connector/testing`: a fake of the QQ platform for tests. See `docs/testing.md`.
 * @module
 */
export { FakeQQServer, type SendCallbackOptions } from './fake-qq-server.js';
export type {
  FakeDispatchOptions,
  FakeEmitEventsOptions,
  FakeIdentifyRecord,
  FakeQQServerEventMap,
  FakeQQServerOptions,
  FakeQQServerStats,
  FakeResumeRecord,
  FakeSessionInfo,
} from './fake-types.js';
export { FakeRestApi, FakeRestCodes, STREAM_WINDOW_MS } from './fake-rest.js';
export type {
  FakeCallbackEvent,
  FakeCallbackOptions,
  FakeCallbackRejection,
  FakeCallbackStats,
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
} from './fake-rest.js';
export type { FakeChunkedFile, FakeChunkedUploadConfig, FakeChunkedUploads } from './fake-chunked-upload.js';
export type { FakeCodeOptions, FakeRateLimitOptions } from './fake-send-limits.js';
