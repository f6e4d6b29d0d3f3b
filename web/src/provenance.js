// Where a figure comes from, as the API says: the edition it was published in, its caveats and
// its input layers (`edition`, `caveats`, `inputs` of /indicators/{id}). Nothing here is written
// per view or per indicator: a caveat appears because the catalogue says an input is synthetic.
import { t, tf, lang, date, layerName } from './i18n.js';
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

/** A user-facing message for a failed indicator request (403: the figure reads a hidden layer). */
export function indicatorError(e) {
  if (e?.status === 403) return t('indicator_forbidden');
  return `${t('error_loading')}: ${e?.message ?? e}`;
}
