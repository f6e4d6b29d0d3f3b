// The bike view's "cycling stress" mode (docs/lts.md): every street coloured and widthed by its
// level of traffic stress in the chosen scenario (GET /networks/lts), a legend with the streets
// and km per level, popups with the rule and the inputs (assumed ones said so), the low-stress
// islands (GET /networks/lts/islands), who reaches schools, clinics, parks and metro on calm
// streets (the low_stress_access indicators) and the top planned segments
// (GET /networks/lts/priorities) with "Show" on the map and a CSV download. Figures are the
// API's; this module only draws them.
import { api } from '../api.js';
import { t, tf, num, plural, pct, length, placeName } from '../i18n.js';
import { code } from '../codes.js';
import { h, message, errorParts } from '../ui.js';
import { SCENARIOS, LEVELS, ltsColor, LTS_WIDTHS, legendCounts, islandSummary, topPriorities, segmentInputs, boundsOf } from '../lts.js';

const LAYERS = ['lts-segments', 'lts-highlight'];
const EMPTY = { type: 'FeatureCollection', features: [] };
/** The low_stress_access indicators (sql/indicators/definitions.json): `lts2_<dest>_<radius>_<scenario>`. */
const DESTINATIONS = [['school', '2km'], ['clinic', '3km'], ['park', '2km'], ['metro', '2km']];

// Segments per scenario (the whole city, all pages), kept while the page lives; dropped by invalidate().
const cache = new Map();

export function invalidate() {
  cache.clear();
}

function segments(scenario) {
  if (!cache.has(scenario)) {
    const p = api.ltsSegments(scenario);
    p.catch(() => cache.delete(scenario));
    cache.set(scenario, p);
  }
  return cache.get(scenario);
}

function swatch(lts) {
  const w = LTS_WIDTHS[lts]?.[1] ?? 4;
  return { background: ltsColor(lts), height: `${Math.max(3, Math.round(w * 0.9))}px`, width: '22px' };
}

function levelText(lts) {
  return `${tf('lts_level', { n: lts })} — ${t(`lts_level_${lts}`)}`;
}

/** The popup of one segment: its LTS, the rule in words, the inputs (assumed ones said so); short enough for a phone's map. */
export function segmentPopup(p) {
  const lts = Number(p.lts);
  const inputs = segmentInputs(p);
  const label = { max_speed_kmh: 'lts_speed', lanes: 'lts_lanes', oneway: 'lts_oneway' };
  const value = (i) => (i.key === 'max_speed_kmh' ? `${num(i.value)} ${t('lts_kmh')}` : i.key === 'lanes' ? num(i.value) : t(i.value ? 'yes' : 'no'));
  const group = (assumed) => {
    const items = inputs.filter((i) => i.assumed === assumed);
    if (!items.length) return null;
    return h('div', { class: 'lts-inputs' },
      assumed ? h('span', { class: 'badge-assumed', title: t('lts_assumed_note') }, t('lts_assumed')) : t('lts_from_data'), ': ',
      items.map((i, k) => h('span', { 'data-input': i.key, 'data-assumed': String(assumed) }, `${k ? '; ' : ''}${t(label[i.key])} ${value(i)}`)));
  };
  const facility = !p.facility || p.facility === 'none' ? t('lts_facility_none') : code('facility', p.facility);
  const island = Number(p.island) > 0 ? tf('lts_island', { n: num(p.island) }) : null;
  return [
    h('strong', {}, placeName(p) || t('unnamed_street')),
    h('div', { class: 'lts-popup-level' }, h('span', { class: 'swatch', style: swatch(lts), 'aria-hidden': 'true' }), ` ${levelText(lts)}`),
    h('div', {}, `${t('lts_rule')}: ${code('lts_rule', p.rule)} `, h('code', { translate: 'no', class: 'err-code' }, p.rule ?? '')),
    h('div', {}, `${p.highway ? code('highway', p.highway) : code('lts_class', p.class)} · ${t('lts_facility')}: ${facility}${p.lane_status ? ` · ${code('bike', p.lane_status)}` : ''}`,
      p.facility && p.facility !== 'none' ? h('span', { class: 'badge-synth' }, t('synthetic')) : null),
    group(true), group(false),
    h('div', { class: 'small' }, [Number.isFinite(Number(p.length_m)) ? `${t('lts_length')}: ${length(Number(p.length_m))}` : null, island].filter(Boolean).join(' · ')),
    // The gradient (gradient_pct, lts_before_slope in /networks/lts) is not shown here yet: the
    // extra line made the Russian popup on a phone cover the attribution (everyone.test).
  ];
}

