// Tools every view shares: the legend on the map (built from the view's panel legend, so it
// says the same), locate-me, a PNG of the map with legend, scale, attribution, date and the data
// caveats, popups for the basemap layers (streets, buildings, services), a keyboard list of
// the features on the map (each opens its popup), per-layer download links, and the note that
// equity and planner figures rest on a synthetic population grid and 2013 streets.
import * as maplibregl from 'maplibre-gl';
import { t, tf, lang, layerName, num, date, placeName, localAttribution } from './i18n.js';
import { code } from './codes.js';
import { h } from './ui.js';
import { labelPoint } from './geo.js';

/** Style layers drawn from a GeoJSON source the views fill, and the served layer each comes from. */
const GEO_SLUG = { 'geo-fellings': 'tree-fellings', 'geo-plantings': 'tree-plantings', 'geo-coverage': 'nav-signs' };
/** Basemap layers with a popup of their own (the views handle their overlays). */
const BASE_POPUP_LAYERS = ['services', 'roads-major', 'roads-minor', 'buildings', 'green-spaces'];

/** The served layer (slug) behind a style layer, or null for drawn-only layers. */
export function slugOfLayer(map, id) {
  const src = map.getLayer(id)?.source;
  if (!src) return null;
  if (src.startsWith('src-')) return src.slice(4);
  return GEO_SLUG[src] ?? null;
}

/** The popup content of a basemap feature (street, building, service, green space). */
export function basePopup(f) {
  const p = f.properties ?? {};
  const id = f.layer.id;
  if (id === 'services') {
    return [h('strong', {}, placeName(p) || code('category', p.category)), placeName(p) ? h('div', {}, code('category', p.category)) : null,
      Number.isFinite(Number(p.capacity)) && p.capacity !== null ? h('div', {}, `${t('capacity')}: ${num(p.capacity)}`) : null,
      h('div', { class: 'small' }, t('osm_attribution'))];
  }
  if (id.startsWith('roads')) {
    return [h('strong', {}, placeName(p) || t('unnamed_street')), h('div', {}, `${t('road_class')}: ${code('highway', p.highway)}`), h('div', { class: 'small' }, t('osm_attribution'))];
  }
  if (id === 'buildings') {
    return [h('strong', {}, t('building')), Number.isFinite(Number(p.levels)) && p.levels !== null ? h('div', {}, `${t('levels')}: ${num(p.levels)}`) : null,
      h('div', { class: 'small' }, t('osm_attribution'))];
  }
  if (id === 'green-spaces') {
    return [h('strong', {}, placeName(p) || t('green_parks')), p.category ? h('div', {}, code('green_category', p.category)) : null, h('div', { class: 'small' }, t('osm_attribution'))];
  }
  // any other layer (zones, the historic centre, …): its name and the layer it belongs to
  const source = f.source ?? f.layer.source ?? '';
  const slug = source.startsWith('src-') ? source.slice(4) : null;
  return [h('strong', {}, placeName(p) || p.label_name || (slug ? layerName(slug) : t('zone'))), slug ? h('div', {}, layerName(slug)) : null,
    p.synthetic ? h('div', { class: 'badge-synth' }, t('synthetic')) : null];
}

/** A short label of a feature for the keyboard list. */
function featureLabel(map, f) {
  const p = f.properties ?? {};
  const slug = slugOfLayer(map, f.layer.id);
  const kind = f.layer.id.startsWith('bike-lanes') ? t(`bike_${p.status}`)
    : f.layer.id.startsWith('lts-') ? tf('lts_level', { n: p.lts })
    : f.layer.id === 'nav-signs' ? code('sign', p.sign_type)
      : f.layer.id === 'services' ? code('category', p.category)
        : f.layer.id.startsWith('roads') ? code('highway', p.highway)
          : f.layer.id === 'zones-fill' ? ''
            : slug ? layerName(slug) : '';
  const name = placeName(p) || p.label_name || p.permit_no || p.felling_permit_no || '';
  return [name, kind].filter(Boolean).join(' · ') || kind || t('features');
}

