// Residents' proposals: the public map of approved proposals (points clustered, lines and
// areas drawn as lines and fills), a heat map of them weighted by supports, a popup with
// category, status, public answer, supports and "me too"; a submit form (a point, or a line or
// an area drawn by clicking the map vertex by vertex; a hidden honeypot field); a moderator
// queue and moderator controls (approve / reject, the lifecycle's next statuses with a public
// answer or a reason, merging a duplicate), with the token as in the mapper view; and for
// planners the counts per zone and demand beside gap. Every text a resident wrote is put into
// the page as text (h() makes text nodes), never as HTML.
import { t, tf, num, lang } from '../i18n.js';
import { h, message, toggleRow, errorParts } from '../ui.js';
import { representativePoint } from '../geo.js';
import { getToken } from './mapper.js';

const SRC = 'geo-proposals';
const SHAPES_SRC = 'geo-proposal-shapes';
const HEAT_SRC = 'geo-proposal-heat';
const NEW_SRC = 'geo-proposal-new';
/** The server's vector tiles of the public proposals (clusters below zoom 14, each from 14). */
const TILE_SRC = 'tiles-proposals';
const TILE_LAYERS_IDS = ['proposals-tile-fill', 'proposals-tile-line', 'proposals-tile-heat', 'proposals-tile-clusters', 'proposals-tile-count', 'proposals-tile-points'];
/** Public proposals drawn from one GeoJSON page; a larger set is drawn from vector tiles. */
export const PAGE = 5000;
/** `?proposal_tiles=1` in the address the page was opened with (read before the app rewrites it). */
const FORCE_TILES = typeof location !== 'undefined' && new URLSearchParams(location.search).get('proposal_tiles') === '1';
const LAYERS = ['proposals-fill', 'proposals-line', 'proposals-heat', 'proposals-clusters', 'proposals-count', 'proposals-points',
  'proposals-new-fill', 'proposals-new-line', 'proposals-new'];
/** Layers a click on which opens a proposal's popup (or zooms into a cluster). */
const HIT_LAYERS = ['proposals-points', 'proposals-clusters', 'proposals-line', 'proposals-fill', 'proposals-tile-points', 'proposals-tile-clusters', 'proposals-tile-line', 'proposals-tile-fill'];
const PURPLE = '#7c3aed';
/** The heat map's ramp, fewer → more proposals (also the legend's). */
const HEAT_RAMP = ['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];
/** The lifecycle's next statuses (crates/qala-store/src/proposal.rs, transition_allowed). */
export const NEXT_STATUS = {
  received: ['under_review', 'declined'],
  under_review: ['accepted', 'declined'],
  accepted: ['in_plan', 'declined'],
  in_plan: ['done'],
  done: [],
  declined: [],
};
/** Fewest vertices of a drawn shape. */
const MIN_VERTICES = { line: 2, area: 3 };
const isType = (ty) => ['==', ['geometry-type'], ty];
const EMPTY = { type: 'FeatureCollection', features: [] };

const catName = (cats, code) => {
  const c = cats.find((x) => x.code === code);
  return c ? c[`name_${lang()}`] ?? c.name_en : code;
};

/** The heat map's paint: weighted by supports, fading out as one zooms in. */
function heatPaint() {
  return {
    'heatmap-weight': ['interpolate', ['linear'], ['coalesce', ['get', 'supports'], 0], 0, 0.4, 5, 0.7, 20, 1],
    'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 16, 2],
    'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 10, 12, 14, 24, 18, 40],
    'heatmap-opacity': 0.8,
    'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], 0, 'rgba(255,255,178,0)',
      0.15, HEAT_RAMP[0], 0.35, HEAT_RAMP[1], 0.55, HEAT_RAMP[2], 0.75, HEAT_RAMP[3], 1, HEAT_RAMP[4]],
  };
}

