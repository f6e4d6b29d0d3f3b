// Residents' proposals in a phone-sized browser against the real server: a proposal whose text
// is script and HTML is submitted by clicking the map and filling the form, shown escaped in
// the moderator queue and (once approved) in the map popup, and no script of it runs; the
// same proposal again is answered "support instead"; the synthetic set is labelled. Then, on a
// desktop-sized page: a line and an area drawn by clicking the map (an unfinished area refused
// by the form), approved in the queue and drawn on the public map; the heat map toggle; a
// moderator moving a proposal along the lifecycle from its popup, a forbidden jump and a missing
// reason answered in the chosen language; a duplicate merged from the queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, mapIdle, shot, foreignRequests, seen } from './browser.mjs';

const MOD_TOKEN = process.env.QALA_WEB_MOD_TOKEN;
const EVIL = '<script>window.__x=1</script><img src=x onerror=window.__y=1>';
const PLACE = [76.9312, 43.2441]; // inside Almalinsky district
const PHONE = { width: 390, height: 844 };
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.proposalsReady === 'true', null, { timeout: 30000 });
}

async function clickPlace(page, dx = 0) {
  await page.evaluate(([lon, lat]) => window.qala.map.jumpTo({ center: [lon, lat], zoom: 18 }), PLACE);
  await mapIdle(page);
  const box = await page.locator('#map canvas').first().boundingBox();
  const pt = await page.evaluate(([lon, lat]) => window.qala.map.project([lon, lat]), PLACE);
  await page.mouse.click(box.x + pt.x + dx, box.y + pt.y);
}

