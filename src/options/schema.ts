import { invalidOption } from '../errors.js';
import { httpUrl, integerOption, nonEmptyString, section as plainSection } from './checks.js';

/**
 * Options declared once. An options object is a *shape*: one field per key, each with its check and default, each
 * with its TSDoc on the key. From the shape come the type a user writes ({@link OptionsOf}: every key optional, the
 * TSDoc kept, since the mapped type is homomorphic), the type the code reads ({@link ResolvedOf}: every default
 * filled in), the unknown-key check with its "did you mean", and the defaults. Internal constructors take resolved
 * values and never check again.
 *
 * @example
 * const shape = {
 *   /** Each HTTP call, whole answer. @defaultValue 10000 *\/
 *   httpMs: integer({ default: 10_000, min: 1 }),
 * };
 * type Timeouts = OptionsOf<typeof shape>;         // { httpMs?: number }
 * const timeouts = resolve(shape, input, 'timeouts'); // { httpMs: number }, or QQBOT_INVALID_OPTION naming the key
 * @module
 */

/** One option: how a given value (`undefined` when absent) becomes the resolved one, or a `QQBOT_INVALID_OPTION`. */
export interface Field<In, Out> {
  /** `path` is the option's full name (`restart.maxDelayMs`), for the error. */
  resolve(value: unknown, path: string): Out;
  /** Phantom: what a user may write. Never set. */
  readonly input?: In;
  /** A key the user must write (`appId`); absent, the key is optional in {@link OptionsOf}. */
  readonly required?: true;
}

// `any` is the only way to take fields of every type here: In and Out are read back through the conditional types below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Shape = { readonly [key: string]: Field<any, any> };

/** What a user writes for a field. */
export type InputOf<F> = F extends Field<infer In, unknown> ? In : never;
/** What the code reads for a field. */
export type OutputOf<F> = F extends Field<unknown, infer Out> ? Out : never;

/** The keys of a shape a user must write. */
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly required: true } ? K : never }[keyof S];

/** One flat object type from an intersection; keeps each key's TSDoc (homomorphic over the intersection). */
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * The options a user writes: every key optional but the required ones, each with the TSDoc written on the shape's
 * key (`Pick` and `Partial` are homomorphic: they keep it).
 */
export type OptionsOf<S extends Shape> = Flat<
  Partial<Pick<{ [K in keyof S]: InputOf<S[K]> }, Exclude<keyof S, RequiredKeys<S>>>> &
    Pick<{ [K in keyof S]: InputOf<S[K]> }, RequiredKeys<S>>
>;
/** The options the code reads: every default filled in. */
export type ResolvedOf<S extends Shape> = { [K in keyof S]: OutputOf<S[K]> };

/** Joins a parent path and a key (`restart` + `maxDelayMs`). */
export function pathOf(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Resolves an options object against its shape: unknown keys refused (with the nearest known one), every field
 * resolved in the shape's order. `value` may be absent: every default then.
 */
export function resolve<S extends Shape>(shape: S, value: unknown, path: string): ResolvedOf<S> {
  const given = plainSection(path === '' ? 'options' : path, value, Object.keys(shape), path);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) out[key] = field.resolve(given[key], pathOf(path, key));
  return out as ResolvedOf<S>;
}

/**
 * Options an options object resolved already, handed to a part that a user may also build with options of their
 * own (`new ReplyTracker(new Resolved(resolved.replies))`): taken as they are, never checked again.
 */
export class Resolved<T> {
  constructor(readonly value: T) {}
}

/** The resolved options when nothing is given: the defaults, from the same declaration. */
export function defaultsOf<S extends Shape>(shape: S): ResolvedOf<S> {
  return resolve(shape, undefined, '');
}

/** A nested options object (`timeouts: { … }`); `check` sees the resolved section for rules across its keys. */
export function section<S extends Shape>(
  shape: S,
  check?: (resolved: ResolvedOf<S>, path: string) => void,
): Field<OptionsOf<S>, ResolvedOf<S>> {
  return {
    resolve(value, path) {
      const resolved = resolve(shape, value, path);
      check?.(resolved, path);
      return resolved;
    },
  };
}

interface IntegerSpec<D extends number | undefined> {
  default: D;
  min: number;
  max?: number;
  /** `Infinity` is also taken (a limit that is off). */
  infinity?: boolean;
}

/** An integer within [min, max]; absent → `default` (`undefined` keeps it optional). */
export function integer<D extends number | undefined>(spec: IntegerSpec<D>): Field<number, D | number> {
  return {
    resolve(value, path) {
      if (spec.infinity === true && value === Number.POSITIVE_INFINITY) return value;
      if (value === undefined) return spec.default;
      return integerOption(
        path,
        value,
        0,
        spec.min,
        spec.max,
        spec.infinity === true ? 'an integer or Infinity' : 'an integer',
      );
    },
  };
}

/** `true` or `false`; absent → `default`. */
export function boolean(spec: { default: boolean }): Field<boolean, boolean> {
  return {
    resolve(value, path) {
      if (value === undefined) return spec.default;
      if (typeof value !== 'boolean') throw invalidOption(`Expected \`${path}\` to be true or false`);
      return value;
    },
  };
}

/** One of a few strings; absent → `default`. */
export function oneOf<const T extends string>(values: readonly T[], spec: { default: T }): Field<T, T> {
  return {
    resolve(value, path) {
      if (value === undefined) return spec.default;
      if (!values.includes(value as T))
        throw invalidOption(`Expected \`${path}\` to be ${values.map((v) => `'${v}'`).join(', ')}`);
      return value as T;
    },
  };
}

/** A non-empty string; absent → `default`, or refused when there is none (a required option). */
export function text(): Field<string, string> & { readonly required: true };
export function text(spec: { default: string }): Field<string, string>;
export function text(spec: { default?: string } = {}): Field<string, string> {
  const field: Field<string, string> = {
    resolve(value, path) {
      if (value === undefined && spec.default !== undefined) return spec.default;
      return nonEmptyString(path, value);
    },
  };
  return spec.default === undefined ? { ...field, required: true } : field;
}

/** A tag that must be written as this very value (`kind: 'webhook'`): a required key. */
export function literal<const T extends string>(tag: T): Field<T, T> & { readonly required: true } {
  return {
    required: true,
    resolve(value, path) {
      if (value !== tag) throw invalidOption(`Expected \`${path}\` to be '${tag}'`);
      return tag;
    },
  };
}

/** An absolute http(s) URL, kept without trailing slashes; absent → `default`. */
export function url(spec: { default: string }): Field<string, string> {
  return {
    resolve(value, path) {
      return value === undefined ? spec.default : httpUrl(path, value);
    },
  };
}

/**
 * Anything a small predicate can check (a logger, a store, a function): `check` returns the resolved value or
 * throws; absent → `default`.
 */
export function custom<In, Out = In>(
  check: (value: unknown, path: string) => Out,
  spec: { default: Out },
): Field<In, Out> {
  return {
    resolve(value, path) {
      return value === undefined ? spec.default : check(value, path);
    },
  };
}

/** An object with the named methods (a logger, a store, a runner): the check duck-types, never calls. */
export function hasMethods<T>(methods: readonly string[], what: string): (value: unknown, path: string) => T {
  return (value, path) => {
    if (
      typeof value !== 'object' ||
      value === null ||
      !methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
    ) {
      throw invalidOption(`Expected \`${path}\` to be ${what} (${methods.join(', ')})`);
    }
    return value as T;
  };
}
