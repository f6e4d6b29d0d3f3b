import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DICT, LANGS } from '../src/i18n.js';
import { TILE_LAYERS } from '../src/style.js';

test('Kazakh, Russian and English have exactly the same keys, none empty', () => {
  const en = Object.keys(DICT.en).sort();
  for (const l of LANGS) {
    assert.deepEqual(Object.keys(DICT[l]).sort(), en, `keys of ${l}`);
    for (const [k, v] of Object.entries(DICT[l])) assert.ok(typeof v === 'string' && v.trim(), `${l}.${k} is empty`);
  }
});

test('every tile layer and every view has a name in every language', () => {
  for (const l of LANGS) {
    for (const slug of [...TILE_LAYERS, 'tree-fellings', 'tree-plantings', 'population']) assert.ok(DICT[l][`layer_${slug.replaceAll('-', '_')}`], `${l}: ${slug}`);
    for (const v of ['bike', 'greening', 'equity', 'wayfinding', 'planner', 'mapper']) assert.ok(DICT[l][`view_${v}`], `${l}: ${v}`);
  }
});

test('Kazakh strings use Kazakh letters where Russian would not', () => {
  const all = Object.values(DICT.kk).join(' ');
  assert.match(all, /[ӘәҒғҚқҢңӨөҰұҮүҺһІі]/);
  assert.notDeepEqual(DICT.kk, DICT.ru);
});

test('streets and places show their name in the reader\'s language where the data has it', async () => {
  const { placeName } = await import('../src/i18n.js');
  const { roadLabel } = await import('../src/style.js');
  const abay = { name: 'проспект Абая', name_kk: 'Абай даңғылы', name_en: 'Abay Avenue' };
  assert.equal(placeName(abay, 'kk'), 'Абай даңғылы');
  assert.equal(placeName(abay, 'en'), 'Abay Avenue');
  assert.equal(placeName(abay, 'ru'), 'проспект Абая', 'no name_ru: the name itself');
  assert.equal(placeName({ name: 'улица Жибек Жолы' }, 'kk'), 'улица Жибек Жолы', 'falls back to the name the data has');
  assert.equal(placeName(null, 'kk'), '');
  assert.deepEqual(roadLabel('kk'), ['coalesce', ['get', 'name_kk'], ['get', 'name']]);
});