async function openPanel(page) {
  const toggle = page.locator('#panel-toggle');
  if (await toggle.isVisible() && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

test('a proposal with script and HTML in its text is shown as text and runs nothing', async () => {
  assert.ok(MOD_TOKEN, 'QALA_WEB_MOD_TOKEN set by run.sh');
  const { page, context, errors } = await openPage(browser, '/?lang=en&view=proposals', { viewport: PHONE });
  await ready(page);
  await openPanel(page);
  // the synthetic set is labelled
  assert.match(await page.locator('#proposals-synthetic').innerText(), /synthetic/);
  await page.locator('#panel-toggle').click().catch(() => {});
  await clickPlace(page);
  await openPanel(page);
  assert.match(await page.locator('#prop-place').innerText(), /43\.24/);
  await page.locator('#prop-category').selectOption('safety');
  await page.locator('#prop-text').fill(EVIL);
  await page.locator('#prop-contact').fill('private@example.kz');
  // the honeypot is off screen for a person and hidden from screen readers
  const hp = await page.locator('#prop-website').boundingBox();
  assert.ok(hp.x + hp.width < 0, JSON.stringify(hp));
  assert.equal(await page.locator('.hp').getAttribute('aria-hidden'), 'true');
  await page.locator('#prop-send').scrollIntoViewIfNeeded();
  await shot(page, 'proposals-form-phone');
  await page.locator('#prop-send').click();
  await page.locator('#prop-result .msg-ok').waitFor();

  // the moderator queue shows it as text; approve it there
  await page.locator('#prop-mod-token').fill(MOD_TOKEN);
  await page.locator('#prop-load-queue').click();
  const item = page.locator('#prop-queue li', { hasText: 'window.__x=1' });
  await item.waitFor();
  assert.equal(await item.locator('.prop-text').innerText(), EVIL);
  assert.equal(await item.locator('.prop-text img, .prop-text script').count(), 0);
  await item.locator('.prop-approve').click();
  await item.locator('.msg-ok').waitFor();

  // the public map: the popup shows the text as text, and no script of it ran
  await page.reload();
  await page.waitForFunction(() => window.qala?.ready === true);
  await ready(page);
  await clickPlace(page);
  await page.locator('.popup .prop-text').waitFor();
  assert.equal(await page.locator('.popup .prop-text').innerText(), EVIL);
  assert.equal(await page.locator('.popup img, .popup script').count(), 0);
  assert.doesNotMatch(await page.locator('.popup').innerText(), /private@example/);
  await shot(page, 'proposals-popup-phone');
  assert.deepEqual(await page.evaluate(() => [window.__x, window.__y]), [undefined, undefined]);

  // the same again: a near-duplicate, answered with "support instead"
  await page.keyboard.press('Escape');
  await page.evaluate(() => document.querySelector('.maplibregl-popup')?.remove());
  await openPanel(page);
  await page.locator('#prop-category').selectOption('safety');
  await page.locator('#prop-text').fill(EVIL);
  await page.locator('#panel-toggle').click().catch(() => {});
  // ~9 m east of the approved one (zoom 18: ~0.44 m a pixel), beside its circle
  await clickPlace(page, 20);
  await openPanel(page);
  await page.locator('#prop-send').click();
  await page.locator('#prop-support-instead').waitFor();
  await page.locator('#prop-support-instead').click();
  await page.locator('#prop-result .msg-ok').waitFor();
  assert.deepEqual(await page.evaluate(() => [window.__x, window.__y]), [undefined, undefined]);
  assert.deepEqual(errors, []);
  assert.deepEqual(foreignRequests(seen), []);
  await context.close();
});

test('a large public set is drawn from the server\'s vector tiles: clusters at the city zoom, each proposal with its popup close up', async () => {
  // ?proposal_tiles=1: the tiles whatever the size (a set above one page of 5,000 switches itself).
  const { page, context, errors } = await openPage(browser, '/?lang=kk&view=proposals&proposal_tiles=1');
  await ready(page);
  const tileRequests = [];
  page.on('request', (r) => { if (r.url().includes('/proposals/tiles/')) tileRequests.push(r.url()); });
  await page.evaluate(() => window.qala.map.jumpTo({ center: [76.93, 43.25], zoom: 11 }));
  await page.waitForFunction(() => window.qala.map.queryRenderedFeatures({ layers: ['proposals-tile-clusters'] }).length > 0, null, { timeout: 30000 });
  const clustered = await page.evaluate(() => window.qala.map.queryRenderedFeatures({ layers: ['proposals-tile-clusters'] })
    .reduce((a, f) => a + Number(f.properties.point_count), 0));
  assert.ok(clustered > 100, `clusters count the public proposals: ${clustered}`);
  assert.ok(tileRequests.length > 0, 'tiles came from /proposals/tiles');
  assert.equal(await page.evaluate(() => window.qala.map.getLayoutProperty('proposals-clusters', 'visibility')), 'none', 'the GeoJSON layers give way');
  // Close up, each proposal; a click opens its popup with its text (fetched: tiles carry none).
  await page.evaluate(() => window.qala.map.jumpTo({ center: [76.93, 43.25], zoom: 14.5 }));
  await page.waitForFunction(() => window.qala.map.queryRenderedFeatures({ layers: ['proposals-tile-points'] }).length > 0, null, { timeout: 30000 });
  // The proposal nearest the middle of the map (one at the edge may sit under a control).
  const pt = await page.evaluate(() => {
    const m = window.qala.map;
    const c = m.project(m.getCenter());
    const pts = m.queryRenderedFeatures({ layers: ['proposals-tile-points'] }).map((f) => m.project(f.geometry.coordinates));
    return pts.sort((a, b) => Math.hypot(a.x - c.x, a.y - c.y) - Math.hypot(b.x - c.x, b.y - c.y))[0];
  });
  const box = await page.locator('#map canvas').first().boundingBox();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.locator('.popup .prop-text').waitFor({ timeout: 15000 });
  assert.ok((await page.locator('.popup .prop-text').innerText()).length > 0);
  await shot(page, 'proposals-tiles-kk');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the public list never carries a contact', async () => {
  const res = await fetch(`${BASE}/proposals?limit=5000`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.doesNotMatch(text, /private@example|"contact"|client_hash/);
  const fc = JSON.parse(text);
  assert.ok(fc.features.some((f) => f.properties.text === EVIL && f.properties.synthetic === false));
});

// The line and the area: east of the first proposal, inside Almalinsky district.
const DESKTOP = { width: 1280, height: 800 };
const CENTRE = [76.9420, 43.2470];
const LINE = [[76.9405, 43.2478], [76.9420, 43.2482], [76.9435, 43.2478]];
const AREA = [[76.9408, 43.2462], [76.9432, 43.2462], [76.9432, 43.2452], [76.9408, 43.2452]];
const LINE_TEXT = 'A protected bike lane along this street, please';
const AREA_TEXT = 'Plant trees and benches in this empty courtyard';
const DUP_TEXT = 'Cycle path needed on this road for children going to school';
const ids = {};

async function clickAt(page, lonlat) {
  const box = await page.locator('#map canvas').first().boundingBox();
  const pt = await page.evaluate((c) => window.qala.map.project(c), lonlat);
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.waitForTimeout(120); // two clicks apart, never a double click
}

async function centre(page, zoom = 15.5) {
  await page.evaluate(([c, z]) => window.qala.map.jumpTo({ center: c, zoom: z }), [CENTRE, zoom]);
  await mapIdle(page);
}

const modFetch = (path, body) => fetch(`${BASE}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${MOD_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

test('a line and an area drawn on the map are sent, approved and drawn on the public map', async () => {
  const { page, context, errors } = await openPage(browser, '/?lang=en&view=proposals', { viewport: DESKTOP });
  await ready(page);
  await centre(page);
  // the shape choice is a radio group: the arrow keys move it
  await page.locator('#prop-shape-point').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('#prop-shape-line').isChecked(), true);
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('#prop-shape-area').isChecked(), true);
  assert.equal(await page.locator('#prop-finish').isVisible(), true);

  // an unfinished area (2 points) is refused by the form, with its message, and nothing is sent
  await clickAt(page, AREA[0]);
  await clickAt(page, AREA[1]);
  assert.match(await page.locator('#prop-place').innerText(), /Points: 2/);
  await page.locator('#prop-category').selectOption('greening_air');
  await page.locator('#prop-text').fill(AREA_TEXT);
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/proposals')) posts.push(r.url()); });
  await page.locator('#prop-send').click();
  assert.match(await page.locator('#prop-result .msg-error').innerText(), /area needs at least 3 points/);
  await page.locator('#prop-finish').click();
  assert.match(await page.locator('#prop-result .msg-error').innerText(), /area needs at least 3 points/);
  assert.deepEqual(posts, []);

  // three more corners, one undone: a four-cornered area, finished and drawn as a fill
  await clickAt(page, AREA[2]);
  await clickAt(page, [76.9420, 43.2440]);
  await page.locator('#prop-undo').click();
  await clickAt(page, AREA[3]);
  await page.locator('#prop-finish').click();
  assert.match(await page.locator('#prop-place').innerText(), /Area finished.*Points: 4/);
  await page.waitForFunction(() => window.qala.map.queryRenderedFeatures({ layers: ['proposals-new-fill'] }).length > 0);
  await shot(page, 'proposals-draw-area-desktop');
  await page.locator('#prop-send').click();
  await page.locator('#prop-result .msg-ok').waitFor();
  assert.equal(posts.length, 1);

  // a line: three points
  await page.locator('#prop-shape-line').check();
  for (const c of LINE) await clickAt(page, c);
  await page.locator('#prop-finish').click();
  assert.match(await page.locator('#prop-place').innerText(), /Line finished.*Points: 3/);
  await page.locator('#prop-category').selectOption('mobility_transport');
  await page.locator('#prop-text').fill(LINE_TEXT);
  await page.locator('#prop-send').click();
  await page.waitForFunction(() => document.querySelector('#prop-result .msg-ok') && !document.querySelector('#prop-result .msg-error'));
  assert.equal(posts.length, 2);

  // the queue: both, with their shapes; approve them
  await page.locator('#prop-mod-token').fill(MOD_TOKEN);
  await page.locator('#prop-load-queue').click();
  for (const [text, key, shape] of [[AREA_TEXT, 'area', 'Area'], [LINE_TEXT, 'line', 'Line']]) {
    const item = page.locator('#prop-queue li', { hasText: text });
    await item.waitFor();
    assert.match(await item.innerText(), new RegExp(shape));
    ids[key] = Number(await item.getAttribute('data-id'));
    await item.locator('.prop-approve').click();
    await item.locator('.prop-decision .msg-ok').waitFor();
  }
  const one = await (await fetch(`${BASE}/proposals/${ids.area}`)).json();
  assert.equal(one.geometry.type, 'Polygon');
  assert.equal(one.geometry.coordinates[0].length, 5);
  assert.equal((await (await fetch(`${BASE}/proposals/${ids.line}`)).json()).geometry.type, 'LineString');

  // the public map draws them as a line and a fill; a click on the fill opens its popup
  await page.reload();
  await page.waitForFunction(() => window.qala?.ready === true);
  await ready(page);
  await centre(page);
  const drawn = await page.evaluate(() => {
    const m = window.qala.map;
    const of = (l) => m.queryRenderedFeatures({ layers: [l] }).map((f) => [f.geometry.type, f.properties.text]);
    return { line: of('proposals-line'), fill: of('proposals-fill') };
  });
  assert.ok(drawn.line.some(([ty, tx]) => ty === 'LineString' && tx === LINE_TEXT), JSON.stringify(drawn));
  assert.ok(drawn.fill.some(([ty, tx]) => ty === 'Polygon' && tx === AREA_TEXT), JSON.stringify(drawn));
  await clickAt(page, [76.9420, 43.2457]);
  await page.locator('.popup .prop-text').waitFor();
  assert.equal(await page.locator('.popup .prop-text').innerText(), AREA_TEXT);
  await page.locator('.maplibregl-popup-close-button').click();
  await clickAt(page, LINE[1]);
  await page.waitForFunction((tx) => document.querySelector('.popup .prop-text')?.textContent === tx, LINE_TEXT);
  await shot(page, 'proposals-line-area-desktop');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the heat map toggle shows a heatmap layer and its legend', async () => {
  const { page, context, errors } = await openPage(browser, '/?lang=ru&view=proposals&map=12.00/43.24000/76.93000', { viewport: PHONE });
  await ready(page);
  const heat = () => page.evaluate(() => window.qala.map.getLayoutProperty('proposals-heat', 'visibility') ?? 'visible');
  assert.equal(await heat(), 'none');
  await openPanel(page);
  await page.locator('#prop-heat-toggle').check();
  assert.equal(await heat(), 'visible');
  assert.equal(await page.evaluate(() => window.qala.map.getLayer('proposals-heat').type), 'heatmap');
  // A hidden layer's source loads no tiles: the heat source's tiles come after the toggle.
  await page.waitForFunction(() => window.qala.map.querySourceFeatures('geo-proposal-heat').length > 0, null, { timeout: 15000 });
  assert.match(await page.locator('#prop-heat-legend').innerText(), /меньше предложений[\s\S]*больше предложений/);
  assert.match(await page.locator('#map-legend').textContent(), /больше предложений/);
  await page.locator('#panel-toggle').click();
  await mapIdle(page);
  await shot(page, 'proposals-heat-phone-ru');
  await openPanel(page);
  await page.locator('#prop-heat-toggle').uncheck();
  assert.equal(await heat(), 'none');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a moderator moves a proposal along the lifecycle from its popup; a forbidden jump and a missing reason are refused in words', async () => {
  assert.ok(ids.area && ids.line, 'the line and the area of the test before');
  const { page, context, errors } = await openPage(browser, '/?lang=en&view=proposals', { viewport: DESKTOP });
  await ready(page);
  await page.locator('#prop-mod-token').fill(MOD_TOKEN);
  await centre(page);
  await clickAt(page, [76.9420, 43.2457]);
  const mod = page.locator('.popup .prop-mod');
  await mod.waitFor();
  await mod.locator('summary').click();
  // only the allowed next statuses are offered
  assert.deepEqual(await mod.locator('.prop-next-status option').evaluateAll((os) => os.map((o) => o.value)), ['under_review', 'declined']);
  await mod.locator('.prop-next-status').selectOption('under_review');
  await mod.locator('.prop-set-status').click();
  await page.locator('.popup .prop-mod .msg-ok').waitFor();
  assert.match(await page.locator('.popup .prop-status').innerText(), /Under review/);
  assert.deepEqual(await page.locator('.popup .prop-next-status option').evaluateAll((os) => os.map((o) => o.value)), ['accepted', 'declined']);
  await page.locator('.popup .prop-next-status').selectOption('accepted');
  await page.locator('.popup .prop-public-answer').fill('The district will plant 12 trees here in the autumn.');
  await page.locator('.popup .prop-set-status').click();
  await page.waitForFunction(() => /Accepted/.test(document.querySelector('.popup .prop-status')?.textContent ?? ''));
  assert.match(await page.locator('.popup .prop-answer').innerText(), /plant 12 trees/);
  const after = await (await fetch(`${BASE}/proposals/${ids.area}`)).json();
  assert.equal(after.properties.status, 'accepted');
  assert.match(after.properties.public_answer, /plant 12 trees/);
  await shot(page, 'proposals-moderate-popup-desktop');

  // the page offers accepted → declined; meanwhile another moderator puts it in the plan:
  // declining it now is a forbidden jump, and the page says so
  assert.equal((await modFetch(`/proposals/${ids.area}/status`, { status: 'in_plan' })).status, 200);
  await page.locator('.popup .prop-next-status').selectOption('declined');
  await page.locator('.popup .prop-decline-reason').fill('No budget');
  await page.locator('.popup .prop-set-status').click();
  const err = page.locator('.popup .prop-mod-result .msg-error');
  await err.waitFor();
  assert.match(await err.innerText(), /not allowed/);
  assert.equal(await err.locator('.err-code').innerText(), 'forbidden_status_change');
  // a direct request for a jump the page never offers: 409 as well
  const back = await modFetch(`/proposals/${ids.area}/status`, { status: 'received' });
  assert.equal(back.status, 409);
  assert.equal((await back.json()).code, 'forbidden_status_change');
  assert.deepEqual(errors, []);
  await context.close();

  // in Russian: declining the line without a reason is refused with the catalogue's words
  const ru = await openPage(browser, '/?lang=ru&view=proposals', { viewport: DESKTOP });
  await ready(ru.page);
  await ru.page.locator('#prop-mod-token').fill(MOD_TOKEN);
  await centre(ru.page);
  await clickAt(ru.page, LINE[1]);
  await ru.page.locator('.popup .prop-mod summary').click();
  await ru.page.locator('.popup .prop-next-status').selectOption('declined');
  await ru.page.locator('.popup .prop-set-status').click();
  const rerr = ru.page.locator('.popup .prop-mod-result .msg-error');
  await rerr.waitFor();
  assert.match(await rerr.innerText(), /Укажите причину|причин/i);
  assert.equal(await rerr.locator('.err-code').innerText(), 'reason_required');
  await shot(ru.page, 'proposals-moderate-error-ru');
  assert.deepEqual(ru.errors, []);
  await ru.context.close();
});

test('a duplicate is merged into another proposal from the queue', async () => {
  assert.ok(ids.line, 'the line of the first test');
  const before = (await (await fetch(`${BASE}/proposals/${ids.line}`)).json()).properties.supports;
  const { page, context, errors } = await openPage(browser, '/?lang=kk&view=proposals', { viewport: DESKTOP });
  await ready(page);
  await centre(page);
  await clickAt(page, [76.9412, 43.2490]);
  await page.locator('#prop-category').selectOption('mobility_transport');
  await page.locator('#prop-text').fill(DUP_TEXT);
  await page.locator('#prop-send').click();
  await page.locator('#prop-result .msg-ok').waitFor();
  await page.locator('#prop-mod-token').fill(MOD_TOKEN);
  await page.locator('#prop-load-queue').click();
  const item = page.locator('#prop-queue li', { hasText: DUP_TEXT });
  await item.waitFor();
  const dupId = Number(await item.getAttribute('data-id'));
  await item.locator('.prop-mod summary').click();
  await item.locator('.prop-merge-into').fill(String(ids.line));
  await item.locator('.prop-merge').click();
  await page.locator('#prop-queue-note .msg-ok').waitFor();
  assert.match(await page.locator('#prop-queue-note').innerText(), new RegExp(`№${dupId}.*№${ids.line}`));
  // the queue is reloaded without it; its author now supports the proposal kept
  await page.waitForFunction((tx) => ![...document.querySelectorAll('#prop-queue li')].some((li) => li.textContent.includes(tx)), DUP_TEXT);
  const kept = (await (await fetch(`${BASE}/proposals/${ids.line}`)).json()).properties.supports;
  assert.equal(kept, before + 1);
  // merging into a missing proposal: refused, in Kazakh
  const other = page.locator('#prop-queue li').first();
  if (await other.count()) {
    await other.locator('.prop-mod summary').click();
    await other.locator('.prop-merge-into').fill('99999999');
    await other.locator('.prop-merge').click();
    await other.locator('.prop-mod-result .msg-error').waitFor();
    assert.match(await other.locator('.prop-mod-result .msg-error').innerText(), /біріктіруге болмайды/);
  }
  await shot(page, 'proposals-merge-kk');
  assert.deepEqual(errors, []);
  await context.close();
});
