// Boots the qala web app: reads the state from the URL, loads the web font, builds the map and
// mounts the view. The URL is rewritten on every change so a link reproduces what one sees.
import * as maplibregl from 'maplibre-gl';
import { setLang, t, LANGS, LANG_NAMES, lang } from './i18n.js';
import { parseState, formatState, VIEWS } from './state.js';
import { buildStyle, roadLabel, styleLayersOf, TILE_LAYERS } from './style.js';
import { tileJsonUrl, absoluteUrl, api } from './api.js';
import { centroid, polygonsOf } from './geo.js';
import { h, errorParts } from './ui.js';
import { SearchControl } from './search.js';
import { LegendControl, ButtonControl, featureList, downloads, exportPng, localiseControls, localiseAttribution, mapLocale, keepPopupClear, basePopup, BASE_POPUP_LAYERS } from './maptools.js';
import bike, { invalidate as invalidateBike } from './views/bike.js';
import greening, { invalidate as invalidateGreening } from './views/greening.js';
import equity from './views/equity.js';
import wayfinding from './views/wayfinding.js';
import planner from './views/planner.js';
import mapper from './views/mapper.js';
import proposals from './views/proposals.js';
import { reportDistrict, renderReport } from './report.js';

const VIEW_MODULES = { bike, greening, equity, wayfinding, planner, mapper, proposals };
const ALL_OVERLAYS = [...new Set(Object.values(VIEW_MODULES).flatMap((v) => v.overlays))];
/** Style layers drawn in every view (the basemap), even when a view lists them as overlays. */
const BASEMAP = new Set(['green-spaces']);

const state = parseState(location.search, navigator.language);
let unmount = null;
let popup = null;
const legend = new LegendControl();
const searchBox = new SearchControl();
const exportButton = new ButtonControl({ id: 'export-png', label: 'export_png', icon: '⤓', onClick: () => exportPng(ctx.map) });
let legendObserver = null;
let popupSeq = 0;
let featureListOf = null;

function writeUrl() {
  history.replaceState(null, '', formatState(state) + location.hash);
}

function renderChrome() {
  const nav = document.getElementById('views');
  nav.replaceChildren(...VIEWS.map((v) => h('a', {
    href: formatState({ ...state, view: v }),
    class: 'view-link',
    'data-view': v,
    'aria-current': v === state.view ? 'page' : null,
    onclick: (e) => { e.preventDefault(); showView(v); },
  }, t(`view_${v}`))));
  const langs = document.getElementById('langs');
  langs.replaceChildren(...LANGS.map((l) => h('button', {
    type: 'button', lang: l, 'data-lang': l, 'aria-pressed': String(l === lang()), title: LANG_NAMES[l],
    onclick: () => switchLang(l),
  }, l.toUpperCase())));
}

const ctx = {
  map: null,
  state,
  /** How many popups were opened so far (tells a caller whether a click opened one). */
  get popupSeq() { return popupSeq; },
  update(partial) {
    Object.assign(state, partial);
    writeUrl();
  },
  isVisible(id) {
    return ctx.map.getLayoutProperty(id, 'visibility') !== 'none';
  },
  setVisible(id, on) {
    for (const l of styleLayersOf(id)) if (ctx.map.getLayer(l)) ctx.map.setLayoutProperty(l, 'visibility', on ? 'visible' : 'none');
  },
  popup(lngLat, children) {
    popupSeq += 1;
    popup?.remove();
    popup = new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(lngLat).setDOMContent(h('div', { class: 'popup' }, children)).addTo(ctx.map);
    popup.getElement().querySelector('.maplibregl-popup-close-button')?.setAttribute('aria-label', t('popup_close'));
    keepPopupClear(ctx.map, popup);
  },
  /** A layer got a new version: read its TileJSON again (it names the new version's tiles) and drop the views' cached copies. */
  layerChanged(slug) {
    const src = ctx.map.getSource(`src-${slug}`);
    if (src) src.setUrl(tileJsonUrl(slug));
    if (['bike-lanes', 'districts', 'population'].includes(slug)) invalidateBike();
    if (['tree-fellings', 'tree-plantings'].includes(slug)) invalidateGreening();
  },
};

/** District names at the centroid of each district's largest polygon. */
async function loadDistrictLabels() {
  try {
    const fc = await api.items('districts');
    const area = (rings) => Math.abs(rings[0].reduce((a, p, i, r) => a + (i ? (r[i - 1][0] * p[1] - p[0] * r[i - 1][1]) : 0), 0));
    const features = fc.features.map((f) => {
      const largest = polygonsOf(f.geometry).sort((a, b) => area(b) - area(a))[0];
      return { type: 'Feature', properties: f.properties, geometry: { type: 'Point', coordinates: centroid({ type: 'Polygon', coordinates: largest }) } };
    });
    ctx.map.getSource('geo-district-labels').setData({ type: 'FeatureCollection', features });
  } catch {
    // The labels are a convenience; the district outlines come from the tiles regardless.
  }
}

