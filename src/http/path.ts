import { invalidOption } from '../errors.js';

/**
 * An id as one segment of a REST path. `encodeURIComponent` leaves `.` and `..` as they are, and a server
 * resolves those: an id of `..` would send the call (and the token) to another route. Such ids, empty ones and
 * ones with a slash, backslash or control character are refused with `QQBOT_INVALID_OPTION` before anything is
 * sent; the value itself is not quoted.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNSAFE = /[/\\\u0000-\u001f\u007f]/;

export function pathSegment(id: string): string {
  if (typeof id !== 'string' || id === '' || id === '.' || id === '..' || UNSAFE.test(id)) {
    throw invalidOption(
      "Expected an id to be a non-empty string, not '.' or '..', without '/', '\\' or control characters",
    );
  }
  return encodeURIComponent(id);
}
