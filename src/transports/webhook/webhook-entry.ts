import { builtFile } from '../../util/built-file.js';
import { registerAttempt } from '../attempts.js';
import { WebhookAttempt } from './webhook-attempt.js';
import type { WebhookAttemptSpec } from './webhook-spec.js';

/**
 * The listener's attempt module: loading it registers the webhook attempt, in a worker thread (which imports
 * {@link WEBHOOK_ENTRY}) or on the host (the transport imports it, for the in-process runner).
 */
export const WEBHOOK = 'webhook';

/** This module, as a worker thread loads it. */
export const WEBHOOK_ENTRY = builtFile('./webhook-entry.js', import.meta.url).href;

registerAttempt(WEBHOOK, (spec, io) => new WebhookAttempt(spec as WebhookAttemptSpec, io));