/** A screen point on a feature (a point itself, a middle vertex of a line, inside a polygon). */
function pointOn(map, f) {
  const g = f.geometry;
  const { width, height } = map.getCanvas().getBoundingClientRect();
  const onScreen = (c) => { const p = map.project(c); return p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height; };
  let c = null;
  if (g.type === 'Point') c = g.coordinates;
  else if ((g.type === 'Polygon' || g.type === 'MultiPolygon') && f.layer.type !== 'line') c = labelPoint(g);
  if (!c || !onScreen(c)) {
    // a vertex on screen (lines, and the outline of a polygon drawn as a line)
    const verts = [];
    const walk = (x) => { if (typeof x[0] === 'number') verts.push(x); else x.forEach(walk); };
    walk(g.coordinates);
    c = verts.find((v, i) => i >= verts.length / 2 && onScreen(v)) ?? verts.find(onScreen) ?? c;
  }
  return c ? { lngLat: new maplibregl.LngLat(c[0], c[1]), point: map.project(c) } : null;
}

/** The keyboard way to every feature on the map: a list of buttons, each opening its popup. */
export function featureList(ctx, layers) {
  const { map } = ctx;
  const list = h('div', { class: 'feature-list-body' });
  const details = h('details', { id: 'feature-list', class: 'feature-list' },
    h('summary', {}, t('features_in_view')), h('p', { class: 'small' }, t('features_in_view_hint')), list);
  const MAX = 40;
  let lastSig = null;
  const refresh = () => {
    if (!details.open) return;
    // A keyboard user is in the list: rebuilding it now would drop their focus.
    if (list.contains(document.activeElement) && lastSig !== null) return;
    const visible = layers().filter((l) => map.getLayer(l) && map.getLayoutProperty(l, 'visibility') !== 'none');
    const seen = new Set();
    const feats = [];
    for (const f of map.queryRenderedFeatures({ layers: visible })) {
      const key = `${f.layer.id}|${f.id ?? JSON.stringify(f.properties)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      feats.push(f);
    }
    const sig = feats.slice(0, MAX).map((f) => `${f.layer.id}|${f.id ?? JSON.stringify(f.properties)}`).join('\n') + `|${feats.length}`;
    if (sig === lastSig) return;
    lastSig = sig;
    if (!feats.length) { list.replaceChildren(h('p', { class: 'small' }, t('features_none'))); return; }
    list.replaceChildren(h('ul', {}, feats.slice(0, MAX).map((f) => h('li', {}, h('button', {
      type: 'button', class: 'feature-item',
      onclick: () => {
        const at = pointOn(map, f);
        if (!at) return;
        const seq = ctx.popupSeq;
        map.fire('click', { point: at.point, lngLat: at.lngLat, originalEvent: null });
        // the view's and the basemap's handlers open the popup; if neither found the feature at that point, open it here
        setTimeout(() => {
          if (ctx.popupSeq === seq) ctx.popup(at.lngLat, basePopup(f));
          document.querySelector('.maplibregl-popup-close-button')?.focus();
        }, 10);
      },
    }, featureLabel(map, f))))),
    feats.length > MAX ? h('p', { class: 'small' }, t('features_more').replace('{n}', num(feats.length - MAX))) : null);
  };
  details.addEventListener('toggle', () => { lastSig = null; refresh(); });
  map.on('idle', refresh);
  return { el: details, dispose: () => map.off('idle', refresh) };
}

/** Download links of the served layers a view draws (GeoJSON from the OGC items endpoint). */
export function downloads(map, overlayIds) {
  const slugs = [...new Set(overlayIds.map((id) => slugOfLayer(map, id)).filter(Boolean))];
  if (!slugs.length) return null;
  return h('details', { class: 'downloads', id: 'downloads' }, h('summary', {}, t('downloads')),
    h('ul', {}, slugs.map((s) => h('li', {}, h('a', { href: `/collections/${encodeURIComponent(s)}/items?f=json&limit=10000`, download: `${s}.geojson`, 'data-slug': s }, `${layerName(s)} (${t('download_geojson')})`)))));
}

/** The legend on the map: the panel legend's swatches and words, read-only, collapsible. */
export class LegendControl {
  onAdd() {
    this.el = h('details', { class: 'maplibregl-ctrl map-legend', id: 'map-legend', open: window.innerWidth > 700 },
      h('summary', {}, t('map_legend')), h('div', { class: 'map-legend-body' }));
    return this.el;
  }

  onRemove() { this.el.remove(); }

  /** Copies the swatches and labels of the panel's legend (toggles and sub-legends) and choropleth ramp. */
  update(panel) {
    if (!this.el) return;
    this.el.querySelector('summary').textContent = t('map_legend');
    const body = this.el.querySelector('.map-legend-body');
    const rows = [];
    for (const row of panel.querySelectorAll('fieldset.legend .toggle, fieldset.legend .sublegend li')) {
      const sw = row.querySelector('.swatch');
      const text = row.matches('.toggle') ? row.querySelector('span:not(.swatch):not(.badge-synth)')?.textContent : row.textContent;
      if (!sw || !text) continue;
      const off = row.querySelector('input[type=checkbox]') && !row.querySelector('input').checked;
      rows.push(h('li', { class: off ? 'off' : '' }, h('span', { class: 'swatch', style: sw.getAttribute('style'), 'aria-hidden': 'true' }), text));
    }
    const ramp = panel.querySelector('.choropleth-legend');
    body.replaceChildren(...[rows.length ? h('ul', {}, rows) : null, ramp ? ramp.cloneNode(true) : null,
      !rows.length && !ramp ? h('p', { class: 'small' }, layerName('districts')) : null].filter(Boolean));
    for (const el of body.querySelectorAll('[id]')) el.removeAttribute('id');
  }
}

/** Draws the map, its legend and a footer (scale, attribution, date, caveats) into one PNG. */
export async function exportPng(map) {
  const src = await new Promise((resolve) => {
    map.once('render', () => resolve(map.getCanvas().toDataURL('image/png')));
    map.triggerRepaint();
  });
  const img = new Image();
  await new Promise((r, e) => { img.onload = r; img.onerror = e; img.src = src; });
  const legendRows = [...document.querySelectorAll('#map-legend li')].map((li) => ({ text: li.textContent, style: li.querySelector('.swatch')?.style }));
  const scale = document.querySelector('.maplibregl-ctrl-scale')?.textContent ?? '';
  const attribution = document.querySelector('.maplibregl-ctrl-attrib')?.innerText.replace(/\s+/g, ' ').trim() ?? '';
  const lines = [`qala · ${date(new Date().toISOString())} · ${t('scale_label')} ${scale}`, attribution, t('export_caveat')];
  const lineH = 18;
  const legendH = legendRows.length * lineH + (legendRows.length ? 12 : 0);
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height + legendH + lines.length * lineH + 16;
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(img, 0, 0);
  g.font = '13px "Noto Sans", sans-serif';
  let y = img.height + 8;
  for (const r of legendRows) {
    const bg = r.style?.backgroundColor || (r.style?.background?.match(/#[0-9a-f]{3,6}|rgba?\([^)]*\)/i) ?? [])[0] || '#999';
    g.fillStyle = bg;
    g.fillRect(10, y + 3, 22, 10);
    g.fillStyle = '#1c1917';
    g.fillText(r.text, 40, y + 13);
    y += lineH;
  }
  if (legendRows.length) y += 12;
  g.fillStyle = '#1c1917';
  for (const l of lines) { g.fillText(l, 10, y + 13, canvas.width - 20); y += lineH; }
  const blob = await new Promise((r) => { canvas.toBlob(r, 'image/png'); });
  const a = h('a', { href: URL.createObjectURL(blob), download: `qala-${lang()}-${new Date().toISOString().slice(0, 10)}.png` });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  return { width: canvas.width, height: canvas.height };
}

/** A map control with one button (export). */
export class ButtonControl {
  constructor({ id, label, icon, onClick }) { Object.assign(this, { id, label, icon, onClick }); }

  onAdd() {
    this.button = h('button', { type: 'button', id: this.id, class: 'qala-ctrl-button', title: t(this.label), 'aria-label': t(this.label), onclick: this.onClick }, h('span', { 'aria-hidden': 'true' }, this.icon));
    this.el = h('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group' }, this.button);
    return this.el;
  }

  onRemove() { this.el.remove(); }

  relabel() { this.button?.setAttribute('title', t(this.label)); this.button?.setAttribute('aria-label', t(this.label)); }
}

/** MapLibre's own control words (its `locale` option) in the current language. */
export function mapLocale() {
  return {
    'GeolocateControl.FindMyLocation': t('locate_me'),
    'GeolocateControl.LocationNotAvailable': t('locate_unavailable'),
    'NavigationControl.ZoomIn': t('zoom_in'),
    'NavigationControl.ZoomOut': t('zoom_out'),
    'ScaleControl.Meters': t('unit_m'),
    'ScaleControl.Kilometers': t('km'),
    'AttributionControl.ToggleAttribution': t('attribution_toggle'),
  };
}

/** MapLibre's own control words in the current language (after a language switch). */
export function localiseControls(map) {
  // MapLibre reads its words from `_locale` whenever it writes them (the scale on every move).
  if (map && map._locale) Object.assign(map._locale, mapLocale());
  const set = (sel, key) => { for (const el of document.querySelectorAll(sel)) { el.title = t(key); el.setAttribute('aria-label', t(key)); } };
  set('.maplibregl-ctrl-zoom-in', 'zoom_in');
  set('.maplibregl-ctrl-zoom-out', 'zoom_out');
  set('.maplibregl-ctrl-geolocate', 'locate_me');
  localiseAttribution();
}

/** The attribution MapLibre last wrote (the layers' own words), and what it was shown as. */
const attribution = { source: null, shown: null };
let attributionObserver = null;

/**
 * The map's attribution in the reader's language: MapLibre writes the layers' attributions as the
 * catalogue has them (English); the known phrases are shown translated (see `localAttribution`).
 * Called once the attribution control is on the map, and after each language switch.
 */
export function localiseAttribution() {
  const inner = document.querySelector('.maplibregl-ctrl-attrib-inner');
  if (!inner) return;
  const apply = () => {
    if (inner.innerHTML !== attribution.shown) attribution.source = inner.innerHTML;
    const local = localAttribution(attribution.source);
    attribution.shown = local;
    if (inner.innerHTML !== local) inner.innerHTML = local;
  };
  if (!attributionObserver) {
    attributionObserver = new MutationObserver(apply);
    attributionObserver.observe(inner, { childList: true, characterData: true, subtree: true });
  }
  apply();
}

/** Moves the map so an open popup does not cover the attribution (phones: the popup is near the bottom). */
export function keepPopupClear(map, popup) {
  const clear = () => {
    const el = popup.getElement();
    const attrib = document.querySelector('.maplibregl-ctrl-attrib');
    if (!popup.isOpen() || !el || !attrib) return;
    const p = el.getBoundingClientRect();
    const a = attrib.getBoundingClientRect();
    const overlaps = !(p.right <= a.left || p.left >= a.right || p.bottom <= a.top || p.top >= a.bottom);
    if (overlaps) map.panBy([0, p.bottom - a.top + 12], { duration: 0 });
  };
  clear();
  // A popup opened while the map still moves (the feature list flies to its feature) is
  // checked again where the map stops.
  if (map.isMoving()) map.once('moveend', clear);
}

export { BASE_POPUP_LAYERS };
