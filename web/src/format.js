// The one place numbers, dates, units and plurals are formatted: Intl per locale (kk-KZ, ru-RU,
// en-GB), so Kazakh writes 305 974,2 as Russian does and English 305,974.2. No view formats a
// number by hand (String(n), toFixed): they call these.
import { lang, t, DICT } from './i18n.js';

/** The Intl locale of each app language. Kazakh falls back to Russian conventions (the same separators) where a browser lacks kk data. */
const LOCALE = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' };
const cache = new Map();

function has(locale, ctor) {
  return ctor.supportedLocalesOf([locale]).length > 0;
}

/** The Intl locale for the current language (or `l`). */
export function locale(l = lang()) {
  const want = LOCALE[l] ?? 'en-GB';
  return has(want, Intl.NumberFormat) ? want : l === 'kk' ? 'ru-RU' : want;
}

function numberFormat(digits, minDigits) {
  const key = `${lang()}|${digits}|${minDigits}`;
  if (!cache.has(key)) cache.set(key, new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: minDigits }));
  return cache.get(key);
}

/** A number in the current language's convention; `—` for a missing value. */
export function num(x, digits = 0, { fixed = false } = {}) {
  if (x === null || x === undefined || x === '' || Number.isNaN(Number(x))) return '—';
  return numberFormat(digits, fixed ? digits : 0).format(Number(x));
}

/** A percentage from a share (0.371 → "37,1 %" in kk/ru, "37.1%" in en). */
export function pct(share, digits = 1) {
  if (!Number.isFinite(share)) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(share);
}

/** A length in metres as m or km in the current language. */
export function length(m) {
  if (!Number.isFinite(m)) return '—';
  return m >= 1000 ? `${num(m / 1000, 1)} ${t('km')}` : `${num(m, 0)} ${t('unit_m')}`;
}

/**
 * A count with its noun in the right plural form: `plural('trees', 21)` reads the keys
 * `trees_one`, `trees_few`, `trees_many`, `trees_other` (those a language has; Intl.PluralRules
 * picks the category), each with `{n}` for the formatted number.
 */
export function plural(base, n) {
  const cat = new Intl.PluralRules(locale()).select(Number(n));
  const d = DICT[lang()] ?? {};
  const key = d[`${base}_${cat}`] !== undefined ? `${base}_${cat}` : `${base}_other`;
  return t(key).replace('{n}', num(n));
}

/**
 * A date in the current language: `2026-11-30` (a calendar date, shown as is) or a timestamp
 * (shown as the date in Almaty). Numeric when the browser has no data for the language.
 */
export function date(iso) {
  if (!iso) return '—';
  const plain = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const d = new Date(plain ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const want = LOCALE[lang()];
  const long = has(want, Intl.DateTimeFormat);
  return new Intl.DateTimeFormat(long ? want : 'ru-RU', {
    day: 'numeric', month: long ? 'long' : '2-digit', year: 'numeric', timeZone: plain ? 'UTC' : 'Asia/Almaty',
  }).format(d);
}

/** A timestamp with date and time in Almaty (version tables). */
export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'short', timeZone: 'Asia/Almaty' }).format(d);
}

/** A year (no thousands separator: 2027, never 2 027). */
export function year(y) {
  return Number.isFinite(Number(y)) ? String(Math.trunc(Number(y))) : '—';
}