/**
 * Mounts the stress mode into `box`; `scenario` is the one to show first, `onScenario` is told
 * of a change (the URL keeps it). Returns the cleanup.
 */
export function mountStress(ctx, box, { scenario: first = 'existing', onScenario } = {}) {
  const { map } = ctx;
  let scenario = SCENARIOS.includes(first) ? first : 'existing';
  let seq = 0;
  let shownRow = null;
  const selectId = 'lts-scenario';
  const select = h('select', { id: selectId, onchange: (e) => { scenario = e.target.value; onScenario?.(scenario); load(); } },
    SCENARIOS.map((s) => h('option', { value: s, selected: s === scenario }, t(`lts_scenario_${s}`))));
  const legendList = h('ul', { class: 'sublegend lts-legend', id: 'lts-legend' },
    LEVELS.map((l) => h('li', { 'data-lts': String(l) }, h('span', { class: 'swatch', style: swatch(l), 'aria-hidden': 'true' }), levelText(l))));
  const legendStatus = h('div', { id: 'lts-legend-status', 'aria-live': 'polite' }, message('info', t('loading')));
  const islands = h('section', { id: 'lts-islands', 'aria-live': 'polite' });
  const access = h('section', { id: 'lts-access', 'aria-live': 'polite' });
  const priorities = h('section', { id: 'lts-priorities' }, message('info', t('loading')));
  const ruleset = h('p', { class: 'small', id: 'lts-ruleset' });
  box.append(
    h('p', {}, t('lts_intro')),
    h('div', { class: 'form-row' }, h('label', { for: selectId }, t('lts_scenario')), select),
    h('fieldset', { class: 'legend' }, h('legend', {}, t('lts_legend')), legendList, legendStatus),
    ruleset,
    h('p', { class: 'small synth-note', id: 'lts-synthetic' }, t('synthetic_note'), ' ', h('span', { class: 'badge-synth' }, t('synthetic')), ' ', t('layer_bike_lanes')),
    islands, access, priorities,
    h('p', { class: 'small' }, t('lts_source')),
  );

  for (const l of LAYERS) ctx.setVisible(l, true);
  map.setFilter('lts-highlight', ['==', ['get', 'row'], -1]);

  function load() {
    seq += 1;
    const mine = seq;
    const stale = () => mine !== seq;
    box.dataset.ltsReady = 'false';
    legendStatus.replaceChildren(message('info', t('loading')));
    islands.replaceChildren(message('info', t('loading')));
    const segs = segments(scenario).then((fc) => {
      if (stale()) return;
      map.getSource('geo-lts')?.setData(fc);
      const counts = legendCounts(fc.features);
      legendList.replaceChildren(...counts.map((c) => h('li', { 'data-lts': String(c.lts), 'data-count': String(c.count), 'data-km': c.km.toFixed(3) },
        h('span', { class: 'swatch', style: swatch(c.lts), 'aria-hidden': 'true' }),
        `${levelText(c.lts)}: ${plural('lts_ways', c.count)} · ${num(c.km, 1)} ${t('km')}`)));
      legendStatus.replaceChildren();
      ruleset.replaceChildren(`${t('lts_ruleset')}: `, h('code', { translate: 'no' }, `${fc.ruleset ?? ''}${fc.ruleset_version ? ` v${fc.ruleset_version}` : ''}`));
    }).catch((e) => { if (!stale()) legendStatus.replaceChildren(message('error', errorParts(e, t('error_loading')))); });
    const isl = api.ltsIslands(scenario).then((r) => {
      if (stale()) return;
      const s = islandSummary(r);
      const row = (k, v, id) => h('tr', { id }, h('th', { scope: 'row' }, t(k)), h('td', { class: 'num' }, v));
      islands.replaceChildren(
        h('h3', {}, t('lts_islands_title')),
        h('p', { class: 'small' }, t('lts_islands_intro')),
        h('table', { class: 'data lts-islands', id: 'lts-islands-table', 'data-count': String(s.count) },
          h('tbody', {},
            row('lts_islands_count', num(s.count), 'lts-islands-count'),
            row('lts_low_stress_km', `${num(s.lowStressKm, 1)} ${t('km')}`),
            s.largest ? row('lts_largest', tf('lts_largest_text', { km: num(s.largest.length_km, 1), res: num(s.largest.residents) }), 'lts-largest') : null,
            row('lts_off_network', num(s.residentsOffNetwork)))),
      );
    }).catch((e) => { if (!stale()) islands.replaceChildren(message('error', errorParts(e, t('error_loading')))); });
    loadAccess(stale);
    Promise.allSettled([segs, isl]).then(() => { if (!stale()) box.dataset.ltsReady = 'true'; });
  }

  function loadAccess(stale) {
    access.replaceChildren(message('info', t('loading')));
    Promise.all(DESTINATIONS.map(([d, r]) => api.indicator(`lts2_${d}_${r}_${scenario}`, 'districts'))).then((rs) => {
      if (stale()) return;
      access.replaceChildren(
        h('h3', {}, t('lts_access_title')),
        h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('lts_access_title') }, h('table', { class: 'data', id: 'lts-access-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('lts_access_dest')), h('th', { scope: 'col', class: 'num' }, t('lts_access_low')), h('th', { scope: 'col', class: 'num' }, t('lts_access_all')))),
          h('tbody', {}, rs.map((r, i) => {
            const c = r.low_stress?.city ?? {};
            return h('tr', { 'data-dest': DESTINATIONS[i][0] }, h('th', { scope: 'row' }, t(`lts_dest_${DESTINATIONS[i][0]}`)),
              h('td', { class: 'num' }, pct(Number(c.low_stress))), h('td', { class: 'num' }, pct(Number(c.all_streets))));
          })))),
      );
    }).catch((e) => { if (!stale()) access.replaceChildren(message('error', errorParts(e, t('error_loading')))); });
  }

  async function show(p, button) {
    const fc = await segments(scenario).catch(() => null) ?? await segments('plan');
    const f = fc.features.find((x) => Number(x.properties?.row) === Number(p.row));
    if (!f) return;
    shownRow = Number(p.row);
    map.setFilter('lts-highlight', ['==', ['get', 'row'], shownRow]);
    for (const b of priorities.querySelectorAll('button.lts-show')) b.setAttribute('aria-pressed', String(b === button));
    priorities.querySelector('table')?.setAttribute('data-shown-row', String(shownRow));
    const b = boundsOf(f.geometry);
    if (b) map.fitBounds(b, { padding: 60, maxZoom: 16.5, duration: 0 });
  }

  api.ltsPriorities().then((r) => {
    const top = topPriorities(r, 10);
    const csv = h('a', { href: api.ltsPrioritiesCsvUrl(), download: 'lts-priorities.csv', id: 'lts-priorities-csv' }, t('lts_priorities_csv'));
    const cols = ['lts_col_rank', 'street', 'lts_col_change', 'lts_col_km', 'lts_col_residents', 'lts_col_per_km', 'lts_col_map'];
    priorities.replaceChildren(
      h('h3', {}, t('lts_priorities_title')),
      h('p', { class: 'small' }, t('lts_priorities_intro'), ' ', h('span', { class: 'badge-synth' }, t('synthetic'))),
      top.length ? h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('lts_priorities_table') },
        h('table', { class: 'data', id: 'lts-priorities-table' },
          h('caption', { class: 'small' }, t('lts_priorities_table')),
          h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i && i !== 1 && i !== 2 && i !== 6 ? 'num' : '' }, t(c))))),
          h('tbody', {}, top.map((p) => {
            const name = p.name || t('unnamed_street');
            const button = h('button', { type: 'button', class: 'lts-show', 'data-row': String(p.row), 'aria-pressed': 'false', 'aria-label': tf('lts_show_label', { name }), onclick: (e) => show(p, e.currentTarget) }, t('lts_show'));
            return h('tr', { 'data-row': String(p.row) },
              h('td', { class: 'num' }, num(p.rank)), h('td', {}, name),
              h('td', {}, `${num(p.lts_base)} → ${num(p.lts_plan)}`),
              h('td', { class: 'num' }, num(p.length_km, 2)), h('td', { class: 'num' }, num(p.residents_newly_connected)),
              h('td', { class: 'num' }, num(p.residents_per_km)), h('td', {}, button));
          }))))
        : message('info', t('lts_priorities_none')),
      h('p', {}, csv),
    );
  }).catch((e) => priorities.replaceChildren(message('error', errorParts(e, t('error_loading')))));

  const onClick = (e) => {
    if (!map.getLayer('lts-segments')) return;
    // A few pixels of slack: the calm streets are thin lines at the city zoom, and a finger is wide.
    const { x, y } = e.point;
    const f = map.queryRenderedFeatures([[x - 4, y - 4], [x + 4, y + 4]], { layers: ['lts-segments'] })[0];
    if (!f) return;
    ctx.popup(e.lngLat, segmentPopup(f.properties));
  };
  map.on('click', onClick);
  load();

  return () => {
    seq += 1;
    map.off('click', onClick);
    for (const l of LAYERS) ctx.setVisible(l, false);
    map.setFilter('lts-highlight', ['==', ['get', 'row'], -1]);
    map.getSource('geo-lts')?.setData(EMPTY);
  };
}
