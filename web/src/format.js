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

// Browsers may claim kk-KZ yet lack its data (Chromium formats 305,974.21 and "2026 M11 30"):
// trust a locale only if it writes a decimal comma and month names, as CLDR's Kazakh does.
const KK_NUMBERS = has('kk-KZ', Intl.NumberFormat) && new Intl.NumberFormat('kk-KZ').format(1.5).includes(',');
const KK_DATES = has('kk-KZ', Intl.DateTimeFormat) && /қараша/.test(new Intl.DateTimeFormat('kk-KZ', { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2026, 10, 30))));
const KK_MONTHS = ['қаңтар', 'ақпан', 'наурыз', 'сәуір', 'мамыр', 'маусым', 'шілде', 'тамыз', 'қыркүйек', 'қазан', 'қараша', 'желтоқсан'];

/** The Intl locale for numbers in the current language (or `l`): Kazakh writes numbers as Russian does. */
export function locale(l = lang()) {
  const want = LOCALE[l] ?? 'en-GB';
  if (l === 'kk' && !KK_NUMBERS) return 'ru-RU';
  return want;
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
  const timeZone = plain ? 'UTC' : 'Asia/Almaty';
  if (lang() === 'kk' && !KK_DATES) {
    // CLDR's Kazakh long date, "2026 ж. 30 қараша", written here from the numeric parts.
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'numeric', year: 'numeric', timeZone })
      .formatToParts(d).map((p) => [p.type, p.value]));
    return `${parts.year} ж. ${Number(parts.day)} ${KK_MONTHS[Number(parts.month) - 1]}`;
  }
  return new Intl.DateTimeFormat(LOCALE[lang()], { day: 'numeric', month: 'long', year: 'numeric', timeZone }).format(d);
}

/** A timestamp with date and time in Almaty (version tables). */
export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const l = lang() === 'kk' && !KK_DATES ? 'ru-RU' : LOCALE[lang()];
  return new Intl.DateTimeFormat(l, { dateStyle: 'short', timeStyle: 'short', timeZone: 'Asia/Almaty' }).format(d);
}

/** A year (no thousands separator: 2027, never 2 027). */
export function year(y) {
  return Number.isFinite(Number(y)) ? String(Math.trunc(Number(y))) : '—';
}
