// The MapLibre style: a basemap drawn from qala's own vector tiles (streets, buildings, parks from
// the OSM 2013 layers; districts and the city boundary) plus the overlays each view switches on.
// No glyphs URL: labels are drawn by MapLibre from the Noto Sans web font that qala serves
// (GL JS local-font mode), so no font host is ever asked.
import { tileJsonUrl } from './api.js';
import { ltsPaint } from './lts.js';

export const FONT = ['Noto Sans'];

/** Colours of a change set's preview on the map (and its legend). */
export const CHANGE_COLORS = { added: '#15803d', changed: '#2563eb', removed: '#b42318' };

/** Tile-backed qala layers. MVT layer name = slug (docs/api.md). */
export const TILE_LAYERS = [
  'districts', 'city-boundary', 'roads', 'buildings', 'green-spaces', 'services',
  'bike-lanes', 'nav-signs', 'wayfinding-routes', 'historic-centre', 'transit-stops',
];

export const OSM_LAYERS = new Set(['districts', 'city-boundary', 'roads', 'buildings', 'green-spaces', 'services']);

export const COLORS = {
  existing: '#1a7f37',
  under_construction: '#c2410c',
  planned: '#2563eb',
  park: '#86c78b',
  felling: '#b42318',
  delivered: '#15803d',
  overdue: '#b42318',
  dead: '#57534e',
  pending: '#a16207',
  sign: '#6d28d9',
  route: '#0e7490',
  coverage: '#a78bfa',
  flow: '#0f766e',
  gap: '#dc2626',
};

/** Bike lane status → line dash, so the legend does not rely on colour alone. */
/** Distance to the nearest service: the classes' upper bounds (m) and colours (near → far). */
export const DISTANCE_BREAKS_M = [250, 500, 1000, 2000];
export const DISTANCE_COLORS = ['#1a9850', '#91cf60', '#fee08b', '#fc8d59', '#d73027'];

export const BIKE_DASH = { existing: null, under_construction: [2, 1], planned: [0.6, 1.4] };

function src(slug, attribution) {
  // The tile URL comes from TileJSON (the versions served now); attribution given here wins.
  return { type: 'vector', url: tileJsonUrl(slug), promoteId: 'id', ...(attribution ? { attribution } : {}) };
}

const OSM = '© OpenStreetMap contributors';

/** A street's label: its name in the reader's language where the data has it, else its name. */
export function roadLabel(lang) {
  return ['coalesce', ['get', `name_${lang}`], ['get', 'name']];
}

