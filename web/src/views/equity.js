// Equity: a choropleth of any indicator by district or ring, the norm, and a chart comparing
// centre and periphery. The public sees the latest published edition by default
// (/indicators/{id}?edition=latest…), live figures on request or while nothing is published;
// zone shapes come from /zones/{scheme}. The map shows exactly the API's numbers (a browser test
// checks), and the caveats and inputs under them are the API's provenance.
import { api } from '../api.js';
import { t, tf, num, lang, unitLabel, scaleOf } from '../i18n.js';
import { h, barChart, message, errorParts } from '../ui.js';
import { editionLine, provenance, indicatorError, aboutIndicator } from '../provenance.js';
import { labelPoint } from '../geo.js';
import { DISTANCE_BREAKS_M, DISTANCE_COLORS, COLORS } from '../style.js';
import { length } from '../format.js';

export const SCHEMES = ['districts', 'rings', 'historic'];
const PALETTE = ['#f7fcf5', '#c7e9c0', '#74c476', '#31a354', '#006d2c'];

export function indicatorTitle(ind) {
  if (!ind) return '';
  const tt = ind.names ?? ind.title ?? ind.name;
  if (tt && typeof tt === 'object') return tt[lang()] ?? tt.en ?? ind.id;
  return ind[`title_${lang()}`] ?? ind[`name_${lang()}`] ?? tt ?? ind.id;
}

/** The zone key of an indicator row and of a zone feature; the engine's naming is matched loosely. */
export function zoneKeyOfRow(row) {
  return String(row.zone ?? row.zone_id ?? row.id ?? row.key ?? row.name);
}
export function zoneKeyOfFeature(f) {
  const p = f.properties || {};
  return String(p.zone ?? p.zone_id ?? p.id ?? f.id ?? p.key ?? p.name);
}

export function zoneLabel(rowOrProps) {
  const p = rowOrProps || {};
  const n = p.names ?? p.name ?? p.label ?? p.title;
  if (n && typeof n === 'object') return n[lang()] ?? n.en;
  return p[`name_${lang()}`] ?? p[`label_${lang()}`] ?? n ?? p.zone ?? p.id ?? '';
}

export function zoneRole(row) {
  const r = row.role ?? row.group ?? row.position ?? (row.is_centre === true ? 'centre' : row.is_periphery === true ? 'periphery' : row.centre === true ? 'centre' : row.periphery === true ? 'periphery' : null);
  return r === 'center' ? 'centre' : r;
}

/** The norm as a number: the engine writes `{"at_least": 10}` or `{"at_most": 5}`. */
export function normValue(norm) {
  if (Number.isFinite(norm)) return norm;
  if (norm && typeof norm === 'object') {
    const v = norm.at_least ?? norm.at_most ?? norm.value;
    return Number.isFinite(v) ? v : null;
  }
  return null;
}

/** Quantile class breaks (up to 5 classes) over the finite values; repeated breaks merge. */
export function breaks(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return [];
  const q = [0.2, 0.4, 0.6, 0.8].map((p) => v[Math.min(v.length - 1, Math.floor(p * v.length))]);
  return [...new Set(q)].filter((b) => b < v[v.length - 1]);
}

/** The palette colours used for `br` (spread from lightest to darkest). */
export function classColors(br) {
  const n = br.length + 1;
  return Array.from({ length: n }, (_, i) => PALETTE[n === 1 ? PALETTE.length - 1 : Math.round((i * (PALETTE.length - 1)) / (n - 1))]);
}

export function colorFor(value, br) {
  if (!Number.isFinite(value)) return '#d4d4d4';
  let i = 0;
  while (i < br.length && value > br[i]) i += 1;
  return classColors(br)[i];
}

