// The printable district report (`#report/<district id>`): the district's value of every
// indicator beside the city's and the norm, the edition the figures come from (or "live"),
// the synthetic/2013 caveats and the API's own caveats, and a map image — laid out for print
// (styles.css @media print), so Chromium prints it to PDF.
import * as maplibregl from 'maplibre-gl';
import { t, num, lang, date, unitLabel, scaleOf, LANGS, localName, placeName } from './i18n.js';
import { api } from './api.js';
import { buildStyle, roadLabel, FONT } from './style.js';
import { h, message, errorParts } from './ui.js';
import { editionLine, caveatText } from './provenance.js';
import { polygonsOf, labelPoint } from './geo.js';
import { indicatorTitle, normValue } from './views/equity.js';

/** The district id a `#report/<id>` hash names, or null. */
export function reportDistrict(hash) {
  const m = /^#report\/([^/?#]+)$/.exec(hash || '');
  return m ? decodeURIComponent(m[1]) : null;
}

async function figure(id) {
  try {
    return await api.indicator(id, 'districts', { edition: 'latest' });
  } catch (e) {
    if (e.status !== 404 || !['edition_not_found', 'not_in_edition'].includes(e.code)) throw e;
    return api.indicator(id, 'districts');
  }
}

/**
 * A PNG of the district on the map: drawn off-screen at a fixed size, then kept as an image.
 * Labelled: the district's name (bold) and its neighbours' names in the reader's language, and
 * street names in the reader's language where the data has them.
 */
async function mapImage(feature, zones) {
  const box = h('div', { class: 'report-map-live', style: { width: '900px', height: '560px' } });
  document.body.append(box);
  const coords = polygonsOf(feature.geometry).flat(2);
  const bounds = coords.reduce((b, c) => b.extend(c), new maplibregl.LngLatBounds(coords[0], coords[0]));
  const style = buildStyle(lang());
  style.sources['report-district'] = { type: 'geojson', data: feature };
  style.layers.push({ id: 'report-district', type: 'line', source: 'report-district', paint: { 'line-color': '#b42318', 'line-width': 4 } });
  const labels = zones.features.map((z) => ({ type: 'Feature', properties: { name: localName(z.properties), self: z === feature }, geometry: { type: 'Point', coordinates: labelPoint(z.geometry) } }))
    .filter((f) => f.geometry.coordinates);
  style.sources['report-labels'] = { type: 'geojson', data: { type: 'FeatureCollection', features: labels } };
  style.layers = style.layers.filter((l) => l.id !== 'districts-label');
  // Street names from zoom 12 here (the live map shows them from 14): a district fits about 12-13.
  for (const l of style.layers) if (l.id === 'roads-label') { l.minzoom = 12; l.layout = { ...l.layout, 'text-field': roadLabel(lang()) }; }
  style.layers.push({
    id: 'report-labels', type: 'symbol', source: 'report-labels',
    layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': ['case', ['get', 'self'], 20, 14], 'text-max-width': 10, 'symbol-sort-key': ['case', ['get', 'self'], 0, 1] },
    paint: { 'text-color': ['case', ['get', 'self'], '#7a1a12', '#374151'], 'text-halo-color': '#fff', 'text-halo-width': 2.5 },
  });
  for (const l of style.layers) if (['bike-lanes-existing', 'districts-line', 'green-spaces'].includes(l.id)) l.layout = { ...(l.layout || {}), visibility: 'visible' };
  const map = new maplibregl.Map({ container: box, style, bounds, fitBoundsOptions: { padding: 30 }, attributionControl: false, interactive: false, fadeDuration: 0 });
  try {
    await new Promise((resolve, reject) => { map.once('idle', resolve); map.once('error', (e) => reject(e.error ?? e)); setTimeout(resolve, 20000); });
    const png = await new Promise((resolve) => { map.once('render', () => resolve(map.getCanvas().toDataURL('image/png'))); map.triggerRepaint(); });
    // The labels MapLibre placed, so readers of the image (and tests) know what it names.
    const placed = [...new Set(map.queryRenderedFeatures({ layers: ['report-labels', 'roads-label'] }).map((f) => placeName(f.properties)).filter(Boolean))];
    return { png, placed };
  } finally {
    map.remove();
    box.remove();
  }
}

