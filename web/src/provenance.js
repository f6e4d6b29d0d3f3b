// Where a figure comes from, as the API says: the edition it was published in, its caveats and
// its input layers (`edition`, `caveats`, `inputs` of /indicators/{id}). Nothing here is written
// per view or per indicator: a caveat appears because the catalogue says an input is synthetic.
import { t, tf, lang, date, layerName, num, unitLabel, scaleOf } from './i18n.js';
import { h } from './ui.js';

/** A localised layer title of an input: its catalogue title, else the app's name for the slug. */
export function inputTitle(input) {
  const tt = input?.title;
  if (tt && typeof tt === 'object') return tt[lang()] ?? tt.en ?? input.slug;
  return tt || layerName(input?.slug ?? '');
}

/** "Edition N «title», published DATE, figures as of DATE" and a link to the edition's record. */
export function editionLine(edition, { id } = {}) {
  return h('p', { class: 'edition-line', id, 'data-edition': edition.edition_id },
    tf('edition_line', { n: edition.edition_id, title: edition.title, published: date(edition.published_at), as_of: date(edition.as_of) }),
    ' · ',
    h('a', { href: edition.url ?? `/editions/${edition.edition_id}`, class: 'edition-link' }, t('edition_link')));
}

/** The sentence of one caveat, with the layers it names in the current language. */
export function caveatText(caveat, inputs) {
  const bySlug = new Map((inputs ?? []).map((i) => [i.slug, i]));
  const layers = (caveat.layers ?? []).map((slug) => inputTitle(bySlug.get(slug) ?? { slug }));
  const key = `caveat_${caveat.code}`;
  return t(key) === key ? tf('caveat_other', { code: caveat.code }) + (layers.length ? `: ${layers.join(', ')}` : '')
    : tf(key, { layers: layers.join(', ') });
}

/** Caveats (always shown) and a compact, expandable list of the inputs of one result. */
export function provenance(res, { id } = {}) {
  const caveats = res?.caveats ?? [];
  const inputs = res?.inputs ?? [];
  if (!caveats.length && !inputs.length) return null;
  return h('section', { class: 'provenance', id },
    caveats.length
      ? h('ul', { class: 'caveats', 'aria-label': t('caveats') },
        caveats.map((c) => h('li', { class: 'synth-note small', 'data-code': c.code, 'data-layers': (c.layers ?? []).join(' ') }, caveatText(c, inputs))))
      : null,
    inputs.length
      ? h('details', { class: 'inputs' },
        h('summary', { class: 'small' }, `${t('inputs')} (${inputs.length})`),
        h('ul', { class: 'inputs-list small' }, inputs.map((i) => h('li', { 'data-slug': i.slug, 'data-synthetic': String(Boolean(i.synthetic)) },
          h('strong', {}, inputTitle(i)), ' ',
          i.synthetic ? h('span', { class: 'badge-synth' }, t('synthetic')) : h('span', { class: 'badge-real' }, t('input_real')),
          h('br'),
          [Number.isFinite(i.version) ? tf('version_n', { n: i.version }) : null,
            i.loaded_at ? `${t('loaded_at')} ${date(i.loaded_at)}` : null,
            i.licence ? `${t('licence')}: ${i.licence}` : null,
            i.attribution || null].filter(Boolean).join(' · ')))))
      : null);
}

/**
 * A definition's words in the current language: `field` is `description`, `reference` (or a norm
 * variant's `source`), read from `descriptions`/`references`/`sources` ({kk, ru, en}). Definitions
 * stored before they were translated have only the English field: they take the translation of
 * `alt` (the definition in force) when it says the same in English, else show the English.
 */
export function indicatorText(def, field, alt) {
  const en = def?.[field] ?? def?.[`${field}s`]?.en ?? '';
  const own = def?.[`${field}s`]?.[lang()];
  if (own) return own;
  const other = alt?.[`${field}s`];
  if (other?.[lang()] && (alt[field] ?? other.en) === en) return other[lang()];
  return en;
}

/**
 * A norm (`{"at_least": 10}`, `{"at_most": 375}`) in the unit it is judged in, in the current
 * language: "≥ 10 m²/resident", "≤ 375 m"; shares as percentages, "≥ 100 % (share of residents)".
 * `null` when there is no norm.
 */
export function normText(norm, unit) {
  if (!norm || typeof norm !== 'object') return null;
  const atMost = Number.isFinite(norm.at_most);
  const v = atMost ? norm.at_most : norm.at_least;
  if (!Number.isFinite(v)) return null;
  const sc = scaleOf(unit);
  const label = unitLabel(unit).replace(/,\s*%$/, '');
  const shown = sc === 100 ? `${num(v * sc, 2)} %${label ? ` (${label})` : ''}`
    : `${num(v, 2)}${unit && unit !== 'ratio' ? ` ${label}` : ''}`;
  return `${atMost ? '≤' : '≥'} ${shown}`;
}

/** A name object ({kk, ru, en}) in the current language. */
function named(n) {
  return n && typeof n === 'object' ? n[lang()] ?? n.en : n;
}

/**
 * What an indicator counts, the norm in force (and which variant it is) and where it comes from,
 * in the current language. `def`: the definition the figures were computed with (a result's
 * `indicator`); `alt`: the definition in force, whose translations an older stored one may borrow.
 */
export function aboutIndicator(def, { id, alt } = {}) {
  if (!def) return null;
  const text = indicatorText(def, 'description', alt);
  const ref = indicatorText(def, 'reference', alt);
  const norm = normText(def.norm, def.unit);
  const variant = (def.norm_variants ?? []).find((v) => v.id === def.norm_variant);
  return h('div', { class: 'indicator-about', id, 'data-indicator': def.id, 'data-version': def.version ?? '' },
    text ? h('p', { class: 'about-text' }, h('strong', {}, `${t('indicator_about')}: `), text) : null,
    h('p', { class: 'small about-norm' }, norm ? `${t('norm_in_force')}: ${norm}${variant ? ` — ${named(variant.names)}` : ''}` : t('norm_none')),
    ref ? h('p', { class: 'small about-source' }, `${t('norm_source')}: ${ref}`) : null);
}

/** A user-facing message for a failed indicator request (403: the figure reads a hidden layer). */
export function indicatorError(e) {
  if (e?.status === 403) return t('indicator_forbidden');
  return `${t('error_loading')}: ${e?.message ?? e}`;
}
