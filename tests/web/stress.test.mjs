// The bike view's cycling stress mode against the real server (GET /networks/lts, /islands,
// /priorities), in Kazakh and English at phone (390 × 844) and desktop (1280 × 800) size: the
// mode switch, streets drawn by LTS, legend counts equal to the API's ways per LTS, a scenario
// change that changes the counts as the API says, the mode and scenario kept in the URL, a
// segment's popup (its LTS, rule in words, assumed inputs marked), the top-10 priorities with
// "Show" (mouse and keyboard) zooming to and highlighting the segment, the CSV download, no
// raw code on a Kazakh page, no horizontal overflow and no serious or critical axe violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launch, openPage, mapIdle, rendered, shot } from './browser.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };
const MAP = 'map=13.00/43.24000/76.93000';
const WORDS = {
  kk: { level: [null, 'тыныш', 'аз кернеу', 'кернеулі', 'жоғары кернеу'], rule: 'Ереже', assumed: 'болжам', show: 'Көрсету' },
  en: { level: [null, 'calm', 'low stress', 'stressful', 'high stress'], rule: 'Rule', assumed: 'assumed', show: 'Show' },
};
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(page, path) {
  return page.evaluate(async (p) => { const r = await fetch(p); return { status: r.status, type: r.headers.get('content-type'), body: await r.text() }; }, path);
}

