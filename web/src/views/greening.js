// Greening: parks and green spaces, tree fellings and compensatory plantings. A felling is
// "delivered" when the plantings naming its permit reach trees_felled × compensation_ratio,
// "overdue" when they do not and compensation_due has passed, otherwise "not yet due".
// A planting is "dead" when fewer than half its trees were alive at the 1-year check.
import { api } from '../api.js';
import { t, tf, num, layerName, date, plural, lang, placeName } from '../i18n.js';
import { code } from '../codes.js';
import { h, toggleRow, barChart, message, errorParts } from '../ui.js';
import { COLORS } from '../style.js';
import { flowFeatures, labelPoint } from '../geo.js';

const FLOW_LAYERS = ['planting-flows', 'planting-flows-arrow', 'planting-flows-self'];

/** Felled-zone → planted-zone flows by district, from the compensation indicator's `flows`. */
async function loadFlows() {
  const [r, zones] = await Promise.all([api.indicator('planting_same_zone_share', 'districts'), api.zones('districts')]);
  const anchors = new Map();
  const names = new Map();
  for (const z of zones.features) {
    const id = String(z.properties.zone ?? z.properties.id ?? z.id);
    anchors.set(id, labelPoint(z.geometry));
  }
  for (const z of r.zones) names.set(z.zone, z.names?.[lang()] || z.names?.en || z.zone);
  const title = r.indicator?.names?.[lang()] || r.indicator?.names?.en || '';
  return { flows: r.flows || [], fc: flowFeatures(r.flows || [], anchors), names, title };
}

let cache = null;
export function invalidate() {
  cache = null;
}

export function classify(fellings, plantings, today) {
  const planted = new Map();
  for (const p of plantings.features) {
    const permit = p.properties.felling_permit_no;
    if (permit) planted.set(permit, (planted.get(permit) || 0) + (Number(p.properties.trees_planted) || 0));
  }
  for (const f of fellings.features) {
    const q = f.properties;
    const required = Math.ceil((Number(q.trees_felled) || 0) * (Number(q.compensation_ratio) || 0));
    const got = planted.get(q.permit_no) || 0;
    q.qala_required = required;
    q.qala_planted = got;
    q.qala_status = got >= required ? 'delivered' : q.compensation_due && q.compensation_due < today ? 'overdue' : 'pending';
  }
  for (const p of plantings.features) {
    const q = p.properties;
    q.qala_status = q.alive_1y !== undefined && q.alive_1y !== null && q.alive_1y < 0.5 * q.trees_planted ? 'dead' : 'delivered';
  }
}

async function load() {
  if (!cache) {
    cache = Promise.all([api.items('tree-fellings'), api.items('tree-plantings')]).then(([fellings, plantings]) => {
      classify(fellings, plantings, new Date().toISOString().slice(0, 10));
      return { fellings, plantings };
    });
    cache.catch(() => { cache = null; });
  }
  return cache;
}

const dot = (color, ring = '#fff') => ({ background: color, borderRadius: '50%', width: '12px', height: '12px', border: `1.5px solid ${ring}` });