function addLayers(map) {
  if (!map.getSource(SRC)) {
    map.addSource(SRC, { type: 'geojson', data: EMPTY, cluster: true, clusterRadius: 40, clusterMaxZoom: 15 });
  }
  for (const s of [SHAPES_SRC, HEAT_SRC, NEW_SRC]) if (!map.getSource(s)) map.addSource(s, { type: 'geojson', data: EMPTY });
  if (!map.getLayer('proposals-clusters')) {
    map.addLayer({ id: 'proposals-fill', type: 'fill', source: SHAPES_SRC, filter: isType('Polygon'),
      paint: { 'fill-color': PURPLE, 'fill-opacity': 0.25 } });
    map.addLayer({ id: 'proposals-line', type: 'line', source: SHAPES_SRC,
      layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': PURPLE, 'line-width': 4, 'line-opacity': 0.9 } });
    // Off until the panel's toggle turns it on; weighted by supports, fading out as one zooms in.
    map.addLayer({ id: 'proposals-heat', type: 'heatmap', source: HEAT_SRC, layout: { visibility: 'none' },
      paint: heatPaint() });
    map.addLayer({ id: 'proposals-clusters', type: 'circle', source: SRC, filter: ['has', 'point_count'],
      paint: { 'circle-color': PURPLE, 'circle-opacity': 0.75, 'circle-radius': ['step', ['get', 'point_count'], 14, 20, 20, 100, 28] } });
    map.addLayer({ id: 'proposals-count', type: 'symbol', source: SRC, filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': ['Noto Sans Bold'], 'text-size': 12 }, paint: { 'text-color': '#fff' } });
    map.addLayer({ id: 'proposals-points', type: 'circle', source: SRC, filter: ['!', ['has', 'point_count']],
      paint: { 'circle-radius': 7, 'circle-color': PURPLE, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
    // What the resident is drawing: the area's fill, the line (or the area's outline), the vertices.
    map.addLayer({ id: 'proposals-new-fill', type: 'fill', source: NEW_SRC, filter: isType('Polygon'),
      paint: { 'fill-color': '#f59e0b', 'fill-opacity': 0.3 } });
    map.addLayer({ id: 'proposals-new-line', type: 'line', source: NEW_SRC, filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': '#b45309', 'line-width': 3, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'proposals-new', type: 'circle', source: NEW_SRC, filter: isType('Point'),
      paint: { 'circle-radius': 7, 'circle-color': '#f59e0b', 'circle-stroke-color': '#78350f', 'circle-stroke-width': 2 } });
  }
}

function removeLayers(map) {
  for (const l of [...LAYERS, ...TILE_LAYERS_IDS]) if (map.getLayer(l)) map.removeLayer(l);
  for (const s of [SRC, SHAPES_SRC, HEAT_SRC, NEW_SRC, TILE_SRC]) if (map.getSource(s)) map.removeSource(s);
}

/**
 * Switches the public map to the server's vector tiles (a set larger than one page): the
 * GeoJSON layers give way to the same styles on the tiles; the heat map follows its toggle.
 */
function useTiles(map, heatOn) {
  if (!map.getSource(TILE_SRC)) {
    map.addSource(TILE_SRC, { type: 'vector', tiles: [`${location.origin}/proposals/tiles/{z}/{x}/{y}.mvt`], maxzoom: 16,
      attribution: 'qala' });
  }
  const before = 'proposals-new-fill';
  const L = 'proposals';
  const add = (layer) => { if (!map.getLayer(layer.id)) map.addLayer({ ...layer, source: TILE_SRC, 'source-layer': L }, before); };
  add({ id: 'proposals-tile-fill', type: 'fill', filter: isType('Polygon'), paint: { 'fill-color': PURPLE, 'fill-opacity': 0.25 } });
  add({ id: 'proposals-tile-line', type: 'line', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': PURPLE, 'line-width': 4, 'line-opacity': 0.9 } });
  add({ id: 'proposals-tile-heat', type: 'heatmap', filter: isType('Point'), layout: { visibility: heatOn ? 'visible' : 'none' },
    paint: { ...heatPaint(),
      'heatmap-weight': ['interpolate', ['linear'], ['coalesce', ['get', 'point_count'], 1], 1, 0.4, 50, 1] } });
  add({ id: 'proposals-tile-clusters', type: 'circle', filter: ['has', 'point_count'],
    paint: { 'circle-color': PURPLE, 'circle-opacity': 0.75, 'circle-radius': ['step', ['get', 'point_count'], 14, 20, 20, 100, 28] } });
  add({ id: 'proposals-tile-count', type: 'symbol', filter: ['has', 'point_count'],
    layout: { 'text-field': ['to-string', ['get', 'point_count']], 'text-font': ['Noto Sans Bold'], 'text-size': 12 }, paint: { 'text-color': '#fff' } });
  add({ id: 'proposals-tile-points', type: 'circle', filter: ['all', isType('Point'), ['!', ['has', 'point_count']]],
    paint: { 'circle-radius': 7, 'circle-color': PURPLE, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  for (const l of ['proposals-fill', 'proposals-line', 'proposals-heat', 'proposals-clusters', 'proposals-count', 'proposals-points']) {
    if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', 'none');
  }
}

/** The GeoJSON geometry of a drawing, or the reason it cannot be sent yet (an i18n key). */
export function drawnGeometry(mode, verts) {
  if (mode === 'point') return verts.length ? { geometry: { type: 'Point', coordinates: verts[0] } } : { refusal: 'prop_need_place' };
  if (verts.length < MIN_VERTICES[mode]) return { refusal: mode === 'line' ? 'prop_need_line' : 'prop_need_area' };
  if (mode === 'line') return { geometry: { type: 'LineString', coordinates: verts } };
  return { geometry: { type: 'Polygon', coordinates: [[...verts, verts[0]]] } };
}

async function request(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  const token = opts.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { ...opts, headers, cache: 'no-cache' });
  const body = (res.headers.get('content-type') || '').includes('json') ? await res.json().catch(() => null) : await res.text();
  return { status: res.status, body };
}

/** A server error in the chosen language, with its code. */
const failure = (r) => message('error', ...errorParts(r.body && typeof r.body === 'object' ? r.body : { code: r.status === 403 ? 'forbidden' : null }, null));

export default {
  id: 'proposals',
  overlays: [],
  hides: [],
  mount(ctx, panel) {
    const { map } = ctx;
    let alive = true;
    let cats = [];
    // The drawing: its kind, its vertices ([lon, lat]) and whether it is finished.
    let mode = 'point';
    let verts = [];
    let finished = false;
    addLayers(map);
    // A public set larger than one page is drawn from the server's vector tiles; `?proposal_tiles=1`
    // asks for them whatever the size.
    let tiled = false;
    let heatOn = false;
    const forceTiles = FORCE_TILES;
    const info = h('p', { id: 'proposals-info', class: 'small' });

    // The legend: the proposals' swatch and the heat map toggle with its ramp.
    const heatRamp = h('div', { class: 'choropleth-legend', id: 'prop-heat-legend' },
      h('div', { class: 'small' }, t('prop_heat_title')),
      h('div', { class: 'ramp', 'aria-hidden': 'true' }, HEAT_RAMP.map((c) => h('span', { style: { background: c } }))),
      h('div', { class: 'ramp-labels small' }, h('span', {}, t('prop_heat_fewer')), h('span', { 'aria-hidden': 'true' }, '→'), h('span', {}, t('prop_heat_more'))));
    const heatNote = h('p', { class: 'small', id: 'prop-heat-note' }, t('prop_heat_note'));
    const legendBox = h('fieldset', { class: 'legend', id: 'proposals-legend' }, h('legend', {}, t('legend')),
      h('ul', { class: 'sublegend' }, h('li', {}, h('span', { class: 'swatch', style: { background: PURPLE }, 'aria-hidden': 'true' }), t('prop_legend_items'))),
      toggleRow({ id: 'prop-heat-toggle', label: t('prop_heat'), checked: false,
        swatch: { background: `linear-gradient(90deg, ${HEAT_RAMP.join(', ')})` },
        onChange: (on) => {
          heatOn = on;
          const heat = tiled ? 'proposals-tile-heat' : 'proposals-heat';
          if (map.getLayer(heat)) map.setLayoutProperty(heat, 'visibility', on ? 'visible' : 'none');
          if (on) legendBox.append(heatRamp, heatNote);
          else { heatRamp.remove(); heatNote.remove(); }
        } }));
    const mapBox = h('section', { id: 'proposals-public' }, h('h2', {}, t('prop_title')), h('p', {}, t('prop_intro')), info, legendBox);
    const formBox = h('section', { id: 'proposal-form-box' });
    const modBox = h('section', { id: 'proposal-moderation' });
    const planBox = h('section', { id: 'proposal-planner' });
    panel.append(mapBox, formBox, planBox, modBox);

    const load = async () => {
      const r = await request(`/proposals?limit=${PAGE}`);
      if (!alive || r.status !== 200) return;
      if (forceTiles || (r.body.numberMatched ?? 0) > PAGE) {
        tiled = true;
        useTiles(map, heatOn);
        // After a change (a support, a moderation step) the tiles are asked for afresh.
        map.getSource(TILE_SRC)?.setTiles([`${location.origin}/proposals/tiles/{z}/{x}/{y}.mvt?v=${r.body.numberMatched}-${Date.now()}`]);
      }
      const fs = tiled ? [] : (r.body.features ?? []);
      map.getSource(SRC)?.setData({ type: 'FeatureCollection', features: fs.filter((f) => f.geometry?.type === 'Point') });
      map.getSource(SHAPES_SRC)?.setData({ type: 'FeatureCollection', features: fs.filter((f) => f.geometry && f.geometry.type !== 'Point') });
      map.getSource(HEAT_SRC)?.setData({ type: 'FeatureCollection', features: fs.map((f) => {
        const c = representativePoint(f.geometry);
        return c && { type: 'Feature', properties: { id: f.properties.id, supports: f.properties.supports ?? 0 }, geometry: { type: 'Point', coordinates: c } };
      }).filter(Boolean) });
      const synth = r.body.synthetic_count ?? 0;
      info.replaceChildren(tf('prop_count', { n: num(r.body.numberMatched) }),
        synth ? h('span', { class: 'badge-synth', id: 'proposals-synthetic', title: t('synthetic_note') }, tf('prop_synthetic_count', { n: num(synth) })) : null);
    };

    const support = async (id, out) => {
      const r = await request(`/proposals/${id}/support`, { method: 'POST' });
      if (r.status === 201) out.replaceChildren(message('ok', `${t('prop_supported')} (${num(r.body.supports)})`));
      else out.replaceChildren(failure(r));
      load();
    };

    // Moderator controls of one proposal: the lifecycle's next statuses (with a public answer,
    // and a reason for declining) and merging it into another as a duplicate. `after(feature)`
    // runs after a step the server accepted; every step reloads the public map.
    const tokenIn = h('input', { type: 'password', id: 'prop-mod-token', autocomplete: 'off', value: getToken() });
    const moderate = async (path, body) => request(path, { method: 'POST', token: tokenIn.value.trim(),
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const modControls = (p0, { after, open = false, note = null } = {}) => {
      const box = h('details', { class: 'prop-mod', 'data-id': p0.id, open });
      const render = (p, msg) => {
        const key = `prop-${p.id}-${Math.random().toString(36).slice(2, 7)}`;
        const next = NEXT_STATUS[p.status] ?? [];
        const out = h('div', { class: 'prop-mod-result', 'aria-live': 'polite' }, msg);
        const sel = h('select', { id: `${key}-next`, class: 'prop-next-status' }, next.map((st) => h('option', { value: st }, t(`prop_status_${st}`))));
        const answer = h('textarea', { id: `${key}-answer`, class: 'prop-public-answer', rows: 2, maxlength: 4000 });
        const reason = h('input', { type: 'text', id: `${key}-reason`, class: 'prop-decline-reason', maxlength: 2000 });
        const reasonRow = h('div', { class: 'form-row', hidden: sel.value !== 'declined' }, h('label', { for: `${key}-reason` }, t('prop_decline_reason')), reason);
        sel.addEventListener('change', () => { reasonRow.hidden = sel.value !== 'declined'; });
        const into = h('input', { type: 'number', id: `${key}-into`, class: 'prop-merge-into', min: 1, step: 1, inputmode: 'numeric' });
        const setStatus = async () => {
          const body = { status: sel.value };
          if (answer.value.trim()) body.public_answer = answer.value;
          if (sel.value === 'declined') body.reason = reason.value;
          const r = await moderate(`/proposals/${p.id}/status`, body);
          if (r.status !== 200) { out.replaceChildren(failure(r)); return; }
          render(r.body.properties, message('ok', tf('prop_status_changed', { s: t(`prop_status_${r.body.properties.status}`) })));
          load();
          after?.(r.body);
        };
        const merge = async () => {
          const n = Number(into.value);
          if (!Number.isInteger(n) || n < 1) { out.replaceChildren(message('error', t('prop_merge_need_id'))); return; }
          const r = await moderate(`/proposals/${p.id}/merge`, { into: n });
          if (r.status !== 200) { out.replaceChildren(failure(r)); return; }
          out.replaceChildren(message('ok', tf('prop_merged', { id: p.id, into: n })));
          box.querySelectorAll('button, input, select, textarea').forEach((el) => { el.disabled = true; });
          load();
          after?.(r.body);
        };
        box.replaceChildren(h('summary', {}, t('prop_moderate')),
          h('p', { class: 'small prop-mod-status' }, `${t('prop_status')}: ${t(`prop_status_${p.status}`)}`),
          next.length ? h('div', { class: 'prop-next' },
            h('div', { class: 'form-row' }, h('label', { for: `${key}-next` }, t('prop_next_status')), sel),
            h('div', { class: 'form-row' }, h('label', { for: `${key}-answer` }, t('prop_public_answer')), answer),
            reasonRow,
            h('button', { type: 'button', class: 'prop-set-status', onclick: setStatus }, t('prop_set_status')))
            : h('p', { class: 'small' }, t('prop_final_status')),
          h('div', { class: 'form-row' }, h('label', { for: `${key}-into` }, t('prop_merge_into')), into),
          h('button', { type: 'button', class: 'prop-merge', onclick: merge }, t('prop_merge')),
          out);
      };
      render(p0, note);
      return box;
    };

    const showPopup = (props, lngLat, note = null) => {
      const p = props;
      const out = h('div', { class: 'prop-support-result' });
      const token = tokenIn.value.trim();
      ctx.popup(lngLat, [
        h('strong', { class: 'prop-cat' }, `#${p.id} ${catName(cats, p.category)}`),
        p.synthetic ? h('span', { class: 'badge-synth' }, t('synthetic')) : null,
        h('p', { class: 'prop-text' }, p.text),
        h('p', { class: 'small prop-status' }, `${t('prop_status')}: ${t(`prop_status_${p.status}`)}`),
        p.public_answer ? h('p', { class: 'small prop-answer' }, `${t('prop_answer')}: ${p.public_answer}`) : null,
        p.decline_reason ? h('p', { class: 'small' }, `${t('prop_reason')}: ${p.decline_reason}`) : null,
        h('p', { class: 'small' }, `${t('prop_supports')}: ${num(p.supports)}`),
        h('button', { type: 'button', class: 'prop-me-too', onclick: () => support(p.id, out) }, t('prop_me_too')),
        out,
        // A moderator (a token entered below) moves it along the lifecycle or merges it here.
        token ? modControls(p, { open: Boolean(note), note, after: (f) => {
          if (f.properties.moderation === 'approved') showPopup(f.properties, lngLat, message('ok', tf('prop_status_changed', { s: t(`prop_status_${f.properties.status}`) })));
        } }) : null,
      ]);
    };

    // The drawing on the map and the words beside the form.
    const drawNote = h('p', { id: 'prop-place', class: 'small', 'aria-live': 'polite' }, t('prop_click_map'));
    const finishBtn = h('button', { type: 'button', id: 'prop-finish', onclick: () => finish() }, t('prop_finish'));
    const undoBtn = h('button', { type: 'button', id: 'prop-undo', onclick: () => undo() }, t('prop_undo'));
    const drawTools = h('div', { class: 'prop-draw-tools', hidden: true }, finishBtn, undoBtn);
    const result = h('div', { id: 'prop-result', 'aria-live': 'polite' });
    const redraw = () => {
      const pts = verts.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
      const shape = [];
      if (mode === 'line' && verts.length >= 2) shape.push({ type: 'LineString', coordinates: verts });
      if (mode === 'area' && verts.length >= 3) shape.push({ type: 'Polygon', coordinates: [[...verts, verts[0]]] });
      else if (mode === 'area' && verts.length === 2) shape.push({ type: 'LineString', coordinates: verts });
      map.getSource(NEW_SRC)?.setData({ type: 'FeatureCollection', features: [...shape.map((g) => ({ type: 'Feature', properties: {}, geometry: g })), ...pts] });
      drawTools.hidden = mode === 'point';
      undoBtn.disabled = !verts.length;
      finishBtn.disabled = finished;
      if (mode === 'point') {
        drawNote.textContent = verts.length ? `${t('prop_place_set')}: ${verts[0][1].toFixed(5)}, ${verts[0][0].toFixed(5)}` : t('prop_click_map');
      } else if (finished) {
        drawNote.textContent = `${t(mode === 'line' ? 'prop_line_done' : 'prop_area_done')}. ${tf('prop_points_n', { n: num(verts.length) })}`;
      } else {
        drawNote.textContent = `${t(mode === 'line' ? 'prop_draw_line' : 'prop_draw_area')} ${tf('prop_points_n', { n: num(verts.length) })}`;
      }
    };
    const finish = () => {
      const d = drawnGeometry(mode, verts);
      if (d.refusal) { result.replaceChildren(message('error', t(d.refusal))); return; }
      finished = true;
      result.replaceChildren();
      redraw();
    };
    const undo = () => {
      verts.pop();
      finished = false;
      redraw();
    };
    const setMode = (m) => {
      mode = m;
      verts = [];
      finished = false;
      result.replaceChildren();
      // A double click adds two vertices, not a zoom, while a line or an area is drawn.
      if (m === 'point') map.doubleClickZoom.enable(); else map.doubleClickZoom.disable();
      redraw();
    };

    const onClick = (e) => {
      const drawing = mode !== 'point' && !finished;
      const hits = drawing ? [] : map.queryRenderedFeatures(e.point, { layers: HIT_LAYERS.filter((l) => map.getLayer(l)) });
      const hit = hits[0];
      if (hit && hit.properties.cluster) {
        map.easeTo({ center: hit.geometry.coordinates, zoom: map.getZoom() + 2 });
        return;
      }
      if (hit && hit.layer.id.startsWith('proposals-tile-') && hit.properties.point_count) {
        map.easeTo({ center: e.lngLat, zoom: Math.max(map.getZoom() + 2, 14) });
        return;
      }
      if (hit && hit.layer.id.startsWith('proposals-tile-')) {
        // Tiles carry no text: the proposal itself, public fields only.
        const at = hit.geometry.type === 'Point' ? hit.geometry.coordinates : e.lngLat;
        request(`/proposals/${hit.id}`).then((r) => { if (alive && r.status === 200) showPopup({ ...r.body.properties }, at); });
        return;
      }
      if (hit) {
        showPopup({ ...hit.properties }, hit.geometry.type === 'Point' ? hit.geometry.coordinates : e.lngLat);
        return;
      }
      if (mode !== 'point' && finished) return;
      // The click is the drawing's: no basemap popup for it (main.js reads this mark).
      e.qalaClaimed = true;
      const c = [Number(e.lngLat.lng.toFixed(6)), Number(e.lngLat.lat.toFixed(6))];
      if (mode === 'point') verts = [c]; else verts.push(c);
      redraw();
    };
    map.on('click', onClick);

    // The submit form.
    const shapeName = `prop-shape-${Math.random().toString(36).slice(2, 7)}`;
    const shapeBox = h('fieldset', { class: 'prop-shape segmented', id: 'prop-shape' }, h('legend', {}, t('prop_shape')),
      ['point', 'line', 'area'].map((m) => h('label', { class: 'seg' },
        h('input', { type: 'radio', name: shapeName, value: m, id: `prop-shape-${m}`, checked: m === 'point', onchange: (e) => { if (e.target.checked) setMode(m); } }),
        h('span', {}, t(`prop_shape_${m}`)))));
    const catSel = h('select', { id: 'prop-category', required: true });
    const text = h('textarea', { id: 'prop-text', maxlength: 2000, rows: 4, required: true });
    const photo = h('input', { type: 'file', id: 'prop-photo', accept: 'image/jpeg,image/png' });
    const contact = h('input', { type: 'text', id: 'prop-contact', maxlength: 200, autocomplete: 'email' });
    // The honeypot: hidden from people and from screen readers; robots fill it.
    const honey = h('input', { type: 'text', id: 'prop-website', name: 'website', tabindex: '-1', autocomplete: 'off' });
    const form = h('form', { id: 'proposal-form', onsubmit: async (e) => {
      e.preventDefault();
      const d = drawnGeometry(mode, verts);
      if (d.refusal) { result.replaceChildren(message('error', t(d.refusal))); return; }
      const sub = { geometry: d.geometry, category: catSel.value, text: text.value };
      if (contact.value.trim()) sub.contact = contact.value;
      if (honey.value) sub.website = honey.value;
      const fd = new FormData();
      fd.append('proposal', JSON.stringify(sub));
      if (photo.files[0]) fd.append('photo', photo.files[0]);
      const r = await request('/proposals', { method: 'POST', body: fd });
      if (r.status === 202) {
        result.replaceChildren(message('ok', t('prop_sent')));
        text.value = '';
        photo.value = '';
        if (mode !== 'point') { verts = []; finished = false; redraw(); }
      } else if (r.status === 409 && r.body?.code === 'duplicate_proposal') {
        const out = h('div');
        result.replaceChildren(message('error', t('prop_duplicate')),
          h('button', { type: 'button', id: 'prop-support-instead', onclick: () => support(r.body.existing_id, out) }, t('prop_support_instead')), out);
      } else {
        result.replaceChildren(failure(r));
      }
    } },
    h('h3', {}, t('prop_submit_title')), shapeBox, drawNote, drawTools,
    h('div', { class: 'form-row' }, h('label', { for: 'prop-category' }, t('prop_category')), catSel),
    h('div', { class: 'form-row' }, h('label', { for: 'prop-text' }, t('prop_text')), text),
    h('div', { class: 'form-row' }, h('label', { for: 'prop-photo' }, t('prop_photo')), photo),
    h('div', { class: 'form-row' }, h('label', { for: 'prop-contact' }, t('prop_contact')), contact, h('p', { class: 'small' }, t('prop_contact_note'))),
    h('div', { class: 'hp', 'aria-hidden': 'true', style: { position: 'absolute', left: '-10000px', width: '1px', height: '1px', overflow: 'hidden' } },
      h('label', { for: 'prop-website' }, t('prop_honeypot')), honey),
    h('button', { type: 'submit', id: 'prop-send' }, t('prop_send')), result);
    formBox.append(form);
    redraw();
    // Planner: counts per zone and demand beside gap.
    const zonesSel = h('select', { id: 'prop-zones' }, ['districts', 'rings'].map((z) => h('option', { value: z }, t(`prop_zones_${z}`))));
    const planOut = h('div', { id: 'prop-plan-out' });
    const renderPlan = async () => {
      const z = zonesSel.value;
      const [s, d] = await Promise.all([request(`/proposals/stats?zones=${z}`), request(`/proposals/demand?zones=${z}`)]);
      if (!alive) return;
      if (s.status !== 200) { planOut.replaceChildren(message('error', `${s.body?.code ?? s.status}`)); return; }
      const zname = (zz) => zz.names?.[lang()] ?? zz.zone;
      const statsTable = h('table', { class: 'data', id: 'prop-stats-table' },
        h('thead', {}, h('tr', {}, [t('zone'), t('prop_count_short'), t('prop_per_10k')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, s.body.zones.map((zz) => h('tr', {}, h('td', {}, zname(zz)), h('td', { class: 'num' }, num(zz.proposals)), h('td', { class: 'num' }, num(zz.per_10k, 2))))));
      const demand = (d.status === 200 ? d.body.pairs : []).filter((p) => p.zones).map((p) => h('div', { class: 'prop-demand' },
        h('h4', {}, `${catName(cats, p.category)} ↔ ${p.indicator_names?.[lang()] ?? p.indicator}`),
        h('p', { class: 'prop-r' }, `${t('prop_correlation')}: ${p.pearson_r === null ? '—' : num(p.pearson_r, 2)}`),
        h('table', { class: 'data' },
          h('thead', {}, h('tr', {}, [t('zone'), t('prop_per_10k'), t('prop_indicator_value')].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', {}, p.zones.map((zz) => h('tr', {}, h('td', {}, zname(zz)), h('td', { class: 'num' }, num(zz.proposals_per_10k, 2)),
            h('td', { class: 'num' }, num(zz.indicator_value, 3))))))));
      planOut.replaceChildren(statsTable, h('h3', {}, t('prop_demand')), ...demand,
        h('p', {}, h('a', { href: `/proposals/stats?zones=${z}&format=csv`, download: 'proposals-stats.csv' }, t('prop_export_csv')), ' · ',
          h('a', { href: '/proposals?limit=5000', download: 'proposals.geojson' }, t('prop_export_geojson'))));
    };
    zonesSel.addEventListener('change', renderPlan);
    planBox.append(h('h3', {}, t('prop_planner')), h('div', { class: 'form-row' }, h('label', { for: 'prop-zones' }, t('zone')), zonesSel), planOut);

    // Moderator: the queue (pending proposals, oldest first): approve or reject, and the
    // same status and merge controls as in a public proposal's popup.
    const queue = h('div', { id: 'prop-queue' });
    const queueNote = h('div', { id: 'prop-queue-note', 'aria-live': 'polite' });
    const decide = async (id, body, row) => {
      const r = await moderate(`/proposals/${id}/moderation`, body);
      row.querySelector('.prop-decision')?.remove();
      row.append(r.status === 200 ? h('div', { class: 'prop-decision' }, message('ok', t('prop_done'))) : h('div', { class: 'prop-decision' }, failure(r)));
      if (r.status === 200) { row.querySelectorAll('button, input, select, textarea').forEach((b) => { b.disabled = true; }); load(); }
    };
    const loadQueue = async () => {
      const r = await request('/moderation/proposals?limit=200', { token: tokenIn.value.trim() });
      if (!alive) return;
      if (r.status !== 200) { queue.replaceChildren(failure(r)); return; }
      const items = r.body.features;
      queue.replaceChildren(items.length ? h('ul', { class: 'prop-queue' }, items.map((f) => {
        const p = f.properties;
        const reason = h('input', { type: 'text', class: 'prop-reason', 'aria-label': t('prop_reason') });
        const row = h('li', { 'data-id': p.id },
          h('strong', {}, `#${p.id} ${catName(cats, p.category)}`), ' ', h('span', { class: 'small' }, t(`prop_shape_${{ Point: 'point', LineString: 'line', Polygon: 'area' }[f.geometry?.type] ?? 'point'}`)),
          p.synthetic ? h('span', { class: 'badge-synth' }, t('synthetic')) : null,
          h('p', { class: 'prop-text' }, p.text),
          h('button', { type: 'button', class: 'prop-approve', onclick: () => decide(p.id, { action: 'approve' }, row) }, t('prop_approve')),
          reason,
          h('button', { type: 'button', class: 'prop-reject', onclick: () => decide(p.id, { action: 'reject', reason: reason.value }, row) }, t('prop_reject')),
          modControls(p, { after: (res) => {
            if (res.properties.moderation === 'merged') {
              queueNote.replaceChildren(message('ok', tf('prop_merged', { id: p.id, into: res.properties.merged_into })));
              loadQueue();
            }
          } }));
        return row;
      })) : h('p', {}, t('prop_queue_empty')));
    };
    modBox.append(h('h3', {}, t('prop_moderation')),
      h('div', { class: 'form-row' }, h('label', { for: 'prop-mod-token' }, t('prop_token')), tokenIn),
      h('button', { type: 'button', id: 'prop-load-queue', onclick: loadQueue }, t('prop_load_queue')), queueNote, queue);

    (async () => {
      const r = await request('/proposals/categories');
      if (!alive) return;
      cats = r.status === 200 ? r.body : [];
      catSel.replaceChildren(...cats.map((c) => h('option', { value: c.code }, c[`name_${lang()}`] ?? c.name_en)));
      await load();
      await renderPlan();
      document.body.dataset.proposalsReady = 'true';
    })().catch((e) => info.replaceChildren(message('error', `${t('error_loading')}: ${e.message}`)));

    return () => {
      alive = false;
      map.off('click', onClick);
      map.doubleClickZoom.enable();
      removeLayers(map);
      delete document.body.dataset.proposalsReady;
    };
  },
};
