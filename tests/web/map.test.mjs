// The public map: it draws real features from qala's tiles, toggles hide layers, the language
// switch changes the labels, the URL keeps language, view and position, it works at phone size
// and from the keyboard, and the page never asks another host for anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, mapIdle, rendered, shot } from './browser.mjs';

const BIKE = ['bike-lanes-existing', 'bike-lanes-under_construction', 'bike-lanes-planned'];
const CENTRE = 'map=12.50/43.24000/76.93000';
let browser;
const allRequests = [];

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(path, opts) {
  const o = await openPage(browser, path, opts);
  allRequests.push(...o.requests);
  return o;
}

test('the bike map loads and draws lanes, streets and district labels from qala tiles', async () => {
  const { page, context, errors, requests } = await open(`/?lang=en&view=bike&${CENTRE}`);
  await mapIdle(page);
  const lanes = await rendered(page, BIKE);
  const streets = await rendered(page, ['roads-major', 'roads-minor']);
  const labels = await rendered(page, ['districts-label']);
  await shot(page, 'bike-en');
  assert.ok(lanes > 10, `bike lanes drawn: ${lanes}`);
  assert.ok(streets > 100, `streets drawn: ${streets}`);
  assert.ok(labels >= 1, `district labels drawn: ${labels}`);
  // every status of the legend is on the map, and tiles came from /tiles
  for (const status of ['existing', 'under_construction', 'planned']) {
    assert.ok(await rendered(page, [`bike-lanes-${status}`]) > 0, `${status} lanes drawn`);
  }
  // tiles from TileJSON's URL, which names the version served (immutable, cached for a year)
  assert.ok(requests.some((u) => new URL(u).pathname === '/tiles/bike-lanes.json'), 'bike-lanes TileJSON requested');
  assert.ok(requests.some((u) => /^\/tiles\/bike-lanes@\d+\/\d+\/\d+\/\d+\.mvt$/.test(new URL(u).pathname)), 'versioned bike-lanes tiles requested');
  // the stats panel computed km per district for all 8 districts
  assert.equal(await page.locator('#bike-km-table tbody tr').count(), 8);
  assert.match(await page.locator('.maplibregl-ctrl-attrib').innerText(), /OpenStreetMap contributors/);
  assert.ok(await page.locator('.badge-synth').count() > 0, 'synthetic layers are labelled');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a layer toggle hides that layer and only that layer', async () => {
  const { page, context } = await open(`/?lang=en&view=bike&${CENTRE}`);
  await mapIdle(page);
  const before = await rendered(page, ['bike-lanes-planned']);
  const existingBefore = await rendered(page, ['bike-lanes-existing']);
  assert.ok(before > 0);
  await page.locator('#toggle-bike-planned').uncheck();
  await mapIdle(page);
  assert.equal(await page.evaluate(() => window.qala.map.getLayoutProperty('bike-lanes-planned', 'visibility')), 'none');
  assert.equal(await rendered(page, ['bike-lanes-planned']), 0, 'planned lanes hidden');
  assert.equal(await rendered(page, ['bike-lanes-existing']), existingBefore, 'existing lanes still drawn');
  await shot(page, 'bike-planned-hidden');
  await page.locator('#toggle-bike-planned').check();
  await mapIdle(page);
  assert.equal(await rendered(page, ['bike-lanes-planned']), before, 'planned lanes back');
  await context.close();
});

test('the language switch changes the interface and the map labels, and the URL keeps it', async () => {
  const { page, context } = await open(`/?lang=en&view=greening&${CENTRE}`);
  await mapIdle(page);
  assert.equal(await page.locator('h2').first().innerText(), 'Greening');
  const enLabels = await page.evaluate(() => window.qala.map.queryRenderedFeatures({ layers: ['districts-label'] }).map((f) => f.properties.name_en));
  assert.ok(enLabels.length > 0);
  await page.locator('button[data-lang="kk"]').click();
  await mapIdle(page);
  assert.equal(await page.locator('h2').first().innerText(), 'Көгалдандыру');
  assert.equal(await page.locator('html').getAttribute('lang'), 'kk');
  assert.equal(await page.locator('a.view-link[data-view="bike"]').innerText(), 'Веложелі');
  assert.deepEqual(await page.evaluate(() => window.qala.map.getLayoutProperty('districts-label', 'text-field')), ['get', 'name_kk']);
  assert.match(page.url(), /lang=kk/);
  await shot(page, 'greening-kk');
  await page.locator('button[data-lang="ru"]').click();
  assert.equal(await page.locator('h2').first().innerText(), 'Озеленение');
  assert.match(await page.locator('#toggle-tree-fellings').locator('..').innerText(), /Вырубки деревьев/);
  assert.match(page.url(), /lang=ru/);
  await context.close();
});

