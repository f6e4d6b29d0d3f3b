// The equity view's walking profiles against the real server: a step-free indicator
// (/indicators/step_free_school_500m) draws each zone with the API's profile share, the gap
// table lists the API's walk, profile and gap per zone (percentage points), the barrier ways of
// GET /networks/walk/barriers are drawn with a legend giving their count, the "walk" switch
// recolours the zones with the walk share and "elderly" switches to the elderly twin; in
// Kazakh and English, no serious or critical axe violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BASE, launch, openPage, mapIdle, shot } from './browser.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function getJson(path) {
  const res = await fetch(BASE + path);
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return res.json();
}

function drawnValues(page) {
  return page.evaluate(() => {
    const out = {};
    for (const f of window.qala.map.queryRenderedFeatures({ layers: ['zones-fill'] })) out[f.properties.zone_key] = f.properties.value ?? null;
    return out;
  });
}

async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

for (const lang of ['kk', 'en']) {
  test(`${lang}: step-free access beside the walk, the gap per zone, the barriers on the map, axe`, async () => {
    const id = 'step_free_school_500m';
    const api = await getJson(`/indicators/${id}?zones=districts`);
    const wp = api.walk_profile;
    assert.equal(wp.profile, 'step_free');
    const barriers = await getJson('/networks/walk/barriers?profile=step_free');
    assert.ok(barriers.total > 0, 'the fixtures have steps');
    const { page, context, errors } = await openPage(browser, `/?lang=${lang}&view=equity&indicator=${id}&zones=districts&map=11.00/43.25000/76.92000`);
    await page.locator('#profile-gap tbody tr').first().waitFor({ timeout: 60000 });
    await page.waitForFunction(() => /\(\d/.test(document.querySelector('#barriers-legend')?.textContent ?? ''), null, { timeout: 60000 });
    await mapIdle(page);
    // zones coloured by the profile's share, as the API says
    const drawn = await drawnValues(page);
    for (const z of api.zones) assert.equal(drawn[z.zone], Number.isFinite(z.value) ? z.value : null, `zone ${z.zone}`);
    // the gap table: one row per zone and the city, gap = the API's
    const gaps = await page.locator('#profile-gap tbody td[data-gap]').evaluateAll((tds) => tds.map((td) => td.dataset.gap));
    assert.equal(gaps.length, wp.zones.length + 1);
    wp.zones.forEach((z, i) => assert.equal(gaps[i] === '' ? null : Number(gaps[i]), z.gap ?? null, `gap of ${z.zone}`));
    assert.equal(Number(gaps[wp.zones.length]), wp.city.gap);
    // the barrier ways: drawn (the layer's source holds the API's features) and counted in the legend
    // (the source's data, not querySourceFeatures: that sees only the tiles in view, and the
    // steep ways of the foothills lie south of it)
    const drawnBarriers = await page.evaluate(async () => {
      const map = window.qala.map;
      const data = await map.getSource('geo-barriers').getData();
      return {
        visible: map.getLayoutProperty('walk-barriers', 'visibility') === 'visible',
        rows: new Set(data.features.map((f) => f.properties.row)).size,
        inView: map.querySourceFeatures('geo-barriers').length,
      };
    });
    assert.ok(drawnBarriers.visible, 'the barriers layer is on');
    assert.equal(drawnBarriers.rows, barriers.total, 'every barrier way is on the map');
    assert.ok(drawnBarriers.inView > 0, 'barrier ways are drawn in the view');
    assert.ok((await page.locator('#barriers-legend').textContent()).includes(String(barriers.total)));
    await shot(page, `walk-step-free-${lang}`);
    assert.deepEqual(await axeViolations(page), []);
    // "walk": the same zones coloured by the walk share
    await page.locator('label[for="profile-walk"]').click();
    await page.waitForFunction(() => document.querySelector('#profile-walk')?.checked);
    await mapIdle(page);
    const walk = await drawnValues(page);
    wp.zones.forEach((z) => assert.equal(walk[z.zone], Number.isFinite(z.walk) ? z.walk : null, `walk share of ${z.zone}`));
    // "elderly": the elderly twin
    await page.locator('label[for="profile-elderly"]').click();
    await page.waitForFunction(() => location.search.includes('indicator=elderly_school_500m'), null, { timeout: 30000 });
    await page.waitForFunction(() => document.querySelector('#profile-elderly')?.checked, null, { timeout: 60000 });
    assert.deepEqual(errors, []);
    await context.close();
  });
}
