// Residents' proposals in a phone-sized browser against the real server: a proposal whose text
// is script and HTML is submitted by clicking the map and filling the form, shown escaped in
// the moderator queue and (once approved) in the map popup, and no script of it runs; the
// same proposal again is answered "support instead"; the synthetic set is labelled.
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

test('the public list never carries a contact', async () => {
  const res = await fetch(`${BASE}/proposals?limit=5000`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.doesNotMatch(text, /private@example|"contact"|client_hash/);
  const fc = JSON.parse(text);
  assert.ok(fc.features.some((f) => f.properties.text === EVIL && f.properties.synthetic === false));
});
