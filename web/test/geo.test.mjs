import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haversineM, circle, pointInGeometry, representativePoint } from '../src/geo.js';
import { classify } from '../src/views/greening.js';
import { breaks, colorFor, classColors } from '../src/views/equity.js';

const square = (x0, y0, d) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]] });

test('haversine: one degree of latitude is about 111.2 km', () => {
  assert.ok(Math.abs(haversineM([76.9, 43], [76.9, 44]) - 111195) < 5);
});

test('a 375 m coverage circle keeps every vertex 375 m from the sign', () => {
  const c = circle([76.9455, 43.238], 375);
  for (const p of c.coordinates[0]) assert.ok(Math.abs(haversineM([76.9455, 43.238], p) - 375) < 1, `${haversineM([76.9455, 43.238], p)}`);
  assert.ok(pointInGeometry([76.9455, 43.238], c));
  assert.ok(!pointInGeometry([76.9555, 43.238], c));
});

test('felling and planting status: delivered, overdue, pending, dead', () => {
  const f = (permit, felled, ratio, due) => ({ properties: { permit_no: permit, trees_felled: felled, compensation_ratio: ratio, compensation_due: due } });
  const p = (permit, n, alive) => ({ properties: { felling_permit_no: permit, trees_planted: n, alive_1y: alive } });
  const fellings = { features: [f('A', 2, 3, '2026-01-01'), f('B', 2, 3, '2026-01-01'), f('C', 2, 3, '2027-01-01')] };
  const plantings = { features: [p('A', 4, 4), p('A', 2, 0), p('B', 5, 5)] };
  classify(fellings, plantings, '2026-06-30');
  assert.deepEqual(fellings.features.map((x) => x.properties.qala_status), ['delivered', 'overdue', 'pending']);
  assert.deepEqual(plantings.features.map((x) => x.properties.qala_status), ['delivered', 'dead', 'delivered']);
});

test('choropleth classes: quantile breaks, higher values darker, missing values grey', () => {
  const br = breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(br, [3, 5, 7, 9]);
  assert.notEqual(colorFor(1, br), colorFor(10, br));
  assert.equal(colorFor(null, br), '#d4d4d4');
  // many equal values (e.g. districts with no park) merge into one class; the extremes keep
  // the lightest and darkest colours
  const few = breaks([0, 0, 0, 0, 0, 1.01, 2.8, 4.3]);
  assert.deepEqual(few, [0, 2.8]);
  assert.equal(classColors(few).length, 3);
  assert.equal(colorFor(0, few), classColors(few)[0]);
  assert.equal(colorFor(4.3, few), classColors(few)[2]);
  assert.notEqual(colorFor(1.01, few), colorFor(4.3, few));
});

test('a label point lies inside a ring (annulus), not in its hole, and one per zone', async () => {
  const { labelPoint } = await import('../src/geo.js');
  const outer = circle([76.9, 43.2], 7000).coordinates[0];
  const hole = circle([76.9, 43.2], 3000).coordinates[0];
  const ring = { type: 'MultiPolygon', coordinates: [[outer, hole], square(77.5, 43.5, 0.001).coordinates] };
  const p = labelPoint(ring);
  assert.ok(pointInGeometry(p, ring), `label at ${p} is inside the ring`);
  const d = haversineM([76.9, 43.2], p);
  assert.ok(d > 3000 && d < 7000, `between the hole and the edge: ${d} m`);
  assert.ok(Math.abs(p[0] - 76.9) > 0.01, 'not at the centre of the hole');
  assert.equal(labelPoint({ type: 'Point', coordinates: [1, 2] }), null);
});

test('flowFeatures: a curve and an arrowhead per flow between zones, a circle for same-zone planting, widths by trees', async () => {
  const { flowFeatures } = await import('../src/geo.js');
  const anchors = new Map([['1', [76.9, 43.2]], ['2', [77.0, 43.3]]]);
  const fc = flowFeatures([
    { from_zone: '1', to_zone: '2', trees: 100 },
    { from_zone: '2', to_zone: '1', trees: 25 },
    { from_zone: '1', to_zone: '1', trees: 400 },
    { from_zone: null, to_zone: '1', trees: 9 },
  ], anchors);
  const kinds = fc.features.map((f) => f.geometry.type);
  assert.deepEqual(kinds, ['LineString', 'Polygon', 'LineString', 'Polygon', 'Point']);
  const [ab, , ba] = fc.features;
  assert.deepEqual(ab.geometry.coordinates[0], [76.9, 43.2], 'starts at the felled zone');
  const last = ab.geometry.coordinates.at(-1);
  assert.ok(Math.hypot(last[0] - 77.0, last[1] - 43.3) < 0.02, `ends near the planted zone: ${last}`);
  assert.ok(ab.properties.w > ba.properties.w, 'more trees, a wider line');
  // A→B and B→A bend to opposite sides: their midpoints differ.
  const mid = (f) => f.geometry.coordinates[12];
  assert.ok(Math.hypot(mid(ab)[0] - mid(ba)[0], mid(ab)[1] - mid(ba)[1]) > 0.01);
});

test('a representative point: the point, half way along a line, inside an area', () => {
  assert.deepEqual(representativePoint({ type: 'Point', coordinates: [76.9, 43.2] }), [76.9, 43.2]);
  const mid = representativePoint({ type: 'LineString', coordinates: [[76.9, 43.2], [76.9, 43.21], [76.9, 43.24]] });
  assert.ok(Math.abs(mid[0] - 76.9) < 1e-9 && Math.abs(mid[1] - 43.22) < 1e-4, String(mid));
  const sq = { type: 'Polygon', coordinates: [[[76.9, 43.2], [76.91, 43.2], [76.91, 43.21], [76.9, 43.21], [76.9, 43.2]]] };
  assert.ok(pointInGeometry(representativePoint(sq), sq));
  assert.equal(representativePoint(null), null);
});
