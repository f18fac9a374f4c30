/** Request parsing with zod: a typed value, or a 400 whose body names every bad field and the rule it broke. */
import { z } from 'zod';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import { HttpError, type FieldError } from './http-errors.js';

export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  if (where === 'body' && (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new HttpError(400, 'validation_failed', 'Invalid body: (body) must be a JSON object sent with Content-Type: application/json', [
      { field: '(body)', rule: 'object', message: 'must be a JSON object' },
    ]);
  }
  const result = safeParseReporting(schema, value);
  if (result.success) return result.data;
  const fields = result.error.issues.map(toFieldError);
  const summary = fields.map((f) => `${f.field} ${f.message}`).join('; ');
  throw new HttpError(400, 'validation_failed', `Invalid ${where}: ${summary}`, fields);
}

/**
 * `schema.safeParse(value)`, its issues carrying their input (`input === undefined`: the field is missing)
 * when it fails. The valid value is parsed without parse options: with any (`{ reportInput: true }`), each
 * parse of zod 4.6 left objects that lived through the next minor collections of V8 — some 0.9 MB copied
 * and promoted per scavenge of the case list, every scavenge 4–10× longer (bench:http, the list route). So
 * the input is asked for only once a value has failed, by parsing it again (rare, and the same issues).
 */
export function safeParseReporting<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  const result = schema.safeParse(value);
  return result.success ? result : schema.safeParse(value, { reportInput: true });
}

function toFieldError(issue: z.core.$ZodIssue): FieldError {
  const field = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return { field, rule: 'required', message: 'is required' };
  }
  if (issue.code === 'unrecognized_keys') {
    return { field: issue.keys.map((k) => (field === '(root)' ? k : `${field}.${k}`)).join(', '), rule: 'unknown_field', message: 'is not a known field' };
  }
  if (issue.code === 'custom') {
    return { field, rule: String((issue.params as { rule?: string } | undefined)?.rule ?? 'invalid'), message: issue.message };
  }
  const rule =
    issue.code === 'too_big' ? 'max' : issue.code === 'too_small' ? 'min' : issue.code === 'invalid_format' ? issue.format : issue.code;
  return { field, rule, message: issue.message };
}

// ---- shared field schemas ------------------------------------------------------------------------------

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for an existing calendar date written `YYYY-MM-DD`. */
export function isCalendarDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * A calendar date `YYYY-MM-DD` (no time, no zone) that exists, optionally within bounds. One issue per field
 * at most: the first rule it breaks.
 */
export const isoDate = (bounds: { min?: string; max?: 'today' } = {}) =>
  z.string({ error: 'must be a date string YYYY-MM-DD' }).superRefine((s, ctx) => {
    const fail = (rule: string, message: string) => ctx.addIssue({ code: 'custom', message, params: { rule } });
    if (!ISO_DATE.test(s)) return fail('date', 'must be a date in the form YYYY-MM-DD');
    if (!isCalendarDate(s)) return fail('date', 'is not a real calendar date');
    if (bounds.min && s < bounds.min) return fail('min', `must be on or after ${bounds.min}`);
    if (bounds.max === 'today' && s > vietnamDate(Date.now())) return fail('max', 'must not be in the future');
  }).meta({ format: 'date', examples: ['2024-03-31'] }); // for the OpenAPI document (the check above is code)

/** A UUID as the API hands them out. */
export const uuid = z.uuid({ error: 'must be a UUID such as 3f2c…-…' });

/** Free text of one line: trimmed, no control characters. */
export const line = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
