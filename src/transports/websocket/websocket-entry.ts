import { builtFile } from '../../util/built-file.js';
import { registerAttempt } from '../attempts.js';
import { ConnectionAttempt } from './connection-attempt.js';
import type { WebSocketAttemptSpec } from './websocket-spec.js';

/**
 * The gateway's attempt module: loading it registers the connection attempt, in a worker thread (which imports
 * {@link WEBSOCKET_ENTRY}) or on the host (the transport imports it, for the in-process runner).
 */
export const WEBSOCKET = 'websocket';

/** This module, as a worker thread loads it. */
export const WEBSOCKET_ENTRY = builtFile('./websocket-entry.js', import.meta.url).href;

registerAttempt(WEBSOCKET, (spec, io) => new ConnectionAttempt(spec as WebSocketAttemptSpec, io));
