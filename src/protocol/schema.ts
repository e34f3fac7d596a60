/**
 * The building blocks of the protocol's schemas (valibot), each with a message
 * a person can act on, and the one place a failed check becomes a ProtocolError.
 *
 * Why valibot: its schemas are plain functions, so a bundle keeps only the ones
 * used (the whole protocol grew the remote engine's lazy chunk by 3 KB gzipped;
 * docs/server.md compares it with zod);
 * it infers TypeScript types from a schema (`v.InferOutput`), so a message's
 * type and its check are one definition; and its schemas implement Standard
 * Schema, which tools that accept any schema library (tRPC, fastify's type
 * providers, Hono) take as they are.
 */
import * as v from 'valibot';
import { ProtocolError } from '../engine/errors.js';

/** Longest string a message may hold where no tighter bound applies (1 Mi characters). */
export const MAX_STRING = 1 << 20;
/** Longest list a message may hold. */
export const MAX_LIST = 100_000;
/** Longest path. */
export const MAX_PATH = 4096;

/** An integer from `min` to `max`. */
export function int(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}

/** A non-negative integer that JSON carries exactly (ids, pids, sequence numbers). */
export const count = int(0, Number.MAX_SAFE_INTEGER);

/** A string of at most `max` characters. */
export function text(max: number = MAX_STRING) {
  return v.pipe(v.string('must be a string'), v.maxLength(max, `is longer than ${max} characters`));
}

/** One of a few strings or numbers. */
export function oneOf<const T extends readonly (string | number)[]>(options: T) {
  return v.picklist(options, `must be one of ${options.join(', ')}`);
}

/** A list of at most `max` items. */
export function list<T extends v.GenericSchema>(item: T, max: number = MAX_LIST) {
  return v.pipe(v.array(item, 'must be a list'), v.maxLength(max, `must have at most ${max} items`));
}

/** An object with string keys, of at most `max` entries. */
export function map<T extends v.GenericSchema>(value: T, max = 1000) {
  return v.pipe(v.record(v.string(), value, 'must be an object'), v.maxEntries(max, `must have at most ${max} entries`));
}

/**
 * An object of the given fields; fields it does not know are dropped (a newer
 * peer may send more). A missing field's issue carries its path, a wrong type's not yet.
 */
export function fields<T extends v.ObjectEntries>(entries: T) {
  return v.object(entries, (issue) => (issue.path ? 'is missing' : 'must be an object'));
}

/**
 * The message of a variant (an object told apart by one field, such as `t`):
 * the values that field may have, or, when the value is no object at all, that.
 * Only a discriminator's issue carries a path when it is made.
 */
export function variantMessage(issue: v.BaseIssue<unknown>): string {
  if (!issue.path) return 'must be an object';
  return `must be one of ${(issue.expected ?? '').replace(/[()"]/g, '').split(' | ').join(', ')}`;
}

/** Where a failed check was, in the notation of the code that reads it: `entries[2].path`. */
function fieldPath(issue: v.BaseIssue<unknown>): string {
  let path = '';
  for (const item of issue.path ?? []) {
    const key = item.key as string | number;
    path += typeof key === 'number' ? `[${key}]` : path ? `.${key}` : key;
  }
  return path;
}

/**
 * Checks `value` against `schema` and returns what it holds (unknown fields
 * dropped). Throws a ProtocolError that says what was checked (`what`, such as
 * `the "exec" request`) and which field is wrong, and how.
 */
export function check<T extends v.GenericSchema>(schema: T, value: unknown, what: string): v.InferOutput<T> {
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = fieldPath(issue);
  throw new ProtocolError(`Malformed ${what}: ${field ? `${field} ` : 'it '}${issue.message}.`);
}
