// Bike network, in two modes (the URL keeps which: `mode=stress`). Lanes: existing / under
// construction / planned lanes with a legend that toggles them, km per district and residents
// within 300 m of a lane now vs with the plan. Cycling stress: bike_stress.js.
import { api } from '../api.js';
import { t, num, lang, layerName, year, placeName } from '../i18n.js';
import { code } from '../codes.js';
import { h, toggleRow, barChart, message, errorParts } from '../ui.js';
import { COLORS, BIKE_DASH } from '../style.js';
import { mountStress, invalidate as invalidateStress } from './bike_stress.js';

const STATUSES = ['existing', 'under_construction', 'planned'];

function swatchFor(status) {
  const dash = BIKE_DASH[status];
  const bg = dash
    ? `repeating-linear-gradient(90deg, ${COLORS[status]} 0 ${dash[0] * 4}px, transparent ${dash[0] * 4}px ${(dash[0] + dash[1]) * 4}px)`
    : COLORS[status];
  return { background: bg, height: '5px', marginTop: '7px' };
}

// The lanes mode downloads nothing whole (km per district from GET /bike/km, residents near a
// lane from the engine's indicators); the stress mode keeps each scenario's segments.
export function invalidate() {
  invalidateStress();
}

const LANE_LAYERS = ['bike-lanes-existing', 'bike-lanes-under_construction', 'bike-lanes-planned', 'transit-stops'];

export default {
  id: 'bike',
  overlays: [...LANE_LAYERS, 'lts-segments', 'lts-highlight'],
  mount(ctx, panel) {
    const modeName = `bike-mode-${Math.random().toString(36).slice(2, 7)}`;
    const body = h('div', { id: 'bike-mode-body' });
    let cleanup = null;
    // Lane toggles as the user left them, restored when they come back from the stress mode.
    const laneVisible = Object.fromEntries(LANE_LAYERS.map((l) => [l, ctx.isVisible(l)]));
    const setMode = (mode) => {
      cleanup?.();
      cleanup = null;
      body.replaceChildren();
      ctx.update({ mode: mode === 'stress' ? 'stress' : undefined });
      if (mode === 'stress') {
        for (const l of LANE_LAYERS) { laneVisible[l] = ctx.isVisible(l); ctx.setVisible(l, false); }
        cleanup = mountStress(ctx, body, { scenario: ctx.state.scenario, onScenario: (s) => ctx.update({ scenario: s === 'existing' ? undefined : s }) });
      } else {
        for (const l of ['lts-segments', 'lts-highlight']) ctx.setVisible(l, false);
        for (const l of LANE_LAYERS) ctx.setVisible(l, laneVisible[l]);
        cleanup = mountLanes(ctx, body);
      }
    };
    const first = ctx.state.mode === 'stress' ? 'stress' : 'lanes';
    panel.append(
      h('h2', {}, t('bike_title')),
      h('fieldset', { class: 'segmented bike-mode', id: 'bike-mode' }, h('legend', {}, t('bike_mode')),
        ['lanes', 'stress'].map((m) => h('label', { class: 'seg' },
          h('input', { type: 'radio', name: modeName, value: m, id: `bike-mode-${m}`, checked: m === first, onchange: (e) => { if (e.target.checked) setMode(m); } }),
          h('span', {}, t(`bike_mode_${m}`))))),
      body,
    );
    setMode(first);
    return () => cleanup?.();
  },
};

function mountLanes(ctx, panel) {
  const { map } = ctx;
  const overlays = LANE_LAYERS;
  panel.append(
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
  // Km per zone and status (GET /bike/km) and residents within 300 m (the engine's
  // bike_300m_existing / bike_300m_plan): all from the API, none computed here.
  const indicators = Promise.all(['bike_300m_existing', 'bike_300m_plan'].map((id) => api.indicator(id, 'districts')));
  Promise.all([api.bikeKm('districts'), indicators]).then(([km, eng]) => {
    const rows = km.zones.map((z) => ({
      label: z.names?.[lang()] || z.names?.en || z.zone,
      ...Object.fromEntries(STATUSES.map((s) => [s, Number(z.km[s]) || 0])),
    })).sort((a, b) => b.existing - a.existing);
    const total = eng[0].city.denominator;
    const now = eng[0].city.numerator;
    const plan = eng[1].city.numerator;
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
      h('p', { class: 'small', id: 'bike-pop-source' }, t('source_engine')),
      h('p', { class: 'small synth-note' }, t('synthetic_note')),
    );
  }).catch((e) => stats.replaceChildren(message('error', errorParts(e, t('error_loading')))));
  const onClick = (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: overlays.filter((l) => ctx.isVisible(l)) })[0];
    if (!f) return;
    const p = f.properties;
    ctx.popup(e.lngLat, [
      h('strong', {}, placeName(p) || layerName(f.layer.id.startsWith('bike') ? 'bike-lanes' : 'transit-stops')),
      p.status ? h('div', {}, t(`bike_${p.status}`)) : null,
      p.facility ? h('div', {}, `${t('facility')}: ${code('facility', p.facility)}`) : null,
      p.planned_year ? h('div', {}, `${t('planned_year')}: ${year(p.planned_year)}`) : null,
      h('div', { class: 'badge-synth' }, t('synthetic')),
    ]);
  };
  map.on('click', onClick);
  return () => map.off('click', onClick);
}
