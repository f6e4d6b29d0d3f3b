import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caveatText, inputTitle } from '../src/provenance.js';
import { tf } from '../src/i18n.js';

// The module's language is Kazakh until setLang (which needs a document) is called.
const inputs = [
  { slug: 'population', synthetic: true, title: { kk: 'Халық тығыздығы (синтетикалық)', ru: 'Плотность населения (синтетическая)', en: 'Population surface (synthetic)' } },
  { slug: 'transit-stops', synthetic: true },
];

test('a caveat names its layers by the titles the API gives, else by the app\'s layer names', () => {
  assert.equal(caveatText({ code: 'synthetic_inputs', layers: ['population', 'transit-stops'] }, inputs),
    'Синтетикалық деректерден есептелген: Халық тығыздығы (синтетикалық), Метро және BRT аялдамалары.');
  assert.equal(inputTitle({ slug: 'bike-lanes' }), 'Веложолдар');
});

test('a caveat code the app does not know is still shown, with its layers', () => {
  assert.equal(caveatText({ code: 'stale_input', layers: ['population'] }, inputs), 'Ескертпе: stale_input: Халық тығыздығы (синтетикалық)');
  assert.equal(tf('version_n', { n: 3 }), '3-нұсқа');
  assert.equal(tf('version_n'), '{n}-нұсқа', 'a missing value stays visible');
});