export default {
  id: 'greening',
  overlays: ['green-spaces', 'tree-fellings', 'tree-plantings', ...FLOW_LAYERS],
  mount(ctx, panel) {
    const { map } = ctx;
    const flowLegend = h('ul', { class: 'sublegend', id: 'flows-legend' }, h('li', {}, t('loading')));
    let flowNames = new Map();
    loadFlows().then(({ flows, fc, names, title }) => {
      flowNames = names;
      map.getSource('geo-flows').setData(fc);
      const lines = fc.features.filter((f) => f.geometry.type === 'LineString');
      const max = Math.max(0, ...lines.map((f) => f.properties.trees));
      const sample = (trees) => fc.features.find((f) => f.properties.trees === trees)?.properties.w;
      const widths = [...new Set([max, Math.round(max / 4), Math.round(max / 16)])].filter((n) => n > 0);
      const w = (n) => sample(n) ?? (1.5 + 10.5 * Math.sqrt(n / Math.max(1, ...fc.features.map((f) => f.properties.trees))));
      flowLegend.replaceChildren(
        ...widths.map((n) => h('li', {}, h('span', { class: 'swatch', style: { background: COLORS.flow, height: `${Math.max(1.5, w(n))}px`, marginTop: '6px', width: '28px' } }), plural('trees', n))),
        h('li', { class: 'small' }, t('flows_note')),
        h('li', { class: 'small', id: 'flows-count' }, `${plural('trees', flows.reduce((a, f) => a + (f.from_zone && f.to_zone ? f.trees : 0), 0))} · ${tf('flows_source', { name: title })}`),
      );
    }).catch((e) => flowLegend.replaceChildren(h('li', {}, message('error', errorParts(e, t('error_loading'))))));
    panel.append(
      h('h2', {}, t('green_title')),
      h('p', {}, t('green_intro')),
      h('fieldset', { class: 'legend' }, h('legend', {}, t('legend')),
        toggleRow({ id: 'toggle-green-spaces', label: t('green_parks'), swatch: { background: COLORS.park }, checked: ctx.isVisible('green-spaces'), onChange: (on) => ctx.setVisible('green-spaces', on) }),
        toggleRow({ id: 'toggle-tree-fellings', label: layerName('tree-fellings'), swatch: dot(COLORS.overdue), checked: ctx.isVisible('tree-fellings'), synthetic: true, onChange: (on) => ctx.setVisible('tree-fellings', on) }),
        h('ul', { class: 'sublegend' },
          h('li', {}, h('span', { class: 'swatch', style: dot(COLORS.delivered) }), t('green_delivered')),
          h('li', {}, h('span', { class: 'swatch', style: dot(COLORS.overdue) }), t('green_overdue')),
          h('li', {}, h('span', { class: 'swatch', style: dot(COLORS.pending) }), t('green_pending'))),
        toggleRow({ id: 'toggle-tree-plantings', label: layerName('tree-plantings'), swatch: dot(COLORS.delivered, '#1f2937'), checked: ctx.isVisible('tree-plantings'), synthetic: true, onChange: (on) => ctx.setVisible('tree-plantings', on) }),
        h('ul', { class: 'sublegend' },
          h('li', {}, h('span', { class: 'swatch', style: dot(COLORS.delivered, '#1f2937') }), t('green_alive')),
          h('li', {}, h('span', { class: 'swatch', style: dot(COLORS.dead, '#1f2937') }), t('green_dead'))),
        toggleRow({ id: 'toggle-planting-flows', label: t('flows_title'), swatch: { background: COLORS.flow, height: '5px', marginTop: '7px' }, checked: ctx.isVisible('planting-flows'), synthetic: true,
          onChange: (on) => FLOW_LAYERS.forEach((l) => ctx.setVisible(l, on)) }),
        flowLegend),
    );
    const stats = h('section', { class: 'stats', 'aria-live': 'polite' }, message('info', t('loading')));
    panel.append(stats);
    load().then(({ fellings, plantings }) => {
      map.getSource('geo-fellings').setData(fellings);
      map.getSource('geo-plantings').setData(plantings);
      const count = (fc, s) => fc.features.filter((f) => f.properties.qala_status === s).length;
      const required = fellings.features.reduce((a, f) => a + f.properties.qala_required, 0);
      const planted = plantings.features.reduce((a, f) => a + (Number(f.properties.trees_planted) || 0), 0);
      const deadTrees = plantings.features.reduce((a, f) => {
        const p = f.properties;
        return a + (Number.isFinite(p.alive_1y) ? Math.max(0, (Number(p.trees_planted) || 0) - p.alive_1y) : 0);
      }, 0);
      stats.replaceChildren(
        h('h3', {}, layerName('tree-fellings')),
        barChart({
          title: layerName('tree-fellings'), digits: 0,
          items: [
            { label: t('green_delivered'), value: count(fellings, 'delivered'), color: COLORS.delivered },
            { label: t('green_overdue'), value: count(fellings, 'overdue'), color: COLORS.overdue },
            { label: t('green_pending'), value: count(fellings, 'pending'), color: COLORS.pending },
          ],
        }),
        h('h3', {}, layerName('tree-plantings')),
        barChart({
          title: layerName('tree-plantings'), digits: 0,
          items: [
            { label: t('green_required'), value: required, color: '#64748b' },
            { label: t('green_planted'), value: planted, color: COLORS.delivered },
            // trees planted that were not alive at the 1-year check (where it was done)
            { label: t('green_dead'), value: deadTrees, color: COLORS.dead },
          ],
        }),
        h('p', { class: 'small synth-note' }, t('synthetic_note')),
      );
    }).catch((e) => stats.replaceChildren(message('error', errorParts(e, t('error_loading')))));

    const onClick = (e) => {
      const f = map.queryRenderedFeatures(e.point, { layers: ['tree-fellings', 'tree-plantings', ...FLOW_LAYERS, 'green-spaces'].filter((l) => ctx.isVisible(l)) })[0];
      if (!f) return;
      const p = f.properties;
      if (FLOW_LAYERS.includes(f.layer.id)) {
        const name = (z) => flowNames.get(z) || z;
        ctx.popup(e.lngLat, [h('strong', {}, t('flows_title')),
          h('div', {}, p.from_zone === p.to_zone ? tf('flows_same', { zone: name(p.from_zone) }) : tf('flows_from_to', { from: name(p.from_zone), to: name(p.to_zone) })),
          h('div', {}, plural('trees', Number(p.trees))), h('div', { class: 'badge-synth' }, t('synthetic'))]);
        return;
      }
      const row = (k, v) => (v === undefined || v === null || v === '' ? null : h('div', {}, h('span', { class: 'k' }, `${t(k)}: `), String(v)));
      const plantingStatus = (s) => (s === 'dead' ? t('green_dead') : t('green_alive'));
      if (f.layer.id === 'tree-fellings') {
        ctx.popup(e.lngLat, [h('strong', {}, `${t('permit')} ${p.permit_no}`), row('felled_on', date(p.felled_on)), row('trees_felled', num(p.trees_felled)),
          row('reason', code('felling_reason', p.reason)), row('compensation_due', p.compensation_due ? date(p.compensation_due) : null), row('green_required', num(p.qala_required)), row('green_planted', num(p.qala_planted)),
          h('div', { class: `status status-${p.qala_status}` }, t(`green_${p.qala_status}`)), h('div', { class: 'badge-synth' }, t('synthetic'))]);
      } else if (f.layer.id === 'tree-plantings') {
        ctx.popup(e.lngLat, [h('strong', {}, layerName('tree-plantings')), row('permit', p.felling_permit_no), row('planted_on', date(p.planted_on)),
          row('trees_planted', num(p.trees_planted)), row('species', p.species), row('alive_1y', p.alive_1y == null ? null : num(p.alive_1y)),
          h('div', { class: `status status-${p.qala_status}` }, plantingStatus(p.qala_status)), h('div', { class: 'badge-synth' }, t('synthetic'))]);
      } else {
        ctx.popup(e.lngLat, [h('strong', {}, placeName(p) || t('green_parks')), p.category ? h('div', {}, code('green_category', p.category)) : null, h('div', { class: 'small' }, t('osm_attribution'))]);
      }
    };
    map.on('click', onClick);
    return () => map.off('click', onClick);
  },
};