test('the URL keeps view, language and map position, so a shared link opens the same map', async () => {
  const { page, context } = await open(`/?lang=ru&view=wayfinding&map=14.00/43.25000/76.95000`);
  await mapIdle(page);
  const c = await page.evaluate(() => ({ z: window.qala.map.getZoom(), ...window.qala.map.getCenter() }));
  assert.ok(Math.abs(c.z - 14) < 1e-6 && Math.abs(c.lat - 43.25) < 1e-5 && Math.abs(c.lng - 76.95) < 1e-5, JSON.stringify(c));
  assert.equal(await page.locator('a.view-link[aria-current="page"]').getAttribute('data-view'), 'wayfinding');
  assert.ok(await rendered(page, ['nav-signs']) > 0, 'signs drawn');
  assert.ok(await rendered(page, ['coverage']) > 0, 'coverage circles drawn');
  await shot(page, 'wayfinding-ru');
  await page.evaluate(() => window.qala.map.jumpTo({ center: [76.91, 43.22], zoom: 13 }));
  await mapIdle(page);
  const url = page.url();
  assert.match(url, /map=13\.00\/43\.22000\/76\.91000/);
  assert.match(url, /view=wayfinding/);
  const second = await open(new URL(url).pathname + new URL(url).search);
  const c2 = await second.page.evaluate(() => ({ z: window.qala.map.getZoom(), ...window.qala.map.getCenter() }));
  assert.ok(Math.abs(c2.z - 13) < 1e-6 && Math.abs(c2.lat - 43.22) < 1e-5 && Math.abs(c2.lng - 76.91) < 1e-5, JSON.stringify(c2));
  assert.equal(await second.page.locator('html').getAttribute('lang'), 'ru');
  await second.context.close();
  await context.close();
});

test('greening shows fellings and plantings with permit and dates in the popup', async () => {
  const { page, context } = await open(`/?lang=en&view=greening&${CENTRE}`);
  await mapIdle(page);
  await page.waitForFunction(() => window.qala.map.querySourceFeatures('geo-fellings').length > 0, null, { timeout: 20000 });
  await mapIdle(page);
  assert.ok(await rendered(page, ['tree-fellings']) > 0);
  assert.ok(await rendered(page, ['tree-plantings']) > 0);
  const statuses = await page.evaluate(() => [...new Set(window.qala.map.queryRenderedFeatures({ layers: ['tree-fellings'] }).map((f) => f.properties.qala_status))].sort());
  assert.ok(statuses.includes('overdue') && statuses.includes('delivered'), statuses.join());
  // a felling that nothing else covers (plantings are drawn above fellings and often next to them)
  const pt = await page.evaluate(() => {
    const m = window.qala.map;
    const w = m.getCanvas().clientWidth;
    const hgt = m.getCanvas().clientHeight;
    const box = m.getCanvas().getBoundingClientRect();
    for (const f of m.queryRenderedFeatures({ layers: ['tree-fellings'] })) {
      const p = m.project(f.geometry.coordinates);
      if (p.x < 40 || p.y < 40 || p.x > w - 40 || p.y > hgt - 40) continue;
      // not under a map control (search, legend, zoom)
      if (document.elementFromPoint(box.left + p.x, box.top + p.y) !== m.getCanvas()) continue;
      const top = m.queryRenderedFeatures([[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]], { layers: ['tree-fellings', 'tree-plantings'] });
      if (top.length === 1) return { x: p.x, y: p.y };
    }
    return null;
  });
  assert.ok(pt, 'a felling free of other points to click');
  await page.mouse.click(pt.x + (await page.locator('#map').boundingBox()).x, pt.y + (await page.locator('#map').boundingBox()).y);
  const popup = page.locator('.maplibregl-popup');
  await popup.waitFor();
  assert.match(await popup.innerText(), /Permit .+/);
  assert.match(await popup.innerText(), /Felled on: \d{1,2} [A-Z][a-z]+ \d{4}/);
  await shot(page, 'greening-popup');
  await context.close();
});

test('phone-size screen: the map fills the screen and the panel opens over it', async () => {
  const { page, context } = await open(`/?lang=kk&view=bike&${CENTRE}`, { viewport: { width: 375, height: 740 } });
  await mapIdle(page);
  const box = await page.locator('#map').boundingBox();
  assert.ok(box.width >= 370 && box.height > 500, JSON.stringify(box));
  assert.ok(await rendered(page, BIKE) > 0, 'lanes drawn on a phone');
  const toggle = page.locator('#panel-toggle');
  assert.ok(await toggle.isVisible());
  await shot(page, 'phone-closed');
  await toggle.click();
  await page.waitForTimeout(400);
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  const panel = await page.locator('#panel').boundingBox();
  assert.ok(panel.y < 740 - 200, `panel opened: ${JSON.stringify(panel)}`);
  await shot(page, 'phone-open');
  await context.close();
});

test('keyboard: skip link, views and language switch are reachable and work with Enter', async () => {
  const { page, context } = await open(`/?lang=en&view=bike&${CENTRE}`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.view), 'bike');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('a.view-link[aria-current="page"]').getAttribute('data-view'), 'greening');
  assert.match(page.url(), /view=greening/);
  // on to the language buttons: Tab past the remaining view links
  let guard = 0;
  while (guard < 20 && (await page.evaluate(() => document.activeElement.dataset.lang)) !== 'kk') {
    await page.keyboard.press('Tab');
    guard += 1;
  }
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('html').getAttribute('lang'), 'kk');
  // the legend toggles are checkboxes: Space flips them
  await page.locator('#toggle-tree-fellings').focus();
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => window.qala.map.getLayoutProperty('tree-fellings', 'visibility')), 'none');
  await context.close();
});

test('the page asks no host but qala for anything', () => {
  const host = new URL(BASE).host;
  assert.ok(allRequests.length > 50, `requests seen: ${allRequests.length}`);
  const foreign = allRequests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).host !== host);
  assert.deepEqual(foreign, []);
  assert.ok(allRequests.some((u) => u.includes('/fonts/noto-sans-')), 'web font served by qala');
});
