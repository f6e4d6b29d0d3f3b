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

import { indicatorText, normText } from '../src/provenance.js';

test('a definition\'s explanation and source are read in the current language, else in English', () => {
  const def = {
    description: 'Residents within 500 m of a school', reference: 'SP RK 3.01-101',
    descriptions: { kk: 'Мектептен 500 м ішінде тұратын тұрғындардың үлесі', ru: 'Доля жителей…', en: 'Residents within 500 m of a school' },
  };
  assert.equal(indicatorText(def, 'description'), 'Мектептен 500 м ішінде тұратын тұрғындардың үлесі');
  // no `references`: the English field
  assert.equal(indicatorText(def, 'reference'), 'SP RK 3.01-101');
  // an older stored definition borrows the translation of the one in force when the English is the same
  const old = { description: 'Residents within 500 m of a school' };
  assert.equal(indicatorText(old, 'description', def), 'Мектептен 500 м ішінде тұратын тұрғындардың үлесі');
  assert.equal(indicatorText({ description: 'Residents within 400 m of a school' }, 'description', def), 'Residents within 400 m of a school');
  assert.equal(indicatorText(null, 'description'), '');
});

test('a norm reads with its direction and the unit it is judged in (shares as %)', () => {
  assert.equal(normText({ at_least: 1 }, 'share of residents'), '≥ 100 % (тұрғындар үлесі)');
  assert.match(normText({ at_least: 4.8 }, 'm²/resident'), /^≥ 4,8 м²\/тұрғын$/);
  assert.equal(normText({ at_most: 375 }, 'm'), '≤ 375 м');
  assert.equal(normText({ at_least: 1 }, 'ratio'), '≥ 1');
  assert.equal(normText(null, 'm'), null);
});
