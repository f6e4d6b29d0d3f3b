// Planner: every indicator in one sortable table (units, norms, centre vs periphery), a chart of
// one indicator across zones with a CSV download, and the what-if tool (draw a park, a stop or
// a bike lane; the engine answers with before/after values per zone).
import { api } from '../api.js';
import { t, num, unitLabel, scaleOf } from '../i18n.js';
import { h, barChart, sortableTable, message } from '../ui.js';
import { SCHEMES, indicatorTitle, zoneKeyOfRow, zoneLabel, zoneRole, normValue } from './equity.js';

const DRAW = {
  park: { geometry: 'Polygon', layer: 'green-spaces', properties: { category: 'park', public_access: true } },
  stop: { geometry: 'Point', layer: 'services', properties: { category: 'bus_stop' } },
  lane: { geometry: 'LineString', layer: 'bike-lanes', properties: { status: 'existing', facility: 'protected' } },
};

function summarise(res) {
  const rows = res.zones ?? [];
  const vals = rows.map((r) => r.value).filter(Number.isFinite);
  const pick = (role) => {
    const rs = rows.filter((r) => zoneRole(r) === role);
    return rs.length ? rs.reduce((a, r) => a + (Number(r.value) || 0), 0) / rs.length : null;
  };
  const centre = Number.isFinite(res.centre?.value) ? res.centre.value : pick('centre');
  const periphery = Number.isFinite(res.periphery?.value) ? res.periphery.value : pick('periphery');
  return {
    city: res.city?.value ?? null,
    min: vals.length ? Math.min(...vals) : null,
    max: vals.length ? Math.max(...vals) : null,
    centre,
    periphery,
    ratio: Number.isFinite(res.service_gap) ? res.service_gap : centre ? periphery / centre : null,
    gini: res.inequality?.gini ?? null,
  };
}

