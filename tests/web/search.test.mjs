// Search on the map: a Kazakh, Russian or Latin spelling finds the street from qala's own
// /search, the keyboard walks the result list, Enter flies the map there; 500 characters,
// script text and nothing give a clear answer (no error page, nothing executed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, mapIdle, shot } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [lang, query, none] of [['kk', 'Абай даңғылы', 'Ештеңе табылмады'], ['ru', 'Абая', 'Ничего не найдено'], ['en', 'Abay', 'Nothing found']]) {
  test(`${lang}: "${query}" finds the street; the keyboard opens it and the map flies there`, async () => {
    const { page, context, errors } = await openPage(browser, `/?lang=${lang}&view=bike&map=11.00/43.20000/76.80000`, { viewport: { width: 390, height: 844 } });
    await mapIdle(page);
    await page.locator('#search-input').fill(query);
    await page.locator('#search-input').press('Enter');
    const first = page.locator('#search-results .search-result').first();
    await first.waitFor({ timeout: 10000 });
    assert.match(await first.locator('.search-name').innerText(), /Абая/);
    assert.equal(await first.getAttribute('data-kind'), 'street');
    const api = await page.evaluate(async (q) => (await fetch(`/search?q=${encodeURIComponent(q)}&limit=8`)).json(), query);
    const bbox = api.results[0].bbox;
    await shot(page, `search-${lang}-phone`);
    await page.locator('#search-input').press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('search-result')), true, 'ArrowDown moves into the list');
    const before = await page.evaluate(() => window.qala.map.getCenter().toArray());
    await page.keyboard.press('Enter');
    await page.waitForFunction((b) => { const c = window.qala.map.getCenter(); return Math.abs(c.lng - b[0]) + Math.abs(c.lat - b[1]) > 1e-4; }, before, { timeout: 10000 });
    await page.waitForFunction(() => !window.qala.map.isMoving(), null, { timeout: 10000 });
    // the map now shows the whole street: its box inside the view, the view centred on it
    const v = await page.evaluate(() => { const b = window.qala.map.getBounds(); const m = window.qala.map.getCenter(); return { b: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], c: [m.lng, m.lat] }; });
    const eps = 0.002;
    assert.ok(v.b[0] <= bbox[0] + eps && v.b[1] <= bbox[1] + eps && v.b[2] >= bbox[2] - eps && v.b[3] >= bbox[3] - eps, `street ${bbox} in view ${v.b}`);
    assert.ok(Math.abs(v.c[0] - (bbox[0] + bbox[2]) / 2) < 0.02 && Math.abs(v.c[1] - (bbox[1] + bbox[3]) / 2) < 0.02, `centred: ${v.c} vs ${bbox}`);

    // bad input: script text is only text, nothing found, nothing run
    await page.locator('#search-input').fill('<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>');
    await page.locator('#search-input').press('Enter');
    await page.locator('#search-results .search-none').waitFor();
    assert.equal(await page.locator('#search-results .search-none').innerText(), none);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    // 500 characters: the box takes 200 (maxlength); asked directly, the API answers a clear 400
    await page.locator('#search-input').fill('ә'.repeat(500));
    assert.equal((await page.locator('#search-input').inputValue()).length, 200);
    const long = await page.evaluate(async () => { const r = await fetch(`/search?q=${encodeURIComponent('ә'.repeat(500))}`); return [r.status, await r.json()]; });
    assert.equal(long[0], 400);
    assert.equal(long[1].code, 'invalid_parameter');
    // nothing: no request error, the list is simply empty
    await page.locator('#search-input').fill('');
    await page.locator('#search-input').press('Enter');
    assert.equal(await page.locator('#search-results').innerText(), '');
    assert.deepEqual(errors, []);
    await context.close();
  });
}
