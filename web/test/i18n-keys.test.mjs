// Every word the app asks for exists in kk, ru and en: the keys the sources name, every code value
// the data model allows (crates/qala-core/src/kind.rs), every API error code of the catalogue
// (crates/qala-server/src/error_code.rs), and every plural form each language's rules need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DICT, LANGS } from '../src/i18n.js';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '../src');
const root = join(here, '../..');
const sources = [...readdirSync(src).filter((f) => f.endsWith('.js')).map((f) => join(src, f)),
  ...readdirSync(join(src, 'views')).map((f) => join(src, 'views', f))].map((p) => [p, readFileSync(p, 'utf8')]);

function missing(keys) {
  const out = [];
  for (const l of LANGS) for (const k of keys) if (typeof DICT[l][k] !== 'string' || !DICT[l][k].trim()) out.push(`${l}.${k}`);
  return out;
}

test('every literal key passed to t(), tf() or label keys in the sources exists in every language', () => {
  const keys = new Set();
  for (const [, text] of sources) {
    for (const m of text.matchAll(/\bt[f]?\('([a-z0-9_]+)'/g)) keys.add(m[1]);
    for (const m of text.matchAll(/data-i18n(?:-label|-title)?="([a-z0-9_]+)"/g)) keys.add(m[1]);
  }
  for (const m of readFileSync(join(src, 'index.html'), 'utf8').matchAll(/data-i18n(?:-label|-title)?="([a-z0-9_]+)"/g)) keys.add(m[1]);
  assert.ok(keys.size > 100, `found ${keys.size} keys`);
  assert.deepEqual(missing(keys), []);
});

/** The values of a `pub const NAME: &[&str] = &[...]` list in kind.rs. */
function rustList(name) {
  const text = readFileSync(join(root, 'crates/qala-core/src/kind.rs'), 'utf8');
  const m = text.match(new RegExp(`pub const ${name}: &\\[&str\\] = &\\[([^\\]]*)\\]`));
  assert.ok(m, `${name} in kind.rs`);
  return [...m[1].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]);
}

test('every code value the data model allows has words in every language', () => {
  const want = [
    ['BIKE_LANE_STATUS', 'bike'], ['BIKE_LANE_FACILITY', 'facility'], ['SERVICE_CATEGORY', 'category'],
    ['GREEN_SPACE_CATEGORY', 'green_category'], ['SIGN_TYPE', 'sign'], ['SIGN_LANGUAGES', 'langname'], ['FELLING_REASON', 'felling_reason'],
  ];
  const keys = [];
  for (const [list, prefix] of want) {
    const values = rustList(list);
    assert.ok(values.length >= 3, `${list}: ${values}`);
    keys.push(...values.map((v) => `${prefix}_${v}`));
  }
  // version statuses (sql/migrations/0002), upload outcomes (openapi), severities (qala-ingest problem.rs), zone roles
  keys.push(...['ready', 'loading', 'failed'].map((s) => `version_status_${s}`), ...['loaded', 'unchanged', 'restored', 'dry_run'].map((s) => `outcome_${s}`),
    ...['error', 'warning', 'repaired'].map((s) => `severity_${s}`), ...['centre', 'middle', 'periphery'].map((s) => `role_${s}`));
  assert.deepEqual(missing(keys), []);
});

test('every API error code of the catalogue has a message in every language', () => {
  const text = readFileSync(join(root, 'crates/qala-server/src/error_code.rs'), 'utf8');
  const codes = [...text.matchAll(/^\s+[A-Z][A-Za-z]+ = "([a-z_0-9]+)", [A-Z_]+;/gm)].map((m) => m[1]);
  assert.ok(codes.length >= 90, `${codes.length} codes parsed`);
  assert.deepEqual(missing(codes.map((c) => `error_${c}`)), []);
  // Kazakh and Russian messages are not the English ones left in place.
  for (const c of codes) {
    assert.notEqual(DICT.kk[`error_${c}`], DICT.en[`error_${c}`], `kk error_${c}`);
    assert.notEqual(DICT.ru[`error_${c}`], DICT.en[`error_${c}`], `ru error_${c}`);
  }
});

test('each plural word has every form its language needs (Intl.PluralRules)', () => {
  const bases = [...new Set(Object.keys(DICT.en).filter((k) => k.endsWith('_one')).map((k) => k.slice(0, -4)))];
  assert.ok(bases.includes('trees') && bases.includes('features_n'));
  const locale = { kk: 'kk', ru: 'ru', en: 'en' };
  for (const l of LANGS) {
    for (const cat of new Intl.PluralRules(locale[l]).resolvedOptions().pluralCategories) {
      for (const b of bases) assert.ok(DICT[l][`${b}_${cat}`], `${l}: ${b}_${cat}`);
    }
  }
});

test('different things have different words: delivered is not planted, in every language', () => {
  for (const l of LANGS) {
    assert.notEqual(DICT[l].green_delivered, DICT[l].green_planted, l);
    assert.notEqual(DICT[l].green_alive, DICT[l].green_planted, l);
  }
});
