// Planner: every indicator in one sortable table (units, norms, centre vs periphery), one
// indicator across zones (chart; live value beside the published edition's, the change since,
// the gap to the chosen norm variant; caveats and inputs; CSV), and the what-if tool (draw a park, a stop or
// a bike lane; the engine answers with before/after values per zone).
import { api } from '../api.js';
import { t, tf, num, date, unitLabel, scaleOf } from '../i18n.js';
import { provenance, indicatorError, aboutIndicator, indicatorText } from '../provenance.js';
import { h, barChart, sortableTable, message, errorParts } from '../ui.js';
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
    const tableBox = h('div', { id: 'planner-table', 'aria-live': 'polite', tabindex: '0', 'aria-label': t('planner_title') }, message('info', t('loading')));
    const chartBox = h('div', { id: 'planner-chart', 'aria-live': 'polite' });
    panel.append(h('h2', {}, t('planner_title')), h('p', {}, t('planner_intro')),
      h('div', { class: 'form-row' }, h('label', { for: 'planner-zones' }, t('zones')), zoneSel),
      h('div', { class: 'form-row' }, h('label', { for: 'planner-distance' }, t('distance')), distSel),
      h('p', { class: 'small', id: 'planner-distance-note', hidden: distSel.value !== 'network' }, t('severance_note')),
      tableBox, chartBox);
    // Walking distances apply to access indicators only; the others are always straight.
    const distanceOf = (d) => (distSel.value === 'network' && d.measure?.type === 'access' ? 'network' : 'straight');

    let defs = [];
    let results = [];
    const chosen = () => (defs.some((d) => d.id === ctx.state.indicator) ? ctx.state.indicator : defs[0]?.id);
    /** The norm variant in the URL, if the indicator has it (variants are per indicator). */
    const normOf = (d) => ((d?.norm_variants ?? []).some((v) => v.id === ctx.state.norm) ? ctx.state.norm : undefined);
    /** The norm variant an indicator's live figures are asked with: only the chosen one gets the URL's. */
    const normFor = (d) => (d.id === chosen() ? normOf(d) : undefined);
    const fetchLive = (d) => {
      const norm = normFor(d);
      return api.indicator(d.id, zoneSel.value, { distance: distanceOf(d), norm })
        .then((r) => ({ d, r, err: null, norm })).catch((err) => ({ d, r: null, err, norm }));
    };
    // The published figure each live one is compared with: the edition named in the URL, else the latest.
    const editionCache = new Map();
    const fetchEdition = (d) => {
      const edition = /^\d+$/.test(ctx.state.edition ?? '') ? ctx.state.edition : 'latest';
      const key = `${d.id}|${zoneSel.value}|${distanceOf(d)}|${edition}`;
      if (!editionCache.has(key)) {
        editionCache.set(key, api.indicator(d.id, zoneSel.value, { distance: distanceOf(d), edition })
          .then((r) => ({ r, note: null }))
          .catch((e) => ({
            r: null,
            note: e.code === 'not_in_edition' ? tf('not_in_edition', { n: edition })
              : e.code === 'edition_not_found' ? (edition === 'latest' ? t('no_edition_to_compare') : tf('edition_missing', { n: edition }))
                : null,
          })));
      }
      return editionCache.get(key);
    };

    // Shares are shown as % (scaleOf); sorting uses the shown numbers, which keep the order.
    const rowOf = ({ d, r, err }) => {
      const sc = scaleOf(d.unit);
      const sm = r ? summarise(r) : {};
      const x = (v) => (Number.isFinite(v) ? v * sc : null);
      const norm = normValue(r?.indicator?.norm ?? d.norm);
      const gap = r?.severance?.city?.gap;
      return { id: d.id, d, title: indicatorTitle(d), forbidden: err?.status === 403, err, unit: unitLabel(d.unit), sc, norm: x(norm), city: x(sm.city), centre: x(sm.centre), periphery: x(sm.periphery), ratio: sm.ratio, gini: sm.gini, severance: Number.isFinite(gap) ? gap * 100 : null, res: r };
    };
    const renderTable = () => {
      const rows = results.map(rowOf);
      const f2 = (k) => (r) => num(r[k], 2);
      tableBox.replaceChildren(sortableTable([
        { key: 'title', label: t('indicator'), format: (r) => (r.forbidden ? [r.title, ' ', h('span', { class: 'badge-restricted', title: t('indicator_forbidden') }, t('restricted'))] : r.title) },
        { key: 'unit', label: t('unit') },
        { key: 'norm', label: t('norm'), numeric: true, format: f2('norm') },
        { key: 'city', label: t('city'), numeric: true, format: f2('city') },
        { key: 'centre', label: t('centre'), numeric: true, format: f2('centre') },
        { key: 'periphery', label: t('periphery'), numeric: true, format: f2('periphery') },
        { key: 'ratio', label: t('gap_ratio'), numeric: true, format: f2('ratio') },
        { key: 'gini', label: 'Gini', numeric: true, format: (r) => num(r.gini, 3) },
        ...(distSel.value === 'network' ? [{ key: 'severance', label: t('severance_gap'), numeric: true, format: f2('severance') }] : []),
      ], rows));
      return rows;
    };

    const drawChart = async () => {
      const id = chosen();
      const d = defs.find((x) => x.id === id);
      const entry = results.find((x) => x.d.id === id);
      if (!d || !entry) return;
      const row = rowOf(entry);
      const indSel = h('select', { id: 'planner-indicator' }, defs.map((x) => h('option', { value: x.id, selected: x.id === id }, indicatorTitle(x))));
      indSel.addEventListener('change', async () => {
        const next = defs.find((x) => x.id === indSel.value);
        ctx.update({ indicator: indSel.value, norm: normOf(next) });
        await refresh();
      });
      const controls = [h('div', { class: 'form-row' }, h('label', { for: 'planner-indicator' }, t('indicator')), indSel),
        // What it counts, the norm the live figures are judged against, the source.
        aboutIndicator(row.res?.indicator ?? d, { id: 'planner-about', alt: d })];
      const variants = d.norm_variants ?? [];
      if (variants.length) {
        const current = row.res?.indicator?.norm_variant ?? normOf(d) ?? d.norm_variant ?? variants[0].id;
        const normSel = h('select', { id: 'planner-norm', 'aria-describedby': 'planner-norm-source' },
          variants.map((v) => h('option', { value: v.id, selected: v.id === current, title: indicatorText(v, 'source') }, indicatorTitle(v))));
        const variant = variants.find((v) => v.id === current);
        normSel.addEventListener('change', async () => {
          ctx.update({ norm: normSel.value === d.norm_variant ? undefined : normSel.value });
          await refresh();
        });
        controls.push(h('div', { class: 'form-row' }, h('label', { for: 'planner-norm' }, t('norm_variant')), normSel,
          variant?.source ? h('p', { class: 'small', id: 'planner-norm-source' }, `${t('norm_source')}: ${indicatorText(variant, 'source')}`) : null));
      }
      if (!row.res) {
        chartBox.replaceChildren(...controls, message('error', indicatorError(row.err)));
        return;
      }
      const ed = await fetchEdition(d);
      if (!alive || chosen() !== id) return;
      const zs = row.res.zones ?? [];
      const edByZone = new Map((ed.r?.zones ?? []).map((z) => [zoneKeyOfRow(z), z]));
      const x = (v) => (Number.isFinite(v) ? v * row.sc : null);
      const signed = (v) => (Number.isFinite(v) && v > 0 ? `+${num(v, 2)}` : num(v, 2));
      const zoneRows = zs.map((z) => {
        const e = edByZone.get(zoneKeyOfRow(z));
        const change = Number.isFinite(z.value) && Number.isFinite(e?.value) ? z.value - e.value : null;
        return h('tr', { 'data-zone': zoneKeyOfRow(z) },
          h('td', {}, String(zoneLabel(z))),
          h('td', { class: 'num', 'data-col': 'live', 'data-value': z.value ?? '' }, num(x(z.value), 2)),
          ed.r ? h('td', { class: 'num', 'data-col': 'edition', 'data-value': e?.value ?? '' }, num(x(e?.value), 2)) : null,
          ed.r ? h('td', { class: `num ${change > 0 ? 'up' : change < 0 ? 'down' : ''}`, 'data-col': 'change', 'data-value': change ?? '' }, signed(x(change))) : null,
          h('td', { class: 'num', 'data-col': 'gap', 'data-value': z.gap_to_norm ?? '' }, signed(x(z.gap_to_norm))));
      });
      const th = (label, numeric = true) => h('th', { scope: 'col', class: numeric ? 'num' : '' }, label);
      chartBox.replaceChildren(
        ...controls,
        barChart({ title: row.title, unit: row.unit, norm: row.norm, digits: 2, items: zs.map((z) => ({ label: String(zoneLabel(z)), value: x(z.value) })) }),
        ed.r ? h('p', { class: 'small', id: 'planner-edition' }, tf('compared_with_edition', { n: ed.r.edition.edition_id, title: ed.r.edition.title, as_of: date(ed.r.edition.as_of) }), ' · ',
          h('a', { href: ed.r.edition.url ?? `/editions/${ed.r.edition.edition_id}` }, t('edition_link')))
          : ed.note ? h('p', { class: 'small', id: 'planner-edition-none' }, ed.note) : null,
        h('div', { class: 'table-scroll', tabindex: '0', 'aria-label': t('zones') }, h('table', { class: 'data', id: 'planner-zones-table' },
          h('caption', {}, `${t('by_zone')}${row.unit ? `, ${row.unit}` : ''}`),
          h('thead', {}, h('tr', {}, th(t('zone'), false), th(t('live_col')), ed.r ? th(t('edition_col')) : null, ed.r ? th(t('change_since_edition')) : null,
            th(`${t('gap_to_norm')} (${num(row.norm, 2)})`))),
          h('tbody', {}, zoneRows))),
        provenance(row.res, { id: 'planner-provenance' }),
        h('a', { class: 'button', id: 'planner-csv', href: api.indicatorCsvUrl(id, zoneSel.value, { distance: distanceOf(d), norm: normOf(d) }), download: `${id}-${zoneSel.value}.csv` }, t('download_csv')));
    };
    /** After a change of indicator or norm: refetch the figures asked with another norm than now, redraw. */
    const refresh = async () => {
      chartBox.setAttribute('aria-busy', 'true');
      const stale = results.filter((x) => x.norm !== normFor(x.d));
      const fresh = await Promise.all(stale.map((x) => fetchLive(x.d)));
      if (!alive) return;
      for (const f of fresh) results[results.findIndex((x) => x.d.id === f.d.id)] = f;
      if (fresh.length) renderTable();
      await drawChart();
      chartBox.removeAttribute('aria-busy');
    };

    const loadTable = async () => {
      ctx.update({ zones: zoneSel.value, distance: distSel.value === 'network' ? 'network' : undefined });
      document.getElementById('planner-distance-note')?.toggleAttribute('hidden', distSel.value !== 'network');
      tableBox.replaceChildren(message('info', t('loading')));
      try {
        const list = await api.indicators();
        defs = Array.isArray(list) ? list : list.indicators ?? [];
        api.zones(zoneSel.value).then((z) => alive && map.getSource('geo-zones').setData(z)).catch(() => {});
        results = await Promise.all(defs.map(fetchLive));
        if (!alive) return;
        renderTable();
        await drawChart();
      } catch (e) {
        tableBox.replaceChildren(message('error', errorParts(e, t('error_loading'))));
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
        result.replaceChildren(message('error', errorParts(e, t('error_loading'))));
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