export function buildStyle(lang) {
  const sources = {};
  for (const slug of TILE_LAYERS) sources[`src-${slug}`] = src(slug, OSM_LAYERS.has(slug) ? OSM : undefined);
  const empty = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
  for (const id of ['fellings', 'plantings', 'coverage', 'zones', 'whatif', 'mapper', 'change', 'district-labels', 'zone-labels']) sources[`geo-${id}`] = structuredClone(empty);
  // From the API: felled-zone → planted-zone flows, route gaps, cells by distance to a service.
  for (const id of ['flows', 'gaps', 'cells', 'lts', 'barriers']) sources[`geo-${id}`] = structuredClone(empty);

  const hidden = { visibility: 'none' };
  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
    {
      id: 'city-boundary-fill', type: 'fill', source: 'src-city-boundary', 'source-layer': 'city-boundary',
      paint: { 'fill-color': '#fbfaf6' },
    },
    {
      id: 'green-spaces', type: 'fill', source: 'src-green-spaces', 'source-layer': 'green-spaces',
      paint: { 'fill-color': COLORS.park, 'fill-opacity': 0.55, 'fill-outline-color': '#4d9a55' },
    },
    {
      id: 'buildings', type: 'fill', source: 'src-buildings', 'source-layer': 'buildings', minzoom: 13,
      paint: { 'fill-color': '#d9d2c5', 'fill-outline-color': '#c2b9a8' },
    },
    {
      id: 'roads-minor', type: 'line', source: 'src-roads', 'source-layer': 'roads', minzoom: 12,
      filter: ['!', ['in', ['get', 'highway'], ['literal', ['motorway', 'trunk', 'primary', 'secondary', 'tertiary']]]],
      paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.5, 16, 4] },
    },
    {
      id: 'roads-major', type: 'line', source: 'src-roads', 'source-layer': 'roads',
      filter: ['in', ['get', 'highway'], ['literal', ['motorway', 'trunk', 'primary', 'secondary', 'tertiary']]],
      paint: {
        'line-color': ['match', ['get', 'highway'], ['motorway', 'trunk'], '#f3c96b', 'primary', '#f7dc9a', '#ffffff'],
        'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 16, 7],
      },
    },
    {
      id: 'districts-line', type: 'line', source: 'src-districts', 'source-layer': 'districts',
      paint: { 'line-color': '#6b5e4a', 'line-width': 1.2, 'line-dasharray': [3, 2] },
    },
    {
      id: 'city-boundary-line', type: 'line', source: 'src-city-boundary', 'source-layer': 'city-boundary',
      paint: { 'line-color': '#44392a', 'line-width': 2 },
    },
    // ---- overlays (each view switches its own on) ----
    {
      id: 'zones-fill', type: 'fill', source: 'geo-zones', layout: hidden,
      paint: { 'fill-color': ['coalesce', ['get', 'color'], '#cccccc'], 'fill-opacity': 0.7, 'fill-outline-color': '#333' },
    },
    { id: 'zones-line', type: 'line', source: 'geo-zones', layout: hidden, paint: { 'line-color': '#222', 'line-width': 1.5 } },
    {
      // population cells coloured by distance to the nearest service (GET /access/cells)
      id: 'access-cells', type: 'circle', source: 'geo-cells', layout: hidden,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 2.5, 13, 6, 15, 12],
        'circle-color': ['case', ['!', ['has', 'distance_m']], '#9ca3af',
          ['step', ['get', 'distance_m'], ...DISTANCE_COLORS.flatMap((c, i) => (i ? [DISTANCE_BREAKS_M[i - 1], c] : [c]))]],
        'circle-opacity': 0.85, 'circle-stroke-color': '#fff', 'circle-stroke-width': 0.5,
      },
    },
    // ways a walking profile cannot walk (GET /networks/walk/barriers)
    { id: 'walk-barriers', type: 'line', source: 'geo-barriers', layout: hidden, paint: { 'line-color': COLORS.gap, 'line-width': 4, 'line-dasharray': [1, 1] } },
    {
      id: 'historic-centre', type: 'line', source: 'src-historic-centre', 'source-layer': 'historic-centre', layout: hidden,
      paint: { 'line-color': '#7c2d12', 'line-width': 2.5, 'line-dasharray': [1, 1] },
    },
    {
      id: 'coverage', type: 'fill', source: 'geo-coverage', layout: hidden,
      paint: { 'fill-color': COLORS.coverage, 'fill-opacity': 0.25, 'fill-outline-color': COLORS.sign },
    },
    {
      id: 'wayfinding-routes', type: 'line', source: 'src-wayfinding-routes', 'source-layer': 'wayfinding-routes', layout: hidden,
      paint: { 'line-color': COLORS.route, 'line-width': 4, 'line-opacity': 0.85 },
    },
    {
      // the longest stretch of each route without a sign (GET /indicators/wayfinding_route_gap)
      id: 'route-gaps', type: 'line', source: 'geo-gaps', layout: { ...hidden, 'line-cap': 'round' },
      paint: { 'line-color': COLORS.gap, 'line-width': 6, 'line-opacity': 0.85 },
    },
    // The bike view's stress mode (bike_stress.js fills geo-lts from GET /networks/lts): a halo
    // under the segment a priority row shows, then every street by its LTS.
    {
      id: 'lts-highlight', type: 'line', source: 'geo-lts', layout: { ...hidden, 'line-cap': 'round' },
      filter: ['==', ['get', 'row'], -1],
      paint: { 'line-color': '#111827', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 9, 16, 16], 'line-opacity': 0.55 },
    },
    { id: 'lts-segments', type: 'line', source: 'geo-lts', layout: { ...hidden, 'line-cap': 'round' }, paint: ltsPaint() },
    ...['planned', 'under_construction', 'existing'].map((status) => ({
      id: `bike-lanes-${status}`, type: 'line', source: 'src-bike-lanes', 'source-layer': 'bike-lanes', layout: { ...hidden, 'line-cap': 'butt' },
      filter: ['==', ['get', 'status'], status],
      paint: {
        'line-color': COLORS[status],
        'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 16, 6],
        ...(BIKE_DASH[status] ? { 'line-dasharray': BIKE_DASH[status] } : {}),
      },
    })),
    {
      id: 'transit-stops', type: 'circle', source: 'src-transit-stops', 'source-layer': 'transit-stops', layout: hidden,
      paint: { 'circle-radius': 4, 'circle-color': '#111827', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
    },
    {
      id: 'services', type: 'circle', source: 'src-services', 'source-layer': 'services', layout: hidden, minzoom: 12,
      paint: { 'circle-radius': 3, 'circle-color': '#475569', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
    },
    {
      // felled-zone → planted-zone flows: curves weighted by trees, an arrowhead at the planted end
      id: 'planting-flows', type: 'line', source: 'geo-flows', layout: { ...hidden, 'line-cap': 'round' },
      filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': COLORS.flow, 'line-width': ['get', 'w'], 'line-opacity': 0.75 },
    },
    {
      id: 'planting-flows-arrow', type: 'fill', source: 'geo-flows', layout: hidden,
      filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': COLORS.flow, 'fill-opacity': 0.9 },
    },
    {
      id: 'planting-flows-self', type: 'circle', source: 'geo-flows', layout: hidden,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': ['get', 'r'], 'circle-color': '#fff', 'circle-opacity': 0.6, 'circle-stroke-color': COLORS.flow, 'circle-stroke-width': 2.5 },
    },
    {
      id: 'tree-fellings', type: 'circle', source: 'geo-fellings', layout: hidden,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3, 16, 8],
        'circle-color': ['match', ['get', 'qala_status'], 'overdue', COLORS.overdue, 'delivered', COLORS.delivered, COLORS.pending],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1,
      },
    },
    {
      id: 'tree-plantings', type: 'circle', source: 'geo-plantings', layout: hidden,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 2.5, 16, 7],
        'circle-color': ['match', ['get', 'qala_status'], 'dead', COLORS.dead, COLORS.delivered],
        'circle-stroke-color': '#1f2937', 'circle-stroke-width': 1,
      },
    },
    {
      id: 'nav-signs', type: 'circle', source: 'src-nav-signs', 'source-layer': 'nav-signs', layout: hidden,
      paint: {
        'circle-radius': ['match', ['get', 'sign_type'], 'map', 6, 4],
        'circle-color': ['match', ['get', 'sign_type'], 'map', COLORS.sign, '#a855f7'],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
      },
    },
    { id: 'mapper-fill', type: 'fill', source: 'geo-mapper', layout: hidden, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#f59e0b', 'fill-opacity': 0.4 } },
    { id: 'mapper-line', type: 'line', source: 'geo-mapper', layout: hidden, filter: ['in', ['geometry-type'], ['literal', ['LineString', 'Polygon']]], paint: { 'line-color': '#b45309', 'line-width': 3 } },
    { id: 'mapper-circle', type: 'circle', source: 'geo-mapper', layout: hidden, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#f59e0b', 'circle-stroke-color': '#78350f', 'circle-stroke-width': 1 } },
    // A change set's preview: what the file adds, changes (its new geometry) and removes.
    { id: 'change-fill', type: 'fill', source: 'geo-change', layout: hidden, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': ['match', ['get', 'change'], 'added', CHANGE_COLORS.added, 'changed', CHANGE_COLORS.changed, CHANGE_COLORS.removed], 'fill-opacity': 0.35 } },
    { id: 'change-line', type: 'line', source: 'geo-change', layout: hidden, filter: ['all', ['in', ['geometry-type'], ['literal', ['LineString', 'Polygon']]], ['!=', ['get', 'change'], 'removed']], paint: { 'line-color': ['match', ['get', 'change'], 'added', CHANGE_COLORS.added, CHANGE_COLORS.changed], 'line-width': 4 } },
    { id: 'change-line-removed', type: 'line', source: 'geo-change', layout: hidden, filter: ['all', ['in', ['geometry-type'], ['literal', ['LineString', 'Polygon']]], ['==', ['get', 'change'], 'removed']], paint: { 'line-color': CHANGE_COLORS.removed, 'line-width': 3, 'line-dasharray': [1.5, 1] } },
    { id: 'change-circle', type: 'circle', source: 'geo-change', layout: hidden, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 6, 'circle-color': ['match', ['get', 'change'], 'added', CHANGE_COLORS.added, 'changed', CHANGE_COLORS.changed, CHANGE_COLORS.removed], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
    { id: 'whatif-fill', type: 'fill', source: 'geo-whatif', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#22c55e', 'fill-opacity': 0.5 } },
    { id: 'whatif-line', type: 'line', source: 'geo-whatif', paint: { 'line-color': '#15803d', 'line-width': 4 } },
    { id: 'whatif-point', type: 'circle', source: 'geo-whatif', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 6, 'circle-color': '#15803d', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
    // ---- labels on top ----
    {
      id: 'roads-label', type: 'symbol', source: 'src-roads', 'source-layer': 'roads', minzoom: 14,
      filter: ['has', 'name'],
      layout: { 'symbol-placement': 'line', 'text-field': roadLabel(lang), 'text-font': FONT, 'text-size': 11 },
      paint: { 'text-color': '#4b5563', 'text-halo-color': '#fff', 'text-halo-width': 1.5 },
    },
    {
      id: 'zones-label', type: 'symbol', source: 'geo-zone-labels', layout: { ...hidden, 'text-field': ['get', 'label'], 'text-font': FONT, 'text-size': 13 },
      paint: { 'text-color': '#111', 'text-halo-color': '#fff', 'text-halo-width': 2 },
    },
    {
      // One label per district at its centroid (main.js fills the source from /collections/districts/items):
      // labelling the tiled polygons would repeat the name in every tile.
      id: 'districts-label', type: 'symbol', source: 'geo-district-labels', maxzoom: 15,
      layout: { 'text-field': ['get', `name_${lang}`], 'text-font': FONT, 'text-size': ['interpolate', ['linear'], ['zoom'], 9, 12, 13, 16], 'text-max-width': 8, 'text-allow-overlap': false },
      paint: { 'text-color': '#3f3525', 'text-halo-color': '#fff', 'text-halo-width': 2 },
    },
  ];
  return { version: 8, sources, layers };
}

/** Style layer ids that belong to one qala layer (what a toggle switches). */
export function styleLayersOf(slug) {
  if (slug === 'bike-lanes') return ['bike-lanes-existing', 'bike-lanes-under_construction', 'bike-lanes-planned'];
  if (slug === 'roads') return ['roads-minor', 'roads-major', 'roads-label'];
  if (slug === 'districts') return ['districts-line', 'districts-label'];
  if (slug === 'city-boundary') return ['city-boundary-fill', 'city-boundary-line'];
  return [slug];
}
