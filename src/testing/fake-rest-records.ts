import type { EventEmitter } from 'node:events';
import type { FakeChunkedUploads } from './fake-chunked-upload.js';
import type { RestFaults } from './fake-rest-faults.js';
import { ReplyRules } from './fake-rest-replies.js';
import type {
  FakeInteractionAck,
  FakeRestContext,
  FakeRestEventMap,
  FakeSentMessage,
  FakeStream,
  FakeUpload,
} from './fake-rest-types.js';

/**
 * What the REST fake's routes share: the records they append to (and announce), the reply rules, the ids they
 * give out, the faults that reach into a route (an audit hold) and the chunked uploads. Internal to the testing kit.
 * @internal
 * @module
 */
export class RestRecords {
  readonly messages: FakeSentMessage[] = [];
  readonly uploads: FakeUpload[] = [];
  readonly streams: FakeStream[] = [];
  readonly interactions: FakeInteractionAck[] = [];
  /** The `file_info` of every upload: a `msg_type` 7 send must carry one of them. */
  readonly fileInfos = new Set<string>();
  readonly replies: ReplyRules;
  /** One counter for every id the fake gives out (trace, message, audit, upload, stream), never reset. */
  #seq = 0;

  constructor(
    readonly context: FakeRestContext,
    readonly events: EventEmitter<FakeRestEventMap>,
    readonly faults: RestFaults,
    readonly chunked: FakeChunkedUploads,
    /** `FakeRestApi.rejectProactive`, read at each send. */
    readonly rejectProactive: () => boolean,
  ) {
    this.replies = new ReplyRules(() => context.now());
  }

  /** The next number of the shared id counter. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** The fake's clock as the ISO `timestamp` a send is answered with. */
  timestamp(): string {
    return new Date(this.context.now()).toISOString();
  }

  /** Records and announces an accepted message. */
  addMessage(message: FakeSentMessage): void {
    this.messages.push(message);
    this.events.emit('message', message);
  }

  /** Records and announces an accepted upload; its `file_info` may then be sent. */
  addUpload(upload: FakeUpload): void {
    this.fileInfos.add(upload.fileInfo);
    this.uploads.push(upload);
    this.events.emit('upload', upload);
  }

  /** Forgets every record and the reply state; the id counter goes on. */
  reset(): void {
    this.messages.length = 0;
    this.uploads.length = 0;
    this.streams.length = 0;
    this.interactions.length = 0;
    this.fileInfos.clear();
    this.replies.reset();
  }
}
