// The equity choropleth draws exactly the engine's numbers: one polygon per zone, each carrying
// the value /indicators/{id}?zones=… returned, for districts (8) and for rings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, mapIdle, rendered, shot, seen, foreignRequests } from './browser.mjs';

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
    assert.ok(await page.locator('#equity-legend .ramp span').count() >= 2, 'legend classes drawn');
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

// Under the indicator selector: what the indicator counts, the norm in force and its source, in
// the page's language (the definitions' `descriptions`/`references`), changing with the indicator.
for (const l of ['kk', 'ru', 'en']) {
  test(`the equity view explains the chosen indicator in ${l}: what it counts, the norm, the source`, async () => {
    const defs = await getJson('/indicators');
    const list = Array.isArray(defs) ? defs : defs.indicators;
    const stops = list.find((d) => d.id === 'stops_500m');
    const green = list.find((d) => d.id === 'green_m2_per_resident');
    for (const d of [stops, green]) assert.ok(d?.descriptions?.[l] && d?.references?.[l], `${d?.id}: ${l} texts served`);
    const { page, context, errors } = await openPage(browser, `/?lang=${l}&view=equity&indicator=stops_500m&zones=districts&edition=live&map=10.30/43.25000/76.90000`,
      { viewport: { width: 390, height: 844 } });
    await page.locator('#equity-table tbody tr').first().waitFor({ timeout: 30000 });
    const about = page.locator('#equity-about .indicator-about');
    assert.equal(await about.getAttribute('data-indicator'), 'stops_500m');
    const text = await about.locator('.about-text').innerText();
    assert.ok(text.includes(stops.descriptions[l]), `${l}: ${text}`);
    if (l !== 'en') assert.ok(!text.includes(stops.description), `${l}: the English shown: ${text}`);
    assert.ok((await about.locator('.about-source').innerText()).includes(stops.references[l]));
    assert.match(await about.locator('.about-norm').innerText(), /≥ 100 %/);
    // The explanation sits right under the selector, inside the panel at phone width.
    const [sel, box] = await Promise.all([page.locator('#equity-indicator').boundingBox(), about.boundingBox()]);
    assert.ok(box.y >= sel.y + sel.height - 1 && box.x + box.width <= 390 + 0.5, `under the selector, inside the screen: ${JSON.stringify({ sel, box })}`);

    await page.locator('#equity-indicator').selectOption('green_m2_per_resident');
    await page.waitForFunction(() => document.querySelector('#equity-about .indicator-about')?.dataset.indicator === 'green_m2_per_resident');
    await page.locator('#equity-table tbody tr').first().waitFor({ timeout: 30000 });
    const after = await about.locator('.about-text').innerText();
    assert.ok(after.includes(green.descriptions[l]) && !after.includes(stops.descriptions[l]), `${l}: ${after}`);
    assert.ok((await about.locator('.about-source').innerText()).includes(green.references[l]));
    const norm = await about.locator('.about-norm').innerText();
    const unit = { kk: 'м²/тұрғын', ru: 'м²/жителя', en: 'm²/resident' }[l];
    assert.ok(norm.includes(`≥ 10 ${unit}`) && norm.includes(green.norm_variants[0].names[l]), `${l}: ${norm}`);
    await page.locator('#equity-about').scrollIntoViewIfNeeded();
    await shot(page, `equity-about-${l}-phone`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('the planner explains the chosen indicator and gives the norm variant\'s source in the page\'s language', async () => {
  const defs = await getJson('/indicators');
  const list = Array.isArray(defs) ? defs : defs.indicators;
  const green = list.find((d) => d.id === 'green_m2_per_resident');
  const { page, context } = await openPage(browser, '/?lang=ru&view=planner&zones=districts&indicator=green_m2_per_resident&norm=city&map=10.30/43.25000/76.90000');
  await page.locator('#planner-about').waitFor({ timeout: 60000 });
  assert.ok((await page.locator('#planner-about .about-text').innerText()).includes(green.descriptions.ru));
  const city = green.norm_variants.find((v) => v.id === 'city');
  assert.match(await page.locator('#planner-about .about-norm').innerText(), /≥ 4,8 м²\/жителя/);
  assert.ok((await page.locator('#planner-norm-source').innerText()).includes(city.sources.ru));
  await context.close();
});

test('the planner table lists every indicator with unit and norm, sorts, and offers the CSV', async () => {
  const defs = await getJson('/indicators');
  const list = Array.isArray(defs) ? defs : defs.indicators;
  const { page, context, requests } = await openPage(browser, '/?lang=en&view=planner&zones=districts&map=10.30/43.25000/76.90000');
  await page.locator('#planner-table tbody tr').first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator('#planner-table tbody tr').count(), list.length);
  // every indicator with a unit shows one (translated: 'share of residents' reads as '… %')
  const units = await page.locator('#planner-table tbody tr td:nth-child(2)').allInnerTexts();
  assert.equal(units.filter((u) => u.trim()).length, list.filter((d) => d.unit).length);
  assert.ok(units.some((u) => u.includes('%')), 'shares shown as percentages');
  // sorting by the centre column puts the rows in numeric order
  await page.locator('#planner-table th[data-key="centre"] button').click();
  assert.equal(await page.locator('#planner-table th[data-key="centre"]').getAttribute('aria-sort'), 'ascending');
  const centre = (await page.locator('#planner-table tbody tr td:nth-child(5)').allInnerTexts()).map((x) => Number(x.replaceAll(',', '')));
  const finite = centre.filter(Number.isFinite);
  assert.deepEqual(finite, [...finite].sort((a, b) => a - b));
  // the chart and the CSV of the chosen indicator
  assert.ok(await page.locator('#planner-chart svg rect').count() >= 8, 'a bar per district');
  const href = await page.locator('#planner-csv').getAttribute('href');
  const csv = await fetch(BASE + href);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  assert.ok((await csv.text()).trim().split('\n').length >= 9, 'header + 8 districts');
  await shot(page, 'planner-table');
  assert.ok(requests.every((u) => new URL(u).host === new URL(BASE).host));
  await context.close();
});

test('what-if: placing a stop on the map shows before/after deltas per zone', async () => {
  const { page, context } = await openPage(browser, '/?lang=en&view=planner&zones=districts&map=13.00/43.20000/76.85000');
  await page.locator('#planner-table tbody tr').first().waitFor({ timeout: 60000 });
  await mapIdle(page);
  await page.locator('#draw-stop').click();
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('.whatif-table').first().waitFor({ timeout: 30000 });
  const deltas = await page.locator('.whatif-table tbody td:nth-child(4)').allInnerTexts();
  assert.ok(deltas.some((d) => d.startsWith('+')), `some zone gains access: ${deltas.join(' ')}`);
  assert.ok(await rendered(page, ['whatif-point']) > 0, 'the new stop is drawn');
  await shot(page, 'planner-whatif');
  await context.close();
});

test('the bike view shows residents within 300 m now and with the plan as the engine computes them', async () => {
  const [now, plan] = await Promise.all(['bike_300m_existing', 'bike_300m_plan'].map((id) => getJson(`/indicators/${id}?zones=districts`)));
  const { page, context } = await openPage(browser, '/?lang=en&view=bike&map=12.00/43.24000/76.93000');
  await page.locator('#bike-pop-share').waitFor({ timeout: 60000 });
  assert.match(await page.locator('#bike-pop-source').innerText(), /indicator engine/);
  const text = await page.locator('#bike-pop-share').innerText();
  const pct = (r) => (100 * r.city.numerator / now.city.denominator).toFixed(1);
  assert.ok(text.includes(`Now: ${pct(now)} %`), `${text} vs engine ${pct(now)}`);
  assert.ok(text.includes(`With the plan: ${pct(plan)} %`), `${text} vs engine ${pct(plan)}`);
  assert.ok(plan.city.value > now.city.value, 'the plan reaches more residents');
  await context.close();
});

test('no page of these tests asked any host but qala', () => {
  assert.ok(seen.length > 20, `requests seen: ${seen.length}`);
  assert.deepEqual(foreignRequests(), []);
});

test('what-if: drawing a bike lane and a park with clicks and Finish shows their deltas', async () => {
  const { page, context } = await openPage(browser, '/?lang=en&view=planner&zones=districts&map=14.00/43.22000/76.86000');
  await page.locator('#planner-table tbody tr').first().waitFor({ timeout: 60000 });
  await mapIdle(page);
  const box = await page.locator('#map').boundingBox();
  const at = (fx, fy) => page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  await page.locator('#draw-lane').click();
  await at(0.3, 0.5);
  await at(0.7, 0.5);
  await page.locator('#draw-finish').click();
  await page.locator('.whatif-table[data-indicator="bike_300m_existing"]').waitFor({ timeout: 30000 });
  await page.locator('#draw-park').click();
  await at(0.4, 0.4);
  await at(0.6, 0.4);
  await at(0.6, 0.6);
  await at(0.4, 0.6);
  await page.locator('#draw-finish').click();
  await page.locator('.whatif-table[data-indicator="green_m2_per_resident"]').waitFor({ timeout: 30000 });
  const city = await page.locator('.whatif-table[data-indicator="green_m2_per_resident"] tbody tr').first().locator('td').allInnerTexts();
  assert.match(city[3], /^\+/, `green space per resident grows: ${city.join(' | ')}`);
  await shot(page, 'planner-whatif-park');
  await context.close();
});

test('the planner on foot adds the severance gap of each access indicator, as the API computes it', async () => {
  const defs = await getJson('/indicators');
  const list = Array.isArray(defs) ? defs : defs.indicators;
  const access = list.filter((d) => d.measure?.type === 'access');
  assert.ok(access.length > 0, 'access indicators defined');
  const { page, context, errors } = await openPage(browser, '/?lang=en&view=planner&zones=districts&map=10.30/43.25000/76.90000');
  await page.locator('#planner-table tbody tr').first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator('#planner-table th[data-key="severance"]').count(), 0, 'no gap column as the crow flies');
  await page.locator('#planner-distance').selectOption('network');
  await page.waitForFunction(() => location.search.includes('distance=network'));
  await page.locator('#planner-table th[data-key="severance"]').waitFor({ timeout: 60000 });
  assert.ok(await page.locator('#planner-distance-note').isVisible(), 'the gap is explained');
  // one row per indicator still; the gap column shows the API's city gap in percentage points
  assert.equal(await page.locator('#planner-table tbody tr').count(), list.length);
  const d = access[0];
  const api = await getJson(`/indicators/${encodeURIComponent(d.id)}?zones=districts&distance=network`);
  const gapPp = api.severance.city.gap * 100;
  assert.ok(gapPp >= 0, 'walking never reaches more residents than the straight line');
  const cols = await page.locator('#planner-table thead th').evaluateAll((ths) => ths.map((th) => th.dataset.key));
  const gapCol = cols.indexOf('severance') + 1;
  const titleCol = cols.indexOf('title') + 1;
  const titles = await page.locator(`#planner-table tbody tr td:nth-child(${titleCol})`).allInnerTexts();
  const gaps = await page.locator(`#planner-table tbody tr td:nth-child(${gapCol})`).allInnerTexts();
  const shown = gaps[titles.findIndex((x) => x.trim() === (d.title?.en ?? d.names?.en ?? x).trim())];
  assert.ok(shown !== undefined, `row of ${d.id} found`);
  assert.ok(Math.abs(Number(shown.replaceAll(',', '')) - gapPp) < 0.006, `${d.id}: shown ${shown} pp, API ${gapPp} pp`);
  // the CSV of an access indicator is the walking one
  await page.locator('#planner-indicator').selectOption(d.id);
  // the indicator's section is redrawn once its figures (and the edition's) have been read
  await page.waitForFunction((id) => document.querySelector('#planner-csv')?.getAttribute('href').startsWith(`/indicators/${id}?`), d.id);
  const href = await page.locator('#planner-csv').getAttribute('href');
  assert.match(href, /distance=network/);
  const csv = await (await fetch(BASE + href)).text();
  assert.match(csv.split('\n')[0], /distance,straight_value,severance_gap$/);
  // a shared URL keeps the mode
  const { page: again, context: c2 } = await openPage(browser, `/?lang=kk&view=planner&zones=districts&distance=network&map=10.30/43.25000/76.90000`);
  await again.locator('#planner-table th[data-key="severance"]').waitFor({ timeout: 60000 });
  assert.equal(await again.locator('#planner-distance').inputValue(), 'network');
  await shot(page, 'planner-on-foot');
  assert.deepEqual(errors, []);
  await c2.close();
  await context.close();
});