async function apiJson(page, path) {
  const r = await api(page, path);
  assert.equal(r.status, 200, `${path}: ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body);
}

/** Waits until the stress mode has drawn the scenario's segments and islands. */
async function stressReady(page) {
  await page.waitForFunction(() => document.querySelector('#bike-mode-body')?.dataset.ltsReady === 'true', null, { timeout: 60000, polling: 200 });
  await page.waitForFunction(() => !document.querySelector('#lts-access .msg-info, #lts-priorities .msg-info'), null, { timeout: 60000, polling: 200 });
  await mapIdle(page);
}

async function legendCounts(page) {
  return page.locator('#lts-legend li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.count)));
}

async function openPanel(page) {
  const toggle = page.locator('#panel-toggle');
  if (await toggle.isVisible() && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

function overflow(page) {
  return page.evaluate(() => {
    const de = document.documentElement;
    const out = [];
    if (de.scrollWidth > de.clientWidth + 1) out.push(`page scrolls sideways: ${de.scrollWidth} > ${de.clientWidth}`);
    if (document.body.scrollWidth > document.body.clientWidth + 1) out.push(`body overflows: ${document.body.scrollWidth} > ${document.body.clientWidth}`);
    return out;
  });
}

/** snake_case tokens in visible text outside `translate="no"` and <code> (as everyone.test.mjs). */
function rawCodes(page, root = 'body') {
  return page.evaluate((sel) => {
    const out = [];
    const rootEl = document.querySelector(sel);
    if (!rootEl) return out;
    const walker = document.createTreeWalker(rootEl, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[translate="no"], code, script, style, option:not(:checked)')) continue;
      if (!el.getClientRects().length) continue;
      for (const m of n.textContent.matchAll(/\b[a-z]+(?:_[a-z0-9]+)+\b|\b(?:null|undefined|NaN|\[object Object\])\b/g)) out.push(`${m[0]} in «${n.textContent.trim().slice(0, 60)}»`);
    }
    return out;
  }, root);
}

async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** A screen point on a rendered stress segment that nothing covers: [x, y, lts of the top feature there]. */
async function segmentPoint(page) {
  return page.evaluate(() => {
    const { map } = window.qala;
    const canvas = map.getCanvas().getBoundingClientRect();
    const fs = map.queryRenderedFeatures({ layers: ['lts-segments'] });
    for (const f of fs) {
      const verts = [];
      const walk = (x) => { if (typeof x[0] === 'number') verts.push(x); else x.forEach(walk); };
      walk(f.geometry.coordinates);
      for (let i = 0; i + 1 < verts.length; i += 1) {
        const a = map.project(verts[i]);
        const b = map.project(verts[i + 1]);
        // whole pixels: the mouse clicks at whole pixels
        const p = { x: Math.round((a.x + b.x) / 2), y: Math.round((a.y + b.y) / 2) };
        if (p.x < 40 || p.y < 40 || p.x > canvas.width - 60 || p.y > canvas.height - 60) continue;
        const x = canvas.left + p.x;
        const y = canvas.top + p.y;
        if (document.elementFromPoint(x, y) !== map.getCanvas()) continue;
        const top = map.queryRenderedFeatures([p.x, p.y], { layers: ['lts-segments'] })[0];
        if (top) return [x, y, top.properties.lts, top.properties.assumed ?? '[]', top.properties.rule];
      }
    }
    return null;
  });
}

for (const lang of ['kk', 'en']) {
  for (const [size, viewport] of Object.entries(SIZES)) {
    test(`${lang} ${size}: stress mode draws the streets by LTS, counts as the API, popups, priorities, axe`, async () => {
      // kk starts from a shared URL in the stress mode; en switches to it with the control.
      const start = lang === 'kk' ? `/?lang=kk&view=bike&mode=stress&${MAP}` : `/?lang=en&view=bike&${MAP}`;
      const { page, context, errors } = await openPage(browser, start, { viewport });
      await mapIdle(page);
      await openPanel(page);
      if (lang === 'en') {
        assert.equal(await page.locator('#bike-mode-lanes').isChecked(), true);
        await page.locator('#bike-mode-stress').check();
      }
      assert.equal(await page.locator('#bike-mode-stress').isChecked(), true);
      await stressReady(page);
      assert.match(await page.evaluate(() => location.search), /mode=stress/);
      // the lanes are hidden, the stress segments drawn
      assert.equal(await rendered(page, ['bike-lanes-existing', 'bike-lanes-under_construction', 'bike-lanes-planned']), 0);
      const drawn = await rendered(page, ['lts-segments']);
      assert.ok(drawn > 20, `stress segments drawn: ${drawn}`);

      // legend counts = the API's ways per LTS, scenario by scenario
      const byScenario = {};
      for (const s of ['existing', 'under_construction', 'plan']) byScenario[s] = (await apiJson(page, `/networks/lts/islands?scenario=${s}`)).ways_by_lts;
      assert.deepEqual(await legendCounts(page), byScenario.existing);
      const total = (await apiJson(page, '/networks/lts?scenario=existing&limit=1')).total;
      assert.equal((await legendCounts(page)).reduce((a, b) => a + b, 0), total);
      assert.notDeepEqual(byScenario.existing, byScenario.plan, 'the plan changes the stress of some streets');
      const scenario = lang === 'kk' ? 'under_construction' : 'plan';
      await page.locator('#lts-scenario').selectOption(scenario);
      await stressReady(page);
      assert.deepEqual(await legendCounts(page), byScenario[scenario]);
      assert.match(await page.evaluate(() => location.search), new RegExp(`scenario=${scenario}`));
      const legendText = await page.locator('#lts-legend').innerText();
      assert.match(legendText, /LTS 1/);
      assert.match(legendText, lang === 'kk' ? /көше · [\d\s\u00a0\u202f]+(,\d)? км/ : /streets? · [\d,]+(\.\d)? km/);
      // the map's legend says the same
      assert.match(await page.locator('#map-legend').textContent(), /LTS 4/);
      // the islands: count as the API says
      const isl = await apiJson(page, `/networks/lts/islands?scenario=${scenario}`);
      assert.equal(Number(await page.locator('#lts-islands-table').getAttribute('data-count')), isl.islands.length);
      assert.ok(await page.locator('#lts-largest').count() === (isl.islands.length ? 1 : 0));
      // who reaches what on calm streets: four destinations
      assert.equal(await page.locator('#lts-access-table tbody tr').count(), 4);

      // a segment's popup: its LTS, the rule in words, the inputs marked assumed as the API says
      // (on a phone the panel is put away first, as one does to look at the map)
      if (size === 'phone') {
        await page.locator('#panel-toggle').click();
        // the map takes the freed height on its next resize (a ResizeObserver): let it happen first
        await page.waitForFunction(() => window.qala.map.getCanvas().getBoundingClientRect().height > 600, null, { timeout: 5000 });
        await page.waitForTimeout(300);
        await mapIdle(page);
      }
      const at = await segmentPoint(page);
      assert.ok(at, 'a stress segment to click');
      const [x, y, lts, assumed, rule] = at;
      await page.mouse.click(x, y);
      const popup = page.locator('.maplibregl-popup .popup');
      await popup.waitFor({ timeout: 10000 });
      const text = await popup.innerText();
      assert.match(text, new RegExp(`LTS ${lts} — ${WORDS[lang].level[lts]}`), text);
      assert.match(text, new RegExp(`${WORDS[lang].rule}: `), text);
      assert.equal(await popup.locator('code[translate="no"]').first().innerText(), rule);
      const nAssumed = JSON.parse(typeof assumed === 'string' ? assumed : JSON.stringify(assumed)).length;
      assert.equal(await popup.locator('[data-assumed="true"]').count(), nAssumed, text);
      assert.equal(await popup.locator('[data-input]').count(), 3, text);
      // the popup fits the map: its close button can be reached
      assert.ok(await page.locator('.maplibregl-popup-close-button').isVisible());
      if (nAssumed) assert.match(text, new RegExp(WORDS[lang].assumed));
      if (lang === 'kk') assert.deepEqual(await rawCodes(page, '.maplibregl-popup'), []);
      await shot(page, `stress-popup-${lang}-${size}`);
      await page.locator('.maplibregl-popup-close-button').click();
      await openPanel(page);

      // the top-10 priorities as the API ranks them
      const pr = await apiJson(page, '/networks/lts/priorities?limit=10');
      const rows = page.locator('#lts-priorities-table tbody tr');
      assert.ok(pr.priorities.length > 0, 'the synthetic plan has priorities');
      assert.equal(await rows.count(), Math.min(10, pr.priorities.length));
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.row))), pr.priorities.map((p) => p.row));
      // "Show" zooms to the segment and highlights it
      const first = pr.priorities[0];
      const button = rows.first().locator('button.lts-show');
      assert.equal(await button.innerText(), WORDS[lang].show);
      await button.scrollIntoViewIfNeeded();
      await button.click();
      await page.waitForFunction((row) => document.querySelector('#lts-priorities-table')?.dataset.shownRow === String(row), first.row, { timeout: 10000 });
      await mapIdle(page);
      assert.equal(await button.getAttribute('aria-pressed'), 'true');
      const hl = await page.evaluate(() => window.qala.map.queryRenderedFeatures({ layers: ['lts-highlight'] }).map((f) => f.properties.row));
      assert.ok(hl.length > 0 && hl.every((r) => r === first.row), `highlighted rows: ${hl}`);
      // the map moved to the segment: it is in view, and drawn large (the map zoomed in unless it was already close)
      const fit = await page.evaluate(async (row) => {
        const { map } = window.qala;
        const all = await (await fetch('/networks/lts?scenario=plan&limit=10000')).json();
        const f = all.features.find((x) => x.properties.row === row);
        const pts = [];
        const walk = (x) => { if (typeof x[0] === 'number') pts.push(x); else x.forEach(walk); };
        walk(f.geometry.coordinates);
        const b = map.getBounds();
        return { inView: pts.every((p) => b.contains(p)), zoom: map.getZoom() };
      }, first.row);
      assert.ok(fit.inView, `the segment is in view: ${JSON.stringify(fit)}`);
      assert.ok(fit.zoom >= 13, `zoom ${fit.zoom}`);
      await shot(page, `stress-show-${lang}-${size}`);
      // …and from the keyboard, on the second row
      if (pr.priorities.length > 1) {
        const second = rows.nth(1).locator('button.lts-show');
        await second.focus();
        await page.keyboard.press('Enter');
        await page.waitForFunction((row) => document.querySelector('#lts-priorities-table')?.dataset.shownRow === String(row), pr.priorities[1].row, { timeout: 10000 });
        assert.equal(await button.getAttribute('aria-pressed'), 'false');
      }
      // the CSV download is the API's
      const href = await page.locator('#lts-priorities-csv').getAttribute('href');
      const csv = await api(page, href);
      assert.equal(csv.status, 200);
      assert.match(csv.type, /text\/csv/);
      assert.match(csv.body, /^rank,row,name,/);

      // the page: no sideways scroll, no raw code (kk), axe clean
      assert.deepEqual(await overflow(page), []);
      if (lang === 'kk') assert.deepEqual(await rawCodes(page, '#panel'), []);
      assert.deepEqual(await axeViolations(page), []);
      await shot(page, `stress-${lang}-${size}`);

      // back to the lanes: the stress layer is hidden again, the URL forgets the mode
      await page.locator('#bike-mode-lanes').check();
      await mapIdle(page);
      assert.equal(await rendered(page, ['lts-segments']), 0);
      assert.doesNotMatch(await page.evaluate(() => location.search), /mode=stress/);
      assert.equal(await page.locator('#toggle-bike-existing').isChecked(), true);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}