export async function renderReport(districtId, state) {
  document.documentElement.lang = lang();
  document.title = `${t('report_title')} · qala`;
  const root = h('main', { class: 'report', id: 'report' }, message('info', t('loading')));
  document.body.replaceChildren(root);
  const back = `${location.pathname}?lang=${lang()}&view=equity`;
  const [defs, zones] = await Promise.all([api.indicators(), api.zones('districts')]);
  const feature = zones.features.find((f) => String(f.properties.id ?? f.id) === districtId);
  if (!feature) {
    root.replaceChildren(h('h1', {}, t('report_title')), message('error', t('report_unknown_district')), h('p', {}, h('a', { href: back }, t('report_back'))));
    return;
  }
  const name = feature.properties[`name_${lang()}`] ?? feature.properties.name_en ?? districtId;
  const results = await Promise.all(defs.map((d) => figure(d.id).then((r) => ({ d, r }), (e) => ({ d, e }))));
  const edition = results.find((x) => x.r?.edition)?.r.edition;
  const caveats = new Map();
  for (const { r } of results) for (const c of r?.caveats ?? []) caveats.set(caveatText(c, r.inputs), true);
  let image = null;
  try {
    image = await mapImage(feature, zones);
  } catch {
    image = null; // the figures stand without the picture
  }
  const rows = results.map(({ d, r, e }) => {
    const unit = d.unit ?? r?.indicator?.unit ?? '';
    const sc = scaleOf(unit);
    const z = r?.zones?.find((x) => String(x.zone) === districtId);
    const v = (x) => (Number.isFinite(x) ? num(x * sc, 2) : '—');
    const norm = normValue(r?.indicator?.norm ?? d.norm);
    return h('tr', { 'data-indicator': d.id },
      h('th', { scope: 'row' }, indicatorTitle(d)),
      h('td', { class: 'num', 'data-value': z?.value ?? '' }, e ? t('no_value') : v(z?.value)),
      h('td', { class: 'num' }, e ? '—' : v(r?.city?.value)),
      h('td', { class: 'num' }, Number.isFinite(norm) ? num(norm * sc, 2) : '—'),
      h('td', {}, unitLabel(unit)));
  });
  root.replaceChildren(
    h('div', { class: 'report-actions' },
      h('a', { href: back }, t('report_back')),
      h('button', { type: 'button', id: 'report-print', onclick: () => window.print() }, t('report_print')),
      h('span', { class: 'small' }, ...LANGS.map((l) => h('a', { href: `${location.pathname}?lang=${l}#report/${encodeURIComponent(districtId)}`, lang: l, style: { marginLeft: '0.5em' }, onclick: () => setTimeout(() => location.reload(), 0) }, l.toUpperCase())))),
    h('header', {},
      h('p', { class: 'small' }, `qala · ${t('report_title')}`),
      h('h1', { id: 'report-district', 'data-district': districtId }, name),
      h('p', { class: 'small', id: 'report-edition' }, edition ? editionLine(edition) : t('report_live')),
      h('p', { class: 'small' }, `${t('report_generated')}: ${date(new Date().toISOString().slice(0, 10))}`)),
    image ? h('figure', { class: 'report-map' }, h('img', { src: image.png, alt: `${t('report_map')}: ${name}`, id: 'report-map', 'data-labels': JSON.stringify(image.placed) }), h('figcaption', { class: 'small' }, `${t('report_map')} · © OpenStreetMap contributors · qala`)) : null,
    h('table', { class: 'data report-table', id: 'report-table' },
      h('thead', {}, h('tr', {}, ...['report_indicator', 'report_value', 'report_city', 'report_norm'].map((k) => h('th', { scope: 'col', class: k === 'report_indicator' ? null : 'num' }, t(k))), h('th', { scope: 'col' }, t('unit')))),
      h('tbody', {}, rows)),
    h('section', { class: 'report-caveats', id: 'report-caveats' },
      h('h2', {}, t('report_caveats')),
      h('ul', {}, h('li', {}, t('report_caveat_synthetic')), h('li', {}, t('report_caveat_2013')), ...[...caveats.keys()].map((c) => h('li', {}, c)))),
  );
  state.reportReady = true;
}