export default {
  id: 'equity',
  overlays: ['zones-fill', 'zones-line', 'zones-label', 'access-cells', 'walk-barriers'],
  hides: ['districts-label'],
  mount(ctx, panel) {
    const { map } = ctx;
    const body = h('div', { 'aria-live': 'polite' }, message('info', t('loading')));
    panel.append(h('h2', {}, t('equity_title')), h('p', {}, t('equity_intro')), body);
    let alive = true;

    api.indicators().then((list) => {
      if (!alive) return;
      const defs = Array.isArray(list) ? list : list.indicators ?? [];
      if (!defs.length) throw new Error('no indicators');
      const indicatorId = defs.some((d) => d.id === ctx.state.indicator) ? ctx.state.indicator : defs[0].id;
      const scheme = SCHEMES.includes(ctx.state.zones) ? ctx.state.zones : 'districts';
      const indSel = h('select', { id: 'equity-indicator' }, defs.map((d) => h('option', { value: d.id, selected: d.id === indicatorId }, indicatorTitle(d))));
      const zoneSel = h('select', { id: 'equity-zones' }, SCHEMES.map((s) => h('option', { value: s, selected: s === scheme }, t(`zones_${s}`))));
      // A shared link may name edition N; toggling to live and back returns to it.
      const pinned = /^\d+$/.test(ctx.state.edition ?? '') ? ctx.state.edition : 'latest';
      const radio = (value, label) => h('label', { class: 'toggle', for: `equity-figures-${value}` },
        h('input', { type: 'radio', name: 'equity-figures', id: `equity-figures-${value}`, value, checked: (ctx.state.edition === 'live') === (value === 'live') }),
        h('span', {}, label));
      const figures = h('fieldset', { class: 'legend figures-toggle', id: 'equity-figures' },
        h('legend', {}, t('figures')), radio('edition', t('figures_edition')), radio('live', t('figures_live')));
      const source = h('div', { id: 'equity-source', role: 'status' });
      // What the chosen indicator counts, its norm and source: the definition in force at once,
      // then the one the shown figures were computed with (an edition may pin an older version).
      const about = h('div', { id: 'equity-about' });
      const out = h('div', { id: 'equity-out' });
      body.replaceChildren(
        h('div', { class: 'form-row' }, h('label', { for: 'equity-indicator' }, t('indicator')), indSel),
        about,
        h('div', { class: 'form-row' }, h('label', { for: 'equity-zones' }, t('zones')), zoneSel),
        figures, source, out,
      );
      const radios = [...figures.querySelectorAll('input')];
      // Set once the latest edition is found missing: nothing is published yet, so only live
      // figures exist. The URL keeps asking for the edition, so a shared link shows it later.
      let unpublished = false;
      let calls = 0;
      const show = async () => {
        const call = ++calls; // a quicker later answer must not be overwritten by an earlier one
        const def = defs.find((d) => d.id === indSel.value);
        const wantEdition = !unpublished && figures.querySelector('input:checked')?.value !== 'live';
        ctx.update({ indicator: indSel.value, zones: zoneSel.value, ...(unpublished ? {} : { edition: wantEdition ? (pinned === 'latest' ? undefined : pinned) : 'live' }) });
        out.replaceChildren(message('info', t('loading')));
        if (about.firstElementChild?.dataset.indicator !== def?.id) about.replaceChildren(aboutIndicator(def) ?? '');
        try {
          const shapesP = api.zones(zoneSel.value);
          let res;
          let note = unpublished ? t('live_unpublished') : null;
          if (wantEdition) {
            try {
              res = await api.indicator(indSel.value, zoneSel.value, { edition: pinned });
            } catch (e) {
              // Nothing published yet (or not this figure): the live figures, said so plainly.
              if (e.status !== 404 || !['edition_not_found', 'not_in_edition'].includes(e.code)) throw e;
              if (e.code === 'edition_not_found' && pinned === 'latest') {
                unpublished = true;
                radios[0].disabled = true;
                radios[1].checked = true;
              }
              note = e.code === 'not_in_edition' ? tf('not_in_edition', { n: pinned })
                : pinned === 'latest' ? t('live_unpublished') : tf('edition_missing', { n: pinned });
              res = await api.indicator(indSel.value, zoneSel.value);
            }
          } else {
            res = await api.indicator(indSel.value, zoneSel.value);
          }
          const shapes = await shapesP;
          if (!alive || call !== calls) return;
          about.replaceChildren(aboutIndicator(res.indicator ?? def, { alt: def }) ?? '');
          source.replaceChildren(res.edition ? editionLine(res.edition, { id: 'equity-edition' })
            : note ? h('p', { class: 'msg msg-info', id: 'equity-live' }, note)
              : h('p', { class: 'small', id: 'equity-live' }, t('live_note')));
          render(ctx, out, def, res, shapes);
        } catch (e) {
          if (!alive || call !== calls) return;
          source.replaceChildren();
          out.replaceChildren(message('error', indicatorError(e)));
          map.getSource('geo-zones').setData({ type: 'FeatureCollection', features: [] });
          map.getSource('geo-zone-labels').setData({ type: 'FeatureCollection', features: [] });
        }
      };
      for (const r of radios) r.addEventListener('change', show);
      indSel.addEventListener('change', show);
      zoneSel.addEventListener('change', show);
      show();
    }).catch((e) => body.replaceChildren(message('error', errorParts(e, t('error_loading')))));

    const onClick = (e) => {
      const f = map.queryRenderedFeatures(e.point, { layers: ['zones-fill'] })[0];
      if (f) ctx.popup(e.lngLat, [h('strong', {}, f.properties.label_name), h('div', {}, `${t('value')}: ${f.properties.value_text}`)]);
    };
    map.on('click', onClick);
    return () => {
      alive = false;
      map.off('click', onClick);
      map.getSource('geo-zones')?.setData({ type: 'FeatureCollection', features: [] });
      map.getSource('geo-zone-labels')?.setData({ type: 'FeatureCollection', features: [] });
      map.getSource('geo-cells')?.setData({ type: 'FeatureCollection', features: [] });
      map.getSource('geo-barriers')?.setData({ type: 'FeatureCollection', features: [] });
    };
  },
};

