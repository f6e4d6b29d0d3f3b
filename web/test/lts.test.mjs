// The bike view's cycling stress mode, its pure parts (src/lts.js): colours and widths by LTS,
// legend counts from the API's segments, the islands' summary, the top priorities, the inputs
// marked assumed, a segment's bounds; and words for every rule and class of the shipped ruleset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LTS_COLORS, LTS_WIDTHS, ltsColor, ltsPaint, legendCounts, islandSummary, topPriorities, segmentInputs, boundsOf, SCENARIOS } from '../src/lts.js';
import { DICT, LANGS } from '../src/i18n.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** WCAG relative luminance of #rrggbb. */
function luminance(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

test('LTS 1–4 have four distinct colours, blue (calm) to red (stress), and widths that grow with stress', () => {
  const cs = [1, 2, 3, 4].map(ltsColor);
  assert.equal(new Set(cs).size, 4);
  assert.deepEqual(cs, [LTS_COLORS[1], LTS_COLORS[2], LTS_COLORS[3], LTS_COLORS[4]]);
  // blue end at 1, red end at 4 (a diverging ramp safe for red–green colour blindness)
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  assert.ok(rgb(cs[0])[2] > rgb(cs[0])[0] && rgb(cs[3])[0] > rgb(cs[3])[2]);
  // the two ends are the dark ones, the middle two the light ones: told apart by lightness too
  assert.ok(luminance(cs[1]) > luminance(cs[0]) && luminance(cs[2]) > luminance(cs[3]));
  for (let l = 2; l <= 4; l += 1) {
    assert.ok(LTS_WIDTHS[l][0] > LTS_WIDTHS[l - 1][0] && LTS_WIDTHS[l][1] > LTS_WIDTHS[l - 1][1], `width of ${l}`);
  }
  assert.equal(ltsColor(7), '#9ca3af');
  const paint = ltsPaint();
  assert.equal(paint['line-color'][0], 'match');
  assert.ok(JSON.stringify(paint['line-color']).includes(LTS_COLORS[4]));
  assert.equal(paint['line-width'][0], 'interpolate');
});

test('legend counts: segments and km per LTS, anything else left out', () => {
  const f = (lts, length_m) => ({ type: 'Feature', properties: { lts, length_m } });
  const c = legendCounts([f(1, 500), f(1, 1500), f(2, 250), f(4, 1000), f(4, null), f(9, 100), { properties: {} }, null]);
  assert.deepEqual(c.map((x) => x.count), [2, 1, 0, 2]);
  assert.deepEqual(c.map((x) => x.lts), [1, 2, 3, 4]);
  assert.ok(Math.abs(c[0].km - 2) < 1e-9 && Math.abs(c[1].km - 0.25) < 1e-9 && c[2].km === 0 && Math.abs(c[3].km - 1) < 1e-9);
  assert.deepEqual(legendCounts(undefined).map((x) => x.count), [0, 0, 0, 0]);
  // MapLibre hands numbers back as numbers, the API too; strings still count
  assert.equal(legendCounts([f('3', '100')])[2].count, 1);
});

test('islands summary: the count, the longest island, the totals', () => {
  const s = islandSummary({
    max_lts: 2, low_stress_km: 12.5, residents_off_network: 900,
    islands: [{ id: 2, length_km: 3, residents: 10 }, { id: 1, length_km: 8, residents: 300 }, { id: 3, length_km: 1.5, residents: 0 }],
  });
  assert.equal(s.count, 3);
  assert.equal(s.largest.id, 1);
  assert.equal(s.lowStressKm, 12.5);
  assert.equal(s.residentsOnIslands, 310);
  assert.equal(s.residentsOffNetwork, 900);
  const none = islandSummary({ islands: [] });
  assert.equal(none.count, 0);
  assert.equal(none.largest, null);
});

test('top priorities: the first ten by rank', () => {
  const ps = Array.from({ length: 14 }, (_, i) => ({ rank: 14 - i, row: 100 + i }));
  const top = topPriorities({ priorities: ps });
  assert.equal(top.length, 10);
  assert.deepEqual(top.map((p) => p.rank), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(topPriorities({ priorities: ps }, 3).map((p) => p.row), [113, 112, 111]);
  assert.deepEqual(topPriorities(null), []);
});

test('a segment\'s inputs are marked assumed as the API says, from its JSON or from MapLibre\'s JSON text', () => {
  const api = { max_speed_kmh: 40, lanes: 2, oneway: false, assumed: ['max_speed_kmh', 'lanes', 'oneway'] };
  assert.deepEqual(segmentInputs(api), [
    { key: 'max_speed_kmh', value: 40, assumed: true }, { key: 'lanes', value: 2, assumed: true }, { key: 'oneway', value: false, assumed: true }]);
  const tiled = { max_speed_kmh: 60, lanes: 6, oneway: true, assumed: '["lanes"]' };
  assert.deepEqual(segmentInputs(tiled).map((i) => i.assumed), [false, true, false]);
  assert.equal(segmentInputs(tiled)[2].value, true);
  assert.deepEqual(segmentInputs({ max_speed_kmh: 0, lanes: 1, oneway: false }).map((i) => i.assumed), [false, false, false]);
});

test('bounds of a line and a multi-line', () => {
  assert.deepEqual(boundsOf({ type: 'LineString', coordinates: [[76.9, 43.2], [76.95, 43.25], [76.92, 43.19]] }), [[76.9, 43.19], [76.95, 43.25]]);
  assert.deepEqual(boundsOf({ type: 'MultiLineString', coordinates: [[[1, 2], [3, 4]], [[0, 5], [2, 2]]] }), [[0, 2], [3, 5]]);
  assert.equal(boundsOf(null), null);
});

test('every rule and class of the shipped ruleset, every scenario and level has words in kk, ru and en', () => {
  const rules = JSON.parse(readFileSync(join(root, 'sql/indicators/lts_rules.json'), 'utf8'));
  const keys = [
    ...rules.rules.map((r) => `lts_rule_${r.id}`),
    ...[...Object.keys(rules.classes), 'other'].map((c) => `lts_class_${c}`),
    ...rules.facilities.filter((f) => f !== 'none').map((f) => `facility_${f}`),
    ...SCENARIOS.map((s) => `lts_scenario_${s}`),
    ...[1, 2, 3, 4].map((l) => `lts_level_${l}`),
  ];
  assert.ok(keys.length > 30);
  const missing = [];
  for (const l of LANGS) for (const k of keys) if (typeof DICT[l][k] !== 'string' || !DICT[l][k].trim()) missing.push(`${l}.${k}`);
  assert.deepEqual(missing, []);
  // worded, not the identifier: no snake_case left in a rule's words
  for (const l of LANGS) for (const r of rules.rules) assert.doesNotMatch(DICT[l][`lts_rule_${r.id}`], /[a-z]+_[a-z]+/, `${l} ${r.id}`);
});

test('the low_stress_access indicators the stress mode asks for exist, for every scenario', () => {
  const defs = JSON.parse(readFileSync(join(root, 'sql/indicators/definitions.json'), 'utf8'));
  const ids = new Set((Array.isArray(defs) ? defs : defs.indicators ?? defs.definitions ?? []).map((d) => d.id));
  const src = readFileSync(join(root, 'web/src/views/bike_stress.js'), 'utf8');
  const dests = [...src.matchAll(/\['([a-z]+)', '(\d+km)'\]/g)].map((m) => [m[1], m[2]]);
  assert.equal(dests.length, 4);
  for (const [d, r] of dests) for (const s of SCENARIOS) assert.ok(ids.has(`lts2_${d}_${r}_${s}`), `lts2_${d}_${r}_${s}`);
});
