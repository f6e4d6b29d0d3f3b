// Numbers, dates and plurals per locale through Intl (web/src/format.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { num, pct, plural, date, year } from '../src/format.js';
import { DICT } from '../src/i18n.js';

// i18n.setLang touches the DOM; the formatting only reads the language, so switch it through a stub document.
globalThis.document ??= { documentElement: {}, querySelectorAll: () => [], title: '' };
const { setLang } = await import('../src/i18n.js');

const norm = (s) => s.replace(/[\u00a0\u202f]/g, ' ');

test('numbers: Kazakh and Russian write 305 974,2, English 305,974.2', () => {
  setLang('kk');
  assert.equal(norm(num(305974.2, 1)), '305 974,2');
  assert.equal(norm(num(2.21, 2)), '2,21');
  setLang('ru');
  assert.equal(norm(num(305974.2, 1)), '305 974,2');
  setLang('en');
  assert.equal(num(305974.2, 1), '305,974.2');
  assert.equal(num(null), '—');
  assert.equal(year(2027), '2027');
});

test('percentages and dates per locale', () => {
  setLang('ru');
  assert.equal(norm(pct(0.371)), '37,1 %');
  assert.match(date('2026-11-30'), /30 ноября 2026/);
  setLang('kk');
  assert.match(date('2026-11-30'), /қараша/);
  setLang('en');
  assert.equal(pct(0.371), '37.1%');
  assert.equal(date('2026-11-30'), '30 November 2026');
});

test('plurals follow Intl.PluralRules: Russian one / few / many', () => {
  setLang('ru');
  assert.equal(plural('trees', 1), '1 дерево');
  assert.equal(plural('trees', 3), '3 дерева');
  assert.equal(plural('trees', 25), '25 деревьев');
  assert.equal(plural('trees', 21), '21 дерево');
  setLang('en');
  assert.equal(plural('trees', 1), '1 tree');
  assert.equal(plural('trees', 2), '2 trees');
  setLang('kk');
  assert.equal(plural('trees', 5), '5 ағаш');
  assert.ok(DICT.kk.trees_other);
});