/**
 * Where the gap is: for an access indicator, every population cell coloured by its distance
 * to the nearest service (GET /access/cells, straight line), with a legend in metres.
 */
function whereTheGapIs(ctx, out, def) {
  const src = ctx.map.getSource('geo-cells');
  if (def?.measure?.type !== 'access') {
    src.setData({ type: 'FeatureCollection', features: [] });
    return;
  }
  const box = h('section', { id: 'equity-cells', 'aria-live': 'polite' }, h('h3', {}, t('cells_title')), message('info', t('loading')));
  out.append(box);
  api.accessCells(def.id).then((r) => {
    if (!box.isConnected) return;
    const features = r.cells.map((c) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [c.lon, c.lat] },
      properties: c.distance_m === null ? { residents: c.residents } : { residents: c.residents, distance_m: c.distance_m },
    }));
    src.setData({ type: 'FeatureCollection', features });
    const out = r.cells.filter((c) => c.distance_m === null || c.distance_m > r.radius_m).reduce((a, c) => a + c.residents, 0);
    const bounds = DISTANCE_BREAKS_M;
    // A legend fieldset, so the legend on the map copies it too.
    box.replaceChildren(h('fieldset', { class: 'legend' }, h('legend', {}, `${t('cells_title')} · ${indicatorTitle(def)}`),
      h('ul', { class: 'sublegend', id: 'cells-legend' },
        DISTANCE_COLORS.map((c, i) => h('li', {},
          h('span', { class: 'swatch', style: { background: c, borderRadius: '50%', width: '12px', height: '12px' } }),
          i < bounds.length ? tf('cells_upto', { m: length(bounds[i]) }) : tf('cells_beyond', { m: length(bounds[bounds.length - 1]) }))),
        h('li', {}, h('span', { class: 'swatch', style: { background: '#9ca3af', borderRadius: '50%', width: '12px', height: '12px' } }), t('cells_none')))),
      h('p', { class: 'small', id: 'cells-out', 'data-residents': String(out) }, tf('cells_out', { n: num(Math.round(out)) })),
      h('p', { class: 'small synth-note' }, t('cells_note')),
    );
  }).catch((e) => box.isConnected && box.replaceChildren(h('h3', {}, t('cells_title')), message('error', errorParts(e, t('error_loading')))));
}

/**
 * A walking profile (step-free, elderly) beside the able-bodied walk: a switch that colours the
 * zones by the walk's or a profile's share, the gap per zone in percentage points, and the
 * barrier ways on the map with a legend.
 */
