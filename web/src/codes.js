// Code values turned into words: no snake_case token from the data or the API reaches the page.
// Each kind of code has a key prefix in i18n-codes.js; an unknown value gets the kind's
// `_other` word (or, failing that, the value with spaces), never the raw token.
import { t, lang, DICT } from './i18n.js';

const has = (key) => DICT.en[key] !== undefined;

/** The word for `value` of a kind of code: `code('category', 'bus_stop')` → "Автобус аялдамасы". */
export function code(prefix, value) {
  if (value === null || value === undefined || value === '') return '';
  const key = `${prefix}_${value}`;
  if (has(key)) return t(key);
  if (prefix === 'highway' && /_link$/.test(value)) return t('highway_link');
  if (has(`${prefix}_other`)) return t(`${prefix}_other`);
  return String(value).replaceAll('_', ' ');
}

/** A list of codes (e.g. a sign's languages `["kk","ru"]` or "kk,ru"). */
export function codes(prefix, list) {
  const items = Array.isArray(list) ? list : String(list ?? '').replace(/[[\]"{}]/g, '').split(/[,;\s]+/).filter(Boolean);
  return items.map((v) => code(prefix, v)).join(', ');
}

/**
 * The user's words for an API error: the catalogue's message in kk/ru (the server writes
 * English), the server's own (more specific) message in English.
 */
export function errorText(err) {
  const c = err?.code;
  const key = `error_${c}`;
  if (lang() === 'en' && err?.message) return err.message;
  if (c && has(key)) return t(key);
  return t('error_http_error');
}

// Reports without codes (written before problems carried one): the English reasons by pattern.
const PROBLEMS = [
  [/^required value is missing/, 'problem_missing'],
  [/^not a whole number/, 'problem_not_int'],
  [/^not a finite number|^not a number/, 'problem_not_number'],
  [/^not a yes\/no/, 'problem_not_bool'],
  [/^not a date/, 'problem_not_date'],
  [/^unknown code|^unknown [a-z ]+$/, 'problem_unknown_value'],
  [/^empty list/, 'problem_empty_list'],
  [/in the future/, 'problem_future_date'],
  [/out of range for lon\/lat/, 'problem_coordinates_range'],
  [/out of range|must be (at least|at most|between)|outside the range/, 'problem_out_of_range'],
  [/has no geometry/, 'problem_no_geometry'],
  [/^empty geometry/, 'problem_empty_geometry'],
  [/^unsupported geometry/, 'problem_unsupported_geometry'],
  [/^invalid polygon/, 'problem_invalid_polygon'],
  [/far (from|outside)|outside Almaty/i, 'problem_far_away'],
  [/WKT/, 'problem_wkt'],
  [/^no coordinates/, 'problem_no_coordinates'],
  [/^unknown permit/, 'problem_unknown_permit'],
  [/\+ (parts|vertices)/, 'problem_too_complex'],
];

/**
 * A validation problem in the current language: by its code (the server's `code`, one of
 * qala_core::ProblemCode) where it has one; the English reason, which keeps the details
 * (allowed values, limits), in English and in the cell's title.
 */
export function problemText(problem) {
  const p = typeof problem === 'string' ? { reason: problem } : (problem ?? {});
  const r = String(p.reason ?? '');
  if (lang() === 'en' && r) return r;
  if (p.code && has(`problem_${p.code}`)) return t(`problem_${p.code}`);
  if (!r) return '';
  // Reports stored before problems carried codes: by the English text.
  const hit = PROBLEMS.find(([re]) => re.test(r));
  return t(hit ? hit[1] : 'problem_other');
}
