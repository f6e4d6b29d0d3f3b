// The equity choropleth draws exactly the engine's numbers: one polygon per zone, each carrying
// the value /indicators/{id}?zones=… returned, for districts (8) and for rings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, mapIdle, shot } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function getJson(path) {
  const res = await fetch(BASE + path);
  assert.equal(res.status, 200, `${path}: HTTP ${res.status} ${await res.clone().text()}`);
  return res.json();
}

/** zone key → value as drawn on the map (queryRenderedFeatures over the zones layer). */
function drawnValues(page) {
  return page.evaluate(() => {
    const out = {};
    for (const f of window.qala.map.queryRenderedFeatures({ layers: ['zones-fill'] })) out[f.properties.zone_key] = f.properties.value ?? null;
    return out;
  });
}

const zoneKey = (z) => String(z.zone ?? z.zone_id ?? z.id ?? z.key ?? z.name);

for (const [scheme, expected] of [['districts', 8], ['rings', null]]) {
  test(`the equity choropleth by ${scheme} shows every zone with the API's value`, async () => {
    const defs = await getJson('/indicators');
    const list = Array.isArray(defs) ? defs : defs.indicators;
    assert.ok(list.length > 0, 'indicators defined');
    const id = list[0].id;
    const api = await getJson(`/indicators/${encodeURIComponent(id)}?zones=${scheme}`);
    const zones = api.zones;
    if (expected) assert.equal(zones.length, expected, `${scheme}: zones from the API`);
    const { page, context, errors } = await openPage(browser, `/?lang=en&view=equity&indicator=${encodeURIComponent(id)}&zones=${scheme}&map=10.30/43.25000/76.90000`);
    await page.locator('#equity-table tbody tr').first().waitFor({ timeout: 30000 });
    await mapIdle(page);
    const drawn = await drawnValues(page);
    await shot(page, `equity-${scheme}`);
    assert.equal(Object.keys(drawn).length, zones.length, `zones drawn: ${JSON.stringify(drawn)}`);
    for (const z of zones) {
      const k = zoneKey(z);
      assert.ok(k in drawn, `zone ${k} drawn`);
      assert.equal(drawn[k], Number.isFinite(z.value) ? z.value : null, `zone ${k}: map shows the API value`);
    }
    // the table beside the map lists the same values
    const tableValues = await page.locator('#equity-table tbody td[data-value]').evaluateAll((tds) => tds.map((td) => td.dataset.value));
    assert.deepEqual(tableValues.map((v) => (v === '' ? null : Number(v))).sort(), zones.map((z) => (Number.isFinite(z.value) ? z.value : null)).sort());
    assert.ok(await page.locator('#equity-legend .ramp span').count() === 5, 'legend drawn');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('switching the indicator in the page redraws the choropleth with that indicator', async () => {
  const defs = await getJson('/indicators');
  const list = Array.isArray(defs) ? defs : defs.indicators;
  if (list.length < 2) return;
  const { page, context } = await openPage(browser, `/?lang=ru&view=equity&indicator=${encodeURIComponent(list[0].id)}&zones=districts&map=10.30/43.25000/76.90000`);
  await page.locator('#equity-table tbody tr').first().waitFor({ timeout: 30000 });
  await page.locator('#equity-indicator').selectOption(list[1].id);
  await page.waitForFunction((id) => location.search.includes(`indicator=${id}`), list[1].id);
  const api = await getJson(`/indicators/${encodeURIComponent(list[1].id)}?zones=districts`);
  await page.waitForFunction((n) => document.querySelectorAll('#equity-table tbody tr').length === n, api.zones.length);
  await mapIdle(page);
  const drawn = await drawnValues(page);
  for (const z of api.zones) assert.equal(drawn[zoneKey(z)], Number.isFinite(z.value) ? z.value : null);
  await shot(page, 'equity-ru-second-indicator');
  await context.close();
});
