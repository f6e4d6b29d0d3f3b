// Cycling stress (level of traffic stress, docs/lts.md): the pure parts of the bike view's
// stress mode — colours and widths by LTS, legend counts from the API's segments, the islands'
// summary, the inputs a segment's LTS was judged on. No DOM and no words here (unit-tested in
// web/test/lts.test.mjs); bike_stress.js draws them.

/** The API's scenarios (GET /networks/lts?scenario=…), in the order the selector shows them. */
export const SCENARIOS = ['existing', 'under_construction', 'plan'];
export const LEVELS = [1, 2, 3, 4];

/**
 * LTS 1 (calm) → LTS 4 (high stress): ColorBrewer RdBu, 4 classes, reversed — a diverging ramp
 * safe for the common colour-vision deficiencies (blue vs red, light vs dark). Width grows with
 * stress too, so the map does not rely on colour alone.
 */
export const LTS_COLORS = { 1: '#2166ac', 2: '#67a9cf', 3: '#ef8a62', 4: '#b2182b' };
/** Line width in px at zoom 12 and zoom 16. */
export const LTS_WIDTHS = { 1: [1, 3], 2: [1.3, 4], 3: [1.8, 5.5], 4: [2.4, 7] };

export function ltsColor(lts) {
  return LTS_COLORS[lts] ?? '#9ca3af';
}

/** MapLibre paint of the stress layer: colour and width by the `lts` property. */
export function ltsPaint() {
  const match = (pick) => ['match', ['get', 'lts'], ...LEVELS.flatMap((l) => [l, pick(l)]), pick(0)];
  return {
    'line-color': match((l) => ltsColor(l)),
    'line-width': ['interpolate', ['linear'], ['zoom'],
      12, match((l) => (LTS_WIDTHS[l] ?? [1, 3])[0]),
      16, match((l) => (LTS_WIDTHS[l] ?? [1, 3])[1])],
  };
}

/** Segments (GeoJSON features of GET /networks/lts) per LTS 1–4: count and km (from `length_m`). */
export function legendCounts(features) {
  const out = LEVELS.map((lts) => ({ lts, count: 0, km: 0 }));
  for (const f of features ?? []) {
    const l = Number(f?.properties?.lts);
    if (!LEVELS.includes(l)) continue;
    out[l - 1].count += 1;
    const m = Number(f.properties.length_m);
    if (Number.isFinite(m)) out[l - 1].km += m / 1000;
  }
  return out;
}

/** GET /networks/lts/islands in a few figures: how many islands, the largest, the totals. */
export function islandSummary(r) {
  const islands = Array.isArray(r?.islands) ? r.islands : [];
  const largest = islands.reduce((best, i) => (!best || Number(i.length_km) > Number(best.length_km) ? i : best), null);
  const residents = islands.reduce((a, i) => a + (Number(i.residents) || 0), 0);
  return {
    count: islands.length,
    largest,
    lowStressKm: Number(r?.low_stress_km) || 0,
    residentsOnIslands: residents,
    residentsOffNetwork: Number(r?.residents_off_network) || 0,
    maxLts: Number(r?.max_lts) || 2,
  };
}

/** The first `n` priorities, best first (the API ranks them; sorted by rank to be sure). */
export function topPriorities(r, n = 10) {
  const list = Array.isArray(r?.priorities) ? [...r.priorities] : [];
  return list.sort((a, b) => Number(a.rank) - Number(b.rank)).slice(0, n);
}

/**
 * The inputs a segment's LTS was judged on, each marked `assumed` when the API says it came
 * from the ruleset's default row (the roads layer has no such tag): speed, lanes, one-way.
 * Properties may be a MapLibre feature's (arrays arrive as JSON text) or the API's.
 */
export function segmentInputs(p) {
  let assumed = p?.assumed ?? [];
  if (typeof assumed === 'string') {
    try { assumed = JSON.parse(assumed); } catch { assumed = assumed.split(/[,\s]+/); }
  }
  if (!Array.isArray(assumed)) assumed = [];
  const oneway = p?.oneway === true || p?.oneway === 'true';
  return [
    { key: 'max_speed_kmh', value: Number(p?.max_speed_kmh), assumed: assumed.includes('max_speed_kmh') },
    { key: 'lanes', value: Number(p?.lanes), assumed: assumed.includes('lanes') },
    { key: 'oneway', value: oneway, assumed: assumed.includes('oneway') },
  ];
}

/** [[minLon, minLat], [maxLon, maxLat]] of a (Multi)LineString, or null. */
export function boundsOf(geometry) {
  const pts = [];
  const walk = (x) => { if (typeof x?.[0] === 'number') pts.push(x); else if (Array.isArray(x)) x.forEach(walk); };
  walk(geometry?.coordinates);
  if (!pts.length) return null;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  return [[x0, y0], [x1, y1]];
}
