// Bike network: existing / under construction / planned lanes with a legend that toggles them,
// km per district and residents within 300 m of a lane now vs with the plan.
import { api } from '../api.js';
import { t, num, localName, layerName, year } from '../i18n.js';
import { code } from '../codes.js';
import { h, toggleRow, barChart, message, errorParts } from '../ui.js';
import { COLORS, BIKE_DASH } from '../style.js';
import { lengthByZone, residentsNearLines } from '../geo.js';

const STATUSES = ['existing', 'under_construction', 'planned'];

function swatchFor(status) {
  const dash = BIKE_DASH[status];
  const bg = dash
    ? `repeating-linear-gradient(90deg, ${COLORS[status]} 0 ${dash[0] * 4}px, transparent ${dash[0] * 4}px ${(dash[0] + dash[1]) * 4}px)`
    : COLORS[status];
  return { background: bg, height: '5px', marginTop: '7px' };
}

let cache = null; // the layers this view reads, fetched once per page (re-fetched after an upload)

export function invalidate() {
  cache = null;
}

async function load() {
  if (!cache) {
    cache = Promise.all([api.items('bike-lanes'), api.items('districts'), api.items('population')]);
    cache.catch(() => { cache = null; });
  }
  return cache;
}

export default {
  id: 'bike',
  overlays: ['bike-lanes-existing', 'bike-lanes-under_construction', 'bike-lanes-planned', 'transit-stops'],
  mount(ctx, panel) {
    const { map } = ctx;
    panel.append(
      h('h2', {}, t('bike_title')),
      h('p', {}, t('bike_intro')),
      h('fieldset', { class: 'legend' },
        h('legend', {}, `${t('legend')} · ${layerName('bike-lanes')}`),
        ...STATUSES.map((status) => toggleRow({
          id: `toggle-bike-${status}`,
          label: t(`bike_${status}`),
          swatch: swatchFor(status),
          checked: ctx.isVisible(`bike-lanes-${status}`),
          synthetic: true,
          onChange: (on) => ctx.setVisible(`bike-lanes-${status}`, on),
        })),
        toggleRow({
          id: 'toggle-transit-stops', label: layerName('transit-stops'),
          swatch: { background: '#111827', borderRadius: '50%', width: '10px', height: '10px' },
          checked: ctx.isVisible('transit-stops'), synthetic: true,
          onChange: (on) => ctx.setVisible('transit-stops', on),
        })),
    );
    const stats = h('section', { class: 'stats', 'aria-live': 'polite' }, message('info', t('loading')));
    panel.append(stats);
    // Residents within 300 m: the engine's indicators when it is up (bike_300m_existing and
    // bike_300m_plan), else the same figure computed here from the served layers.
    const engine = Promise.all(['bike_300m_existing', 'bike_300m_plan'].map((id) => api.indicator(id, 'districts'))).catch(() => null);
    Promise.all([load(), engine]).then(([[lanes, districts, cells], eng]) => {
      const key = (d) => d.properties.akimat_id ?? d.id;
      const byStatus = Object.fromEntries(STATUSES.map((s) => [s, lengthByZone(lanes.features.filter((f) => f.properties.status === s), districts.features, key)]));
      const rows = districts.features.map((d) => ({
        label: localName(d.properties),
        existing: byStatus.existing.get(key(d)) / 1000,
        under_construction: byStatus.under_construction.get(key(d)) / 1000,
        planned: byStatus.planned.get(key(d)) / 1000,
      })).sort((a, b) => b.existing - a.existing);
      const total = cells.features.reduce((s, c) => s + (Number(c.properties.residents) || 0), 0);
      const fromEngine = eng && eng.every((r) => Number.isFinite(r.city?.numerator) || Number.isFinite(r.city?.value));
      const residentsOf = (r) => (Number.isFinite(r.city?.numerator) ? r.city.numerator : r.city.value * total);
      const now = fromEngine ? residentsOf(eng[0]) : residentsNearLines(cells.features, lanes.features.filter((f) => f.properties.status === 'existing'), 300);
      const plan = fromEngine ? residentsOf(eng[1]) : residentsNearLines(cells.features, lanes.features, 300);
      stats.replaceChildren(
        h('h3', {}, t('bike_km_by_district')),
        h('table', { class: 'data', id: 'bike-km-table', tabindex: '0' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('district')), ...STATUSES.map((s) => h('th', { scope: 'col', class: 'num' }, t(`bike_${s}`))))),
          h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, r.label), ...STATUSES.map((s) => h('td', { class: 'num' }, num(r[s], 1))))))),
        h('h3', {}, t('bike_pop_300')),
        barChart({
          title: t('bike_pop_300'),
          digits: 0,
          items: [
            { label: t('bike_now'), value: now, color: COLORS.existing },
            { label: t('bike_with_plan'), value: plan, color: COLORS.planned },
          ],
        }),
        h('p', { class: 'small', id: 'bike-pop-share' },
          `${t('bike_now')}: ${num((100 * now) / total, 1)} % · ${t('bike_with_plan')}: ${num((100 * plan) / total, 1)} % (${t('total')} ${num(total)} ${t('residents')})`),
        h('p', { class: 'small', id: 'bike-pop-source' }, fromEngine ? t('source_engine') : t('source_browser')),
        h('p', { class: 'small synth-note' }, t('synthetic_note')),
      );
    }).catch((e) => stats.replaceChildren(message('error', errorParts(e, t('error_loading')))));
    const onClick = (e) => {
      const f = map.queryRenderedFeatures(e.point, { layers: this.overlays.filter((l) => ctx.isVisible(l)) })[0];
      if (!f) return;
      const p = f.properties;
      ctx.popup(e.lngLat, [
        h('strong', {}, p.name || layerName(f.layer.id.startsWith('bike') ? 'bike-lanes' : 'transit-stops')),
        p.status ? h('div', {}, t(`bike_${p.status}`)) : null,
        p.facility ? h('div', {}, `${t('facility')}: ${code('facility', p.facility)}`) : null,
        p.planned_year ? h('div', {}, `${t('planned_year')}: ${year(p.planned_year)}`) : null,
        h('div', { class: 'badge-synth' }, t('synthetic')),
      ]);
    };
    map.on('click', onClick);
    return () => map.off('click', onClick);
  },
};