function showView(v) {
  unmount?.();
  unmount = null;
  popup?.remove();
  legendObserver?.disconnect();
  featureListOf?.dispose();
  state.view = v;
  writeUrl();
  renderChrome();
  const view = VIEW_MODULES[v];
  for (const id of ALL_OVERLAYS) if (!BASEMAP.has(id)) ctx.setVisible(id, view.overlays.includes(id));
  ctx.setVisible('districts-label', !(view.hides ?? []).includes('districts-label'));
  const panel = document.getElementById('panel-body');
  panel.replaceChildren();
  document.body.dataset.view = v;
  if (v === 'equity' || v === 'planner') panel.append(h('p', { class: 'small synth-note', id: 'figures-note' }, t('figures_note')));
  unmount = view.mount(ctx, panel) || null;
  // Shared tools under the view's own panel: the keyboard list of map features and the downloads.
  const tools = h('div', { class: 'panel-tools' });
  if (v !== 'mapper') {
    featureListOf = featureList(ctx, () => [...view.overlays, ...BASE_POPUP_LAYERS]);
    tools.append(featureListOf.el);
  }
  const dl = downloads(ctx.map, view.overlays);
  if (dl) tools.append(dl);
  panel.append(tools);
  // The on-map legend follows the panel's (toggles, the equity ramp) as they change.
  legend.update(panel);
  legendObserver = new MutationObserver(() => legend.update(panel));
  legendObserver.observe(panel, { childList: true, subtree: true, attributes: true, attributeFilter: ['checked'] });
  // Toggles a view draws later (the bike view's modes) too: one handler on the panel, replaced per view.
  panel.onchange = (e) => { if (e.target.closest?.('fieldset.legend')) legend.update(panel); };
}

function switchLang(l) {
  state.lang = l;
  setLang(l);
  ctx.map.setLayoutProperty('districts-label', 'text-field', ['get', `name_${l}`]);
  ctx.map.setLayoutProperty('roads-label', 'text-field', roadLabel(l));
  localiseControls(ctx.map);
  exportButton.relabel();
  searchBox.relabel();
  showView(state.view);
}

async function boot() {
  setLang(state.lang);
  renderChrome();
  // MapLibre draws labels with this face (local-font mode); load it first so the first frame has it.
  await Promise.race([
    Promise.all(['400', '700'].map((w) => document.fonts.load(`${w} 16px "Noto Sans"`, 'Aa Әә Ққ Ңң Өө Ұұ Үү Һһ Іі Жж'))),
    new Promise((r) => { setTimeout(r, 3000); }),
  ]);
  maplibregl.setWorkerUrl(new URL('maplibre-gl-worker.mjs', document.baseURI).href);
  const map = new maplibregl.Map({
    container: 'map',
    style: buildStyle(state.lang),
    center: [state.map.lon, state.map.lat],
    zoom: state.map.zoom,
    maxZoom: 18,
    attributionControl: false,
    localIdeographFontFamily: '"Noto Sans", sans-serif',
    locale: mapLocale(),
    // TileJSON's tile URLs are relative to the server's root unless it runs with --public-url.
    transformRequest: (url) => ({ url: absoluteUrl(url) }),
  });
  ctx.map = map;
  // The first complete map (style, tiles, labels drawn): the browser test reads this mark.
  map.once('idle', () => performance.mark('qala-first-map'));
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.GeolocateControl({ positionOptions: { enableHighAccuracy: true }, trackUserLocation: false }), 'top-right');
  map.addControl(exportButton, 'top-right');
  map.addControl(searchBox, 'top-left');
  map.addControl(legend, 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

  map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: 'qala' }), 'bottom-right');
  localiseAttribution();
  map.on('moveend', () => {
    const c = map.getCenter();
    ctx.update({ map: { zoom: map.getZoom(), lat: c.lat, lon: c.lng } });
  });
  // Popups for the basemap (streets, buildings, services) where the view has no feature of its own.
  // Runs after the view's own click handler: if that opened nothing, the feature still gets a popup
  // (unless the view took the click for itself, e.g. a vertex of a proposal being drawn).
  map.on('click', (e) => {
    const seq = popupSeq;
    setTimeout(() => {
      if (popupSeq !== seq || e.qalaClaimed) return;
      const layers = [...VIEW_MODULES[state.view].overlays, ...BASE_POPUP_LAYERS].filter((id) => map.getLayer(id) && ctx.isVisible(id));
      const f = layers.length ? map.queryRenderedFeatures(e.point, { layers })[0] : null;
      if (f) ctx.popup(e.lngLat, basePopup(f));
    }, 0);
  });
  map.on('mousemove', (e) => {
    const layers = [...ALL_OVERLAYS, ...BASE_POPUP_LAYERS].filter((id) => map.getLayer(id) && ctx.isVisible(id));
    map.getCanvas().style.cursor = map.queryRenderedFeatures(e.point, { layers }).length ? 'pointer' : '';
  });
  map.getCanvas().setAttribute('aria-label', t('app_title'));
  document.getElementById('panel-toggle').addEventListener('click', () => {
    const open = document.body.classList.toggle('panel-open');
    document.getElementById('panel-toggle').setAttribute('aria-expanded', String(open));
    document.getElementById('panel-toggle').textContent = t(open ? 'hide_panel' : 'show_panel');
    if (open) document.getElementById('panel').focus();
  });
  await new Promise((r) => { map.on('load', r); });
  showView(state.view);
  await loadDistrictLabels();
  window.qala = { map, state, ctx, tileLayers: TILE_LAYERS, ready: true };
  document.body.dataset.ready = 'true';
}

// `#report/<district>`: the printable district report instead of the map app.
window.addEventListener('hashchange', () => { if (reportDistrict(location.hash)) location.reload(); });
const reportOf = reportDistrict(location.hash);
(reportOf ? (setLang(state.lang), renderReport(reportOf, state).then(() => {
  window.qala = { state, ready: true, report: true };
  document.body.dataset.ready = 'true';
})) : boot()).catch((e) => {
  if (reportOf) {
    document.body.replaceChildren(h('main', { class: 'report' }, h('p', { class: 'msg msg-error', role: 'alert' }, errorParts(e, t('error_loading')))));
    return;
  }
  document.getElementById('panel-body').replaceChildren(h('p', { class: 'msg msg-error', role: 'alert' }, errorParts(e, t('error_loading'))));
});
