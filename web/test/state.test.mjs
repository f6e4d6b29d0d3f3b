import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseState, formatState, DEFAULT_MAP } from '../src/state.js';

test('a shared URL round-trips language, view, map position and the selection', () => {
  const s = { lang: 'ru', view: 'equity', map: { zoom: 13.25, lat: 43.2, lon: 76.9 }, indicator: 'green_m2_per_resident', zones: 'rings' };
  const q = formatState(s);
  assert.equal(q, '?lang=ru&view=equity&map=13.25/43.20000/76.90000&indicator=green_m2_per_resident&zones=rings');
  assert.deepEqual(parseState(q), s);
});

test('a malformed URL falls back to defaults instead of breaking the page', () => {
  const s = parseState('?lang=de&view=admin&map=99/400/abc', 'de-DE');
  assert.equal(s.lang, 'kk');
  assert.equal(s.view, 'bike');
  assert.deepEqual(s.map, DEFAULT_MAP);
  assert.equal(parseState('', 'ru-RU').lang, 'ru');
  assert.equal(parseState('?map=12/43.2', 'en').map.zoom, DEFAULT_MAP.zoom);
});

test('the walking distance mode is kept in a shared URL; anything else means straight', () => {
  const s = { lang: 'en', view: 'planner', map: { ...DEFAULT_MAP }, zones: 'districts', distance: 'network' };
  const q = formatState(s);
  assert.match(q, /&distance=network$/);
  assert.deepEqual(parseState(q), s);
  assert.equal(parseState('?view=planner&distance=walk').distance, undefined);
  assert.ok(!formatState({ ...s, distance: 'straight' }).includes('distance'));
});

test('the edition (latest by default, a number, or live) and the norm variant are kept in a shared URL', () => {
  const s = { lang: 'en', view: 'planner', map: { ...DEFAULT_MAP }, indicator: 'green_m2_per_resident', edition: 'live', norm: 'city' };
  const q = formatState(s);
  assert.match(q, /&edition=live&norm=city$/);
  assert.deepEqual(parseState(q), s);
  assert.equal(parseState('?edition=3').edition, '3');
  assert.equal(parseState('?edition=latest').edition, undefined);
  assert.equal(parseState('?edition=0').edition, undefined);
  assert.equal(parseState('?edition=draft').edition, undefined);
  assert.equal(parseState('?norm=<script>').norm, undefined);
  assert.ok(!formatState({ ...s, edition: 'latest', norm: undefined }).includes('edition'));
});

test('the bike view\'s stress mode and scenario are kept in a shared URL; lanes and existing are the defaults', () => {
  const s = { lang: 'kk', view: 'bike', map: { ...DEFAULT_MAP }, mode: 'stress', scenario: 'plan' };
  const q = formatState(s);
  assert.match(q, /&mode=stress&scenario=plan$/);
  assert.deepEqual(parseState(q), s);
  assert.equal(parseState('?mode=lanes').mode, undefined);
  assert.equal(parseState('?mode=stress&scenario=built').scenario, undefined);
  assert.ok(!formatState({ ...s, mode: undefined, scenario: 'existing' }).includes('mode'));
  assert.ok(!formatState({ ...s, scenario: 'existing' }).includes('scenario'));
});
