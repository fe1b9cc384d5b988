/**
 * The argument checks of {@link FakeQQServer}'s methods and options: each throws a `RangeError` naming what is out
 * of range (a test's mistake, not a platform answer). Internal to the testing kit.
 * @internal
 * @module
 */

/** Throws a `RangeError` naming `name` unless `value` is an integer ≥ `min`. */
export function intAtLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`Expected \`${name}\` to be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** Throws a `RangeError` naming `name` unless `value` is a finite number > 0. */
export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`Expected \`${name}\` to be a finite number > 0, got ${value}`);
  return value;
}

/** Throws a `RangeError` unless `value` is an HTTP status the fake may answer (200–599). */
export function httpStatus(value: number): number {
  if (!Number.isInteger(value) || value < 200 || value > 599)
    throw new RangeError(`Expected an HTTP status of 200–599, got ${value}`);
  return value;
}

/** Throws a `RangeError` unless `value` can travel in a close frame we send (1000 or 3000–4999). */
export function closeCode(value: number): number {
  if (!Number.isInteger(value) || !(value === 1000 || (value >= 3000 && value <= 4999))) {
    throw new RangeError(`Expected a close code of 1000 or 3000–4999, got ${value} (use dropConnections() for a 1006)`);
  }
  return value;
}