export default {
  id: 'planner',
  overlays: ['zones-line', 'historic-centre'],
  mount(ctx, panel) {
    const { map } = ctx;
    let alive = true;
    const scheme = SCHEMES.includes(ctx.state.zones) ? ctx.state.zones : 'districts';
    const zoneSel = h('select', { id: 'planner-zones' }, SCHEMES.map((s) => h('option', { value: s, selected: s === scheme }, t(`zones_${s}`))));
    const distSel = h('select', { id: 'planner-distance' }, ['straight', 'network'].map((m) => h('option', { value: m, selected: m === (ctx.state.distance ?? 'straight') }, t(`distance_${m}`))));
    const tableBox = h('div', { id: 'planner-table', 'aria-live': 'polite' }, message('info', t('loading')));
    const chartBox = h('div', { id: 'planner-chart' });
    panel.append(h('h2', {}, t('planner_title')), h('p', {}, t('planner_intro')),
      h('div', { class: 'form-row' }, h('label', { for: 'planner-zones' }, t('zones')), zoneSel),
      h('div', { class: 'form-row' }, h('label', { for: 'planner-distance' }, t('distance')), distSel),
      h('p', { class: 'small', id: 'planner-distance-note', hidden: distSel.value !== 'network' }, t('severance_note')),
      tableBox, chartBox);
    // Walking distances apply to access indicators only; the others are always straight.
    const distanceOf = (d) => (distSel.value === 'network' && d.measure?.type === 'access' ? 'network' : 'straight');

    let defs = [];
    const loadTable = async () => {
      ctx.update({ zones: zoneSel.value, distance: distSel.value === 'network' ? 'network' : undefined });
      document.getElementById('planner-distance-note')?.toggleAttribute('hidden', distSel.value !== 'network');
      tableBox.replaceChildren(message('info', t('loading')));
      try {
        const list = await api.indicators();
        defs = Array.isArray(list) ? list : list.indicators ?? [];
        api.zones(zoneSel.value).then((z) => alive && map.getSource('geo-zones').setData(z)).catch(() => {});
        const results = await Promise.all(defs.map((d) => api.indicator(d.id, zoneSel.value, distanceOf(d)).then((r) => ({ d, r })).catch(() => ({ d, r: null }))));
        if (!alive) return;
        // Shares are shown as % (scaleOf); sorting uses the shown numbers, which keep the order.
        const rows = results.map(({ d, r }) => {
          const sc = scaleOf(d.unit);
          const sm = r ? summarise(r) : {};
          const x = (v) => (Number.isFinite(v) ? v * sc : null);
          const norm = normValue(d.norm);
          const gap = r?.severance?.city?.gap;
          return { id: d.id, d, title: indicatorTitle(d), unit: unitLabel(d.unit), sc, norm: x(norm), city: x(sm.city), centre: x(sm.centre), periphery: x(sm.periphery), ratio: sm.ratio, gini: sm.gini, severance: Number.isFinite(gap) ? gap * 100 : null, res: r };
        });
        const f2 = (k) => (r) => num(r[k], 2);
        tableBox.replaceChildren(sortableTable([
          { key: 'title', label: t('indicator') },
          { key: 'unit', label: t('unit') },
          { key: 'norm', label: t('norm'), numeric: true, format: f2('norm') },
          { key: 'city', label: t('city'), numeric: true, format: f2('city') },
          { key: 'centre', label: t('centre'), numeric: true, format: f2('centre') },
          { key: 'periphery', label: t('periphery'), numeric: true, format: f2('periphery') },
          { key: 'ratio', label: t('gap_ratio'), numeric: true, format: f2('ratio') },
          { key: 'gini', label: 'Gini', numeric: true, format: (r) => num(r.gini, 3) },
          ...(distSel.value === 'network' ? [{ key: 'severance', label: t('severance_gap'), numeric: true, format: f2('severance') }] : []),
        ], rows));
        const indSel = h('select', { id: 'planner-indicator' }, defs.map((d) => h('option', { value: d.id, selected: d.id === ctx.state.indicator }, indicatorTitle(d))));
        const drawChart = () => {
          const row = rows.find((r) => r.id === indSel.value);
          ctx.update({ indicator: indSel.value });
          const zs = row?.res?.zones ?? [];
          chartBox.replaceChildren(
            h('div', { class: 'form-row' }, h('label', { for: 'planner-indicator' }, t('indicator')), indSel),
            barChart({ title: row?.title ?? '', unit: row?.unit, norm: row?.norm, digits: 2, items: zs.map((z) => ({ label: String(zoneLabel(z)), value: Number.isFinite(z.value) ? z.value * row.sc : null })) }),
            h('a', { class: 'button', id: 'planner-csv', href: api.indicatorCsvUrl(indSel.value, zoneSel.value, row ? distanceOf(row.d) : 'straight'), download: `${indSel.value}-${zoneSel.value}.csv` }, t('download_csv')));
        };
        indSel.addEventListener('change', drawChart);
        drawChart();
      } catch (e) {
        tableBox.replaceChildren(message('error', `${t('error_loading')}: ${e.message}`));
      }
    };
    zoneSel.addEventListener('change', loadTable);
    distSel.addEventListener('change', loadTable);
    loadTable();

    // ---- what-if ----
    let mode = null;
    let coords = [];
    const result = h('div', { id: 'whatif-result', 'aria-live': 'polite' });
    const hint = h('p', { class: 'small' });
    const setDraft = () => {
      const g = !mode ? null : DRAW[mode].geometry === 'Point' ? (coords[0] ? { type: 'Point', coordinates: coords[0] } : null)
        : DRAW[mode].geometry === 'LineString' ? (coords.length > 1 ? { type: 'LineString', coordinates: coords } : null)
          : coords.length > 2 ? { type: 'Polygon', coordinates: [[...coords, coords[0]]] } : coords.length > 1 ? { type: 'LineString', coordinates: coords } : null;
      const pts = coords.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
      map.getSource('geo-whatif').setData({ type: 'FeatureCollection', features: [...(g ? [{ type: 'Feature', properties: {}, geometry: g }] : []), ...pts] });
      return g;
    };
    const submit = async () => {
      const g = setDraft();
      if (!g) return;
      const spec = DRAW[mode];
      result.replaceChildren(message('info', t('loading')));
      try {
        const res = await api.whatif({
          zones: zoneSel.value,
          change: { layer: spec.layer, action: 'add', geometry: g, attributes: spec.properties },
        });
        const title = (id) => indicatorTitle(defs.find((d) => d.id === id)) || id;
        // Indicators the change moves come first and open; the unmoved ones are listed by name.
        const all = res.indicators ?? [];
        const moved = (ind) => [ind.city, ...(ind.zones ?? [])].some((r) => Number.isFinite(r?.delta) && Math.abs(r.delta) > 1e-12);
        const inds = all.filter(moved);
        const still = all.filter((ind) => !moved(ind));
        const sc = (ind) => scaleOf(ind.unit);
        const x = (v, ind) => (Number.isFinite(v) ? v * sc(ind) : v);
        result.replaceChildren(h('h4', {}, t('delta')), ...(inds.length
          ? inds.map((ind) => h('table', { class: 'data whatif-table', 'data-indicator': ind.indicator },
            h('caption', {}, `${title(ind.indicator)}${ind.unit ? `, ${unitLabel(ind.unit)}` : ''}`),
            h('thead', {}, h('tr', {}, [t('zone'), t('before'), t('after'), t('delta')].map((x) => h('th', { scope: 'col' }, x)))),
            h('tbody', {}, [{ zone: t('city'), ...(ind.city ?? {}) }, ...(ind.zones ?? [])].map((r) => h('tr', {},
              h('td', {}, typeof r.zone === 'string' && !r.names ? r.zone : String(zoneLabel(r) || zoneKeyOfRow(r))),
              h('td', { class: 'num' }, num(x(r.before, ind), 3)), h('td', { class: 'num' }, num(x(r.after, ind), 3)),
              h('td', { class: `num ${r.delta > 0 ? 'up' : r.delta < 0 ? 'down' : ''}` }, r.delta > 0 ? `+${num(x(r.delta, ind), 3)}` : num(x(r.delta, ind), 3)))))))
          : [message('info', t('whatif_no_change'))]),
        ...(still.length ? [h('p', { class: 'small', id: 'whatif-unchanged' }, `${t('whatif_unchanged')}: ${still.map((ind) => title(ind.indicator)).join('; ')}`)] : []));
        result.scrollIntoView({ block: 'nearest' });
      } catch (e) {
        result.replaceChildren(message('error', `${t('error_loading')}: ${e.message}`));
      }
      mode = null;
      coords = [];
      map.getCanvas().style.cursor = '';
    };
    const start = (m) => {
      mode = m;
      coords = [];
      setDraft();
      hint.textContent = t('draw_hint');
      map.getCanvas().style.cursor = 'crosshair';
    };
    const onClick = (e) => {
      if (!mode) return;
      coords.push([e.lngLat.lng, e.lngLat.lat]);
      setDraft();
      if (DRAW[mode].geometry === 'Point') submit();
    };
    const atCentre = () => {
      if (!mode) return;
      const c = map.getCenter();
      coords.push([c.lng, c.lat]);
      setDraft();
      if (DRAW[mode].geometry === 'Point') submit();
    };
    map.on('click', onClick);
    panel.append(h('section', { class: 'whatif' },
      h('h3', {}, t('whatif')), h('p', { class: 'small' }, t('whatif_intro')),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', id: 'draw-park', onclick: () => start('park') }, t('draw_park')),
        h('button', { type: 'button', id: 'draw-stop', onclick: () => start('stop') }, t('draw_stop')),
        h('button', { type: 'button', id: 'draw-lane', onclick: () => start('lane') }, t('draw_lane'))),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', id: 'draw-centre', onclick: atCentre, title: t('draw_at_centre') }, t('draw_centre_short')),
        h('button', { type: 'button', id: 'draw-finish', onclick: submit }, t('draw_finish')),
        h('button', { type: 'button', id: 'draw-cancel', onclick: () => { mode = null; coords = []; setDraft(); hint.textContent = ''; } }, t('draw_cancel'))),
      hint, result));
    return () => {
      alive = false;
      map.off('click', onClick);
      map.getCanvas().style.cursor = '';
      map.getSource('geo-whatif')?.setData({ type: 'FeatureCollection', features: [] });
      map.getSource('geo-zones')?.setData({ type: 'FeatureCollection', features: [] });
    };
  },
};