function profileBox(ctx, out, def, res, shapes) {
  const wp = res.walk_profile;
  const src = ctx.map.getSource('geo-barriers');
  if (!wp) return src.setData({ type: 'FeatureCollection', features: [] });
  const pct = (v) => (Number.isFinite(v) ? num(100 * v, 1) : '—');
  const radio = (p) => h('label', { class: 'toggle', for: `profile-${p}` },
    h('input', { type: 'radio', name: 'walk-profile', id: `profile-${p}`, value: p, checked: p === wp.profile }), h('span', {}, t(`profile_${p}`)));
  const sw = h('fieldset', { class: 'legend', id: 'profile-switch' }, h('legend', {}, t('profile')), ['walk', 'step_free', 'elderly'].map(radio));
  sw.addEventListener('change', (e) => {
    const p = e.target.value;
    const sel = document.getElementById('equity-indicator');
    if (p === 'walk') render(ctx, out, def, { ...res, zones: res.zones.map((z, i) => ({ ...z, value: wp.zones[i].walk })), walk_profile: { ...wp, profile: p } }, shapes);
    else { sel.value = def.id.replace(/^(step_free|elderly)_/, `${p}_`); sel.dispatchEvent(new Event('change')); }
  });
  const legend = h('p', { class: 'small', id: 'barriers-legend' }, h('span', { class: 'swatch', style: { background: COLORS.gap, height: '4px' } }), ` ${t('barriers')}`);
  out.prepend(sw, h('table', { class: 'data', id: 'profile-gap', tabindex: '0' },
    h('thead', {}, h('tr', {}, [t('zone'), t('profile_walk'), t(`profile_${wp.profile === 'walk' ? 'step_free' : wp.profile}`), t('gap_pp')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, [...wp.zones, { ...wp.city, zone: t('city') }].map((z) => h('tr', { 'data-zone': z.zone },
      h('td', {}, zoneLabel(res.zones.find((r) => r.zone === z.zone) ?? z)), h('td', { class: 'num' }, pct(z.walk)), h('td', { class: 'num' }, pct(z.profile)), h('td', { class: 'num', 'data-gap': z.gap ?? '' }, pct(z.gap)))))), legend);
  api.walkBarriers('step_free').then((fc) => { src.setData(fc); legend.append(` (${num(fc.total)})`); }).catch(() => legend.remove());
}

function render(ctx, out, def, res, shapes) {
  const rows = res.zones ?? res.values ?? [];
  const byKey = new Map(rows.map((r) => [zoneKeyOfRow(r), r]));
  const rawUnit = def?.unit ?? res.indicator?.unit ?? '';
  // Shown values are scaled for reading (shares as %); the map features keep the API's raw value.
  const sc = scaleOf(rawUnit);
  const unit = unitLabel(rawUnit);
  const rawNorm = normValue(res.indicator?.norm ?? def?.norm);
  const norm = Number.isFinite(rawNorm) ? rawNorm * sc : null;
  const d = (v) => (Number.isFinite(v) ? v * sc : null);
  const br = breaks(rows.map((r) => r.value));
  const features = (shapes.features || []).map((f) => {
    const row = byKey.get(zoneKeyOfFeature(f)) ?? {};
    const value = Number.isFinite(row.value) ? row.value : null;
    const name = zoneLabel(row.names || row.name ? row : f.properties);
    return {
      type: 'Feature', id: f.id, geometry: f.geometry,
      properties: {
        zone_key: zoneKeyOfFeature(f), value, color: colorFor(value, br), label_name: name,
        value_text: value === null ? t('no_value') : `${num(d(value), 2)} ${unit}`,
        label: `${name}\n${value === null ? '—' : num(d(value), 1)}`,
      },
    };
  });
  ctx.map.getSource('geo-zones').setData({ type: 'FeatureCollection', features });
  // One label per zone, inside it (a ring clipped by the city is many polygons: one label each would repeat).
  ctx.map.getSource('geo-zone-labels').setData({
    type: 'FeatureCollection',
    features: features.map((f) => ({ type: 'Feature', properties: { label: f.properties.label }, geometry: { type: 'Point', coordinates: labelPoint(f.geometry) } })).filter((f) => f.geometry.coordinates),
  });

  const items = rows.map((r) => ({ label: zoneLabel(r.names || r.name ? r : (shapes.features.find((f) => zoneKeyOfFeature(f) === zoneKeyOfRow(r))?.properties ?? r)), value: r.value, shown: d(r.value), key: zoneKeyOfRow(r) }));
  const legend = h('div', { class: 'choropleth-legend', id: 'equity-legend' },
    h('div', { class: 'small' }, `${indicatorTitle(def)}${unit ? `, ${unit}` : ''}`),
    h('div', { class: 'ramp' }, classColors(br).map((c, i) => h('span', { style: { background: c }, title: i === 0 ? `≤ ${num(d(br[0]), 2)}` : i < br.length ? `${num(d(br[i - 1]), 2)} – ${num(d(br[i]), 2)}` : `> ${num(d(br[br.length - 1]), 2)}` }))),
    h('div', { class: 'ramp-labels small' }, br.map((b) => h('span', {}, num(d(b), 1)))),
    Number.isFinite(norm) ? h('div', { class: 'small' }, `${t('norm')}: ${num(norm, 2)} ${unit}`) : null);

  const centre = rows.filter((r) => zoneRole(r) === 'centre');
  const periphery = rows.filter((r) => zoneRole(r) === 'periphery');
  const mean = (rs) => {
    const w = rs.map((r) => Number(r.population ?? r.residents ?? 1));
    const sw = w.reduce((a, b) => a + b, 0);
    return sw ? rs.reduce((a, r, i) => a + (Number(r.value) || 0) * w[i], 0) / sw : null;
  };
  // The engine gives centre, periphery (population-weighted over their zones) and the service
  // gap (periphery/centre); without them, fall back to a residents-weighted mean of the rows.
  const cValue = Number.isFinite(res.centre?.value) ? res.centre.value : mean(centre);
  const pValue = Number.isFinite(res.periphery?.value) ? res.periphery.value : mean(periphery);
  const ratio = Number.isFinite(res.service_gap) ? res.service_gap : (cValue ? pValue / cValue : null);
  const ineq = res.inequality ?? {};

  out.replaceChildren(
    legend,
    h('h3', {}, indicatorTitle(def)),
    barChart({ title: indicatorTitle(def), items: items.map((i) => ({ ...i, value: i.shown })), norm, unit, digits: 2 }),
    h('h3', {}, t('centre_vs_periphery')),
    Number.isFinite(cValue) || Number.isFinite(pValue)
      ? h('div', { id: 'equity-cp' },
        barChart({ title: t('centre_vs_periphery'), norm, unit, digits: 2, items: [{ label: t('centre'), value: d(cValue), color: '#7c2d12' }, { label: t('periphery'), value: d(pValue), color: '#0e7490' }] }),
        Number.isFinite(ratio) ? h('p', { class: 'small', id: 'equity-gap' }, `${t('gap_ratio')}: ${num(ratio, 2)}`) : null,
        Number.isFinite(ineq.gini) ? h('p', { class: 'small' }, `Gini ${num(ineq.gini, 3)} · Theil T ${num(ineq.theil_t, 3)}${Number.isFinite(ineq.theil_between_share) ? ` (${num(100 * ineq.theil_between_share, 0)} % ${t('centre_vs_periphery').toLowerCase()})` : ''}`) : null)
      : message('info', t('no_value')),
    h('table', { class: 'data', id: 'equity-table', tabindex: '0' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('zone')), h('th', { scope: 'col', class: 'num' }, `${t('value')}${unit ? `, ${unit}` : ''}`))),
      h('tbody', {}, items.map((i) => h('tr', { 'data-zone': i.key }, h('td', {}, i.label), h('td', { class: 'num', 'data-value': i.value ?? '' }, num(i.shown, 2)))))),
    provenance(res, { id: 'equity-provenance' }),
    // A printable report per district (#report/<id>): every indicator, the edition, caveats, a map.
    res.scheme === 'districts'
      ? h('p', { class: 'small report-links', id: 'report-links' }, `${t('report_link')}: `,
        ...items.flatMap((i, n) => [n ? ' · ' : '', h('a', { href: `${location.pathname}?lang=${lang()}#report/${encodeURIComponent(i.key)}` }, i.label)]))
      : null,
  );
  whereTheGapIs(ctx, out, def);
  profileBox(ctx, out, def, res, shapes);
}
