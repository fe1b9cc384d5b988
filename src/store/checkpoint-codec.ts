import { ErrorCodes, QQBotError } from '../errors.js';
import { isObject } from '../options/checks.js';
import type { SessionCheckpoint } from './session-store.js';

/**
 * Reads a stored checkpoint back. Whatever a store hands us may have been damaged (a truncated disk, a hand
 * edit, another program's key), so every field is checked: a bad one is `QQBOT_STORE_CORRUPT`, never a crash
 * and never a half-valid session that would RESUME from a wrong seq.
 */
export function checkpointFromStored(value: unknown, where: string): SessionCheckpoint {
  const bad = (why: string): QQBotError => corrupt(where, why);
  if (!isObject(value)) throw bad('not an object');
  const { sessionId, seq, gatewayUrl, recentIds, deliveredSeq, handedOver } = value;
  if (typeof sessionId !== 'string' || sessionId === '') throw bad('sessionId is not a non-empty string');
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw bad('seq is not a non-negative integer');
  if (gatewayUrl !== null && typeof gatewayUrl !== 'string') throw bad('gatewayUrl is neither a string nor null');
  if (!Array.isArray(recentIds) || !recentIds.every((id) => typeof id === 'string'))
    throw bad('recentIds is not an array of strings');
  if (
    deliveredSeq !== undefined &&
    (typeof deliveredSeq !== 'number' || !Number.isSafeInteger(deliveredSeq) || deliveredSeq < seq)
  ) {
    throw bad('deliveredSeq is not an integer at least seq');
  }
  if (handedOver !== undefined && typeof handedOver !== 'boolean') throw bad('handedOver is not a boolean');
  return checkpointToStored({ sessionId, seq, gatewayUrl, recentIds: recentIds as string[], deliveredSeq, handedOver });
}

/** The plain record a store writes: exactly the checkpoint's fields, nothing the caller may have added. */
export function checkpointToStored(checkpoint: SessionCheckpoint): SessionCheckpoint {
  const { sessionId, seq, gatewayUrl, deliveredSeq, handedOver } = checkpoint;
  return {
    sessionId,
    seq,
    gatewayUrl,
    recentIds: [...checkpoint.recentIds],
    ...(deliveredSeq === undefined ? {} : { deliveredSeq }),
    ...(handedOver === true ? { handedOver } : {}),
  };
}

/** Parses stored JSON text; text that is not JSON is corrupt like any other bad field. */
export function parseStoredJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not the parser's error as a cause: its message quotes the text, and a store path may be a symlink to anything.
    throw corrupt(where, 'not JSON');
  }
}

export function corrupt(where: string, why: string, cause?: unknown): QQBotError {
  return new QQBotError(
    ErrorCodes.STORE_CORRUPT,
    `the stored session in ${where} is unreadable (${why}); the shard starts a new session`,
    {
      retryable: false,
      cause,
      details: { where, why },
    },
  );
}
