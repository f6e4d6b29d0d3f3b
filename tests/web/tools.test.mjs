// Map tools: the PNG export (map, legend and a footer with scale, attribution, date and the
// data caveats), per-layer downloads that are the layer's GeoJSON, locate-me in the page's
// language, and popups on streets from the keyboard list of map features.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, openPage, mapIdle, shot } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Width and height of a PNG from its IHDR chunk. */
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

test('the PNG export holds the map and a footer with legend, scale, attribution, date and caveats', async () => {
  const { page, context, errors } = await openPage(browser, '/?lang=ru&view=bike&map=13.00/43.24000/76.93000', { viewport: { width: 1280, height: 800 } });
  await mapIdle(page);
  const canvas = await page.evaluate(() => { const c = window.qala.map.getCanvas(); return { width: c.width, height: c.height }; });
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-png').click()]);
  assert.match(download.suggestedFilename(), /^qala-ru-\d{4}-\d{2}-\d{2}\.png$/);
  const png = readFileSync(await download.path());
  const size = pngSize(png);
  assert.equal(size.width, canvas.width);
  const legendRows = await page.locator('#map-legend li').count();
  assert.ok(legendRows >= 4, `legend rows: ${legendRows}`);
  // map + one line per legend row + three footer lines
  assert.ok(size.height >= canvas.height + legendRows * 18 + 3 * 18, `${size.height} vs map ${canvas.height}`);
  // the footer is not blank: decode it in the page and count dark pixels below the map
  const dark = await page.evaluate(async ([b64, top]) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, top, img.width, img.height - top).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 100 && d[i + 1] < 100 && d[i + 2] < 100) n += 1;
    return n;
  }, [png.toString('base64'), canvas.height]);
  assert.ok(dark > 2000, `text drawn in the footer: ${dark} dark pixels`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('downloads are the layers as GeoJSON; locate-me and zoom speak the page language', async () => {
  const { page, context } = await openPage(browser, '/?lang=kk&view=wayfinding&map=13.00/43.24000/76.93000');
  await mapIdle(page);
  await page.locator('#downloads summary').click();
  const links = await page.locator('#downloads a').evaluateAll((as) => as.map((a) => [a.dataset.slug, a.getAttribute('href'), a.textContent]));
  assert.ok(links.some(([s]) => s === 'nav-signs') && links.some(([s]) => s === 'wayfinding-routes'), JSON.stringify(links));
  for (const [slug, href] of links) {
    const fc = await page.evaluate(async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type'), (await r.json()).features?.length]; }, href);
    assert.equal(fc[0], 200, `${slug}: ${fc}`);
    assert.match(fc[1], /geo\+json/);
    assert.ok(fc[2] > 0, `${slug} has features`);
  }
  assert.equal(await page.locator('.maplibregl-ctrl-geolocate').getAttribute('aria-label'), 'Менің орным');
  assert.equal(await page.locator('.maplibregl-ctrl-zoom-in').getAttribute('aria-label'), 'Үлкейту');
  assert.match(await page.locator('.maplibregl-ctrl-scale').innerText(), /\d\s(м|км)$/);
  await context.close();
});

test('a street gets a popup from the keyboard list: its name and class in Kazakh', async () => {
  const { page, context } = await openPage(browser, '/?lang=kk&view=bike&map=15.50/43.23800/76.94550', { viewport: { width: 390, height: 844 } });
  await mapIdle(page);
  await page.locator('#panel-toggle').click();
  // hide the lanes and stops so only the basemap is listed
  for (const id of ['toggle-bike-existing', 'toggle-bike-under_construction', 'toggle-bike-planned', 'toggle-transit-stops']) await page.locator(`#${id}`).uncheck();
  await mapIdle(page);
  await page.locator('#feature-list summary').click();
  const street = page.locator('#feature-list .feature-item', { hasText: /көше|Негізгі|Тұрғын/ }).first();
  await street.waitFor({ timeout: 10000 });
  await street.focus();
  await page.keyboard.press('Enter');
  const popup = page.locator('.maplibregl-popup .popup');
  await popup.waitFor({ timeout: 5000 });
  const text = await popup.innerText();
  assert.match(text, /Жол класы: /, text);
  assert.doesNotMatch(text, /\b(primary|secondary|residential|tertiary|service)\b/, text);
  await shot(page, 'street-popup-kk-phone');
  await context.close();
});

test('an API error reads in the page language, with its code apart (kk: a wrong token)', async () => {
  const { page, context } = await openPage(browser, '/?lang=kk&view=mapper');
  await page.locator('#token-input').fill('not-a-real-token');
  await page.locator('#sign-in').click();
  const err = page.locator('#signin-error');
  await err.waitFor();
  const text = await err.innerText();
  assert.match(text, /Токен жарамсыз\./, text);
  assert.equal(await err.locator('code[translate="no"]').innerText(), 'invalid_token');
  assert.doesNotMatch(text, /\[object|unknown token|undefined|null/, text);
  await context.close();
});
