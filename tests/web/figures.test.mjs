// Figures the views show come from the API, not from the browser: the bike view's km per
// district is GET /bike/km (no layer downloaded whole), in each language's number format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, mapIdle, shot } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const api = async (path) => {
  const r = await fetch(BASE + path);
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
};
// "1 234,5" / "1,234.5" → 1234.5
const parseNum = (s) => Number(s.replace(/[\s\u00a0\u202f]/g, '').replace(/,(?=\d$)/, '.').replace(/,/g, ''));

test('the bike table shows the API\'s km per district and status, and no layer is downloaded whole', async () => {
  const km = await api('/bike/km?zones=districts');
  for (const lang of ['en', 'ru']) {
    const { page, context, errors, requests } = await openPage(browser, `/?lang=${lang}&view=bike`);
    await page.locator('#bike-km-table tbody tr').first().waitFor({ timeout: 60000 });
    await mapIdle(page);
    const rows = await page.locator('#bike-km-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.innerText)));
    assert.equal(rows.length, km.zones.length);
    for (const z of km.zones) {
      const name = z.names[lang];
      const row = rows.find((r) => r[0] === name);
      assert.ok(row, `${lang}: row for ${name} in ${JSON.stringify(rows)}`);
      ['existing', 'under_construction', 'planned'].forEach((s, i) => {
        assert.ok(Math.abs(parseNum(row[i + 1]) - z.km[s]) <= 0.051, `${lang} ${name} ${s}: ${row[i + 1]} vs ${z.km[s]}`);
      });
    }
    const paths = requests.map((u) => new URL(u).pathname);
    assert.ok(paths.includes('/bike/km'), 'asked GET /bike/km');
    // (the districts are read once by every view for their labels, not for figures)
    for (const slug of ['bike-lanes', 'population']) {
      assert.ok(!paths.includes(`/collections/${slug}/items`), `${slug} not downloaded whole`);
    }
    await shot(page, `figures-bike-${lang}`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});
