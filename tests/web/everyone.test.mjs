// The map for everyone (issue 16): every view (and the bike view's cycling stress mode) in every language at phone (390 × 844) and desktop
// (1280 × 800) size. Fails on horizontal overflow of the page, a truncated control (button,
// select, tab, label), a table wider than its box without a scroll box, a raw code (snake_case
// token) in the visible Kazakh or Russian page or in a popup opened from the keyboard list of map
// features, and on any serious or critical axe-core violation. Saves a screenshot of each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launch, openPage, mapIdle, shot } from './browser.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const VIEWS = ['bike', 'greening', 'equity', 'wayfinding', 'planner', 'mapper', 'proposals'];
// The pages checked: every view, and the bike view's cycling stress mode (its own URL state).
const PAGES = [...VIEWS.map((v) => [v, `view=${v}`]), ['bike-stress', 'view=bike&mode=stress']];
// Views whose map features are not opened from the keyboard list here: the mapper's map shows
// only the file being previewed; at the city zoom the proposals are clusters, which open by
// zooming in, not with a popup (a proposal's popup is checked in proposals.test.mjs).
const NO_POPUP_LIST = new Set(['mapper', 'proposals']);
const LANGS = ['kk', 'ru', 'en'];
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };
const MAP = 'map=13.00/43.24000/76.93000';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Waits until the panel has no pending "loading" message (the view's figures have arrived). */
async function settled(page) {
  await mapIdle(page);
  await page.waitForFunction(() => ![...document.querySelectorAll('#panel-body .msg-info, #panel-body [aria-live]')]
    .some((el) => /…$/.test(el.textContent.trim())), null, { timeout: 30000, polling: 200 });
}

/** Layout faults: page overflow, truncated controls, tables wider than their box without a scroll box. */
function layoutFaults(page) {
  return page.evaluate(() => {
    const faults = [];
    const de = document.documentElement;
    if (de.scrollWidth > de.clientWidth + 1) faults.push(`page scrolls sideways: ${de.scrollWidth} > ${de.clientWidth}`);
    if (document.body.scrollWidth > document.body.clientWidth + 1) faults.push(`body overflows: ${document.body.scrollWidth} > ${document.body.clientWidth}`);
    const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} «${(el.innerText || el.value || el.title || '').trim().slice(0, 40)}»`;
    for (const el of document.querySelectorAll('button, select, .view-link, label, .maplibregl-ctrl button')) {
      if (!visible(el)) continue;
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto') faults.push(`truncated ${name(el)}: ${el.scrollWidth} > ${el.clientWidth}`);
      const r = el.getBoundingClientRect();
      let inScrollBox = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) inScrollBox = true;
      if (!inScrollBox && r.right > window.innerWidth + 1) faults.push(`off screen ${name(el)}: right ${Math.round(r.right)} > ${window.innerWidth}`);
    }
    for (const table of document.querySelectorAll('table')) {
      if (!visible(table)) continue;
      let box = table.parentElement;
      let scrolls = false;
      for (; box && box !== document.body; box = box.parentElement) {
        if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) { scrolls = true; break; }
      }
      const panel = table.closest('.panel') ?? document.body;
      if (!scrolls && table.getBoundingClientRect().right > panel.getBoundingClientRect().right + 1) faults.push(`table ${table.id || ''} wider than its box and not in a scroll box`);
    }
    return faults;
  });
}

/** snake_case tokens in the visible text (not in `translate="no"` or <code>: file names, field names, error codes). */
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
    for (const sel2 of document.querySelectorAll('select')) {
      const o = sel2.selectedOptions[0];
      if (o && !o.closest('[translate="no"]') && /\b[a-z]+(?:_[a-z0-9]+)+\b/.test(o.textContent)) out.push(`${o.textContent} selected in #${sel2.id}`);
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

/** Opens up to `max` features from the keyboard list of map features; returns the popups' raw codes. */
async function popupsFromList(page, lang, max = 4) {
  const faults = [];
  const list = page.locator('#feature-list');
  if (!(await list.count())) return ['no list of map features'];
  await list.locator('summary').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#feature-list ul'), null, { timeout: 10000 });
  const buttons = list.locator('ul button');
  const n = Math.min(await buttons.count(), max);
  for (let i = 0; i < n; i += 1) {
    await buttons.nth(i).focus();
    await page.keyboard.press('Enter');
    // One more press if the first was lost (known flake: the map can close a popup it just
    // opened while it settles); a feature that opens nothing on two presses is a fault.
    const popup = page.locator('.maplibregl-popup .popup');
    const opened = await popup.waitFor({ timeout: 7000 }).then(() => true, () => false);
    if (!opened) {
      await buttons.nth(i).focus();
      await page.keyboard.press('Enter');
      await popup.waitFor({ timeout: 10000 }).catch(() => faults.push(`item ${i} opened no popup`));
    }
    if (lang !== 'en') faults.push(...(await rawCodes(page, '.maplibregl-popup')));
    // the popup stays clear of the attribution
    const overlap = await page.evaluate(() => {
      const a = document.querySelector('.maplibregl-ctrl-attrib')?.getBoundingClientRect();
      const p = document.querySelector('.maplibregl-popup')?.getBoundingClientRect();
      return a && p && !(p.right <= a.left || p.left >= a.right || p.bottom <= a.top || p.top >= a.bottom);
    });
    if (overlap) faults.push(`popup ${i} covers the attribution`);
  }
  return faults;
}

for (const [size, viewport] of Object.entries(SIZES)) {
  for (const lang of LANGS) {
    test(`${size} ${lang}: every view fits, says no raw code, passes axe, opens its features from the keyboard`, async () => {
      const faults = [];
      for (const [view, query] of PAGES) {
        const { page, context, errors } = await openPage(browser, `/?lang=${lang}&${query}&${MAP}`, { viewport });
        await settled(page);
        if (size === 'phone') {
          await page.locator('#panel-toggle').click();
          await page.waitForTimeout(100);
        }
        const f = [...await layoutFaults(page)];
        if (view === 'bike' && lang !== 'en') {
          // Kazakh and Russian numbers: a decimal comma and spaces between thousands, never 12.9 or 305,974
          const cells = await page.locator('#bike-km-table td.num').allInnerTexts();
          assert.ok(cells.length >= 8, `km cells: ${cells.length}`);
          for (const c of cells) if (!/^\d{1,3}([\s\u00a0\u202f]\d{3})*(,\d+)?$/.test(c)) f.push(`number not in ${lang} style: ${c}`);
        }
        if (lang !== 'en') f.push(...(await rawCodes(page)));
        if (lang !== 'en') {
          // the layers' attributions (English in the catalogue) read in the page's language
          const attrib = await page.locator('.maplibregl-ctrl-attrib-inner').innerText().catch(() => '');
          for (const en of ['contributors', 'Synthetic data', 'Bureau of National']) if (attrib.includes(en)) f.push(`attribution in English: «${attrib}»`);
        }
        f.push(...(await axeViolations(page)));
        // every tab can be reached: scrolled into view, it is inside the viewport
        for (const v of VIEWS) {
          const tab = page.locator(`.view-link[data-view="${v}"]`);
          await tab.scrollIntoViewIfNeeded();
          const box = await tab.boundingBox();
          if (!box || box.x < 0 || box.x + box.width > viewport.width + 1) f.push(`tab ${v} out of reach`);
        }
        // the map legend is on the map, visible
        const legend = page.locator('#map-legend');
        if (!(await legend.count()) || !(await legend.isVisible())) f.push('no legend on the map');
        await shot(page, `${view}-${lang}-${size}`);
        if (!NO_POPUP_LIST.has(view)) f.push(...(await popupsFromList(page, lang)));
        f.push(...errors.map((e) => `page error: ${e}`));
        faults.push(...f.map((x) => `${view}: ${x}`));
        await context.close();
      }
      assert.deepEqual(faults, []);
    });
  }
}

// A cold browser each time (new context: no HTTP cache) against a running server; the first
// load warms the server's tile cache as any server in use has it, and is printed but not counted.
// Speed is a benchmark, not a timed test (a busy CI machine would make it flaky): the figure is
// printed here, and QALA_WEB_ENFORCE_BUDGET=1 (bench runs) fails it above the 2 s budget.
test('first map on a phone (390 × 844) loads; its time is measured (median of 3 cold browsers)', async () => {
  const times = [];
  for (let i = 0; i < 4; i += 1) {
    const context = await browser.newContext({ viewport: SIZES.phone, locale: 'kk-KZ' });
    const page = await context.newPage();
    await page.goto(`${process.env.QALA_WEB_URL || 'http://127.0.0.1:8090'}/?lang=kk&view=bike`);
    // time since navigation start until the map has loaded and drawn every tile it asked for
    const ms = await page.waitForFunction(() => performance.getEntriesByName('qala-first-map')[0]?.startTime ?? false,
      null, { timeout: 30000, polling: 50 }).then((h) => h.jsonValue());
    times.push(Math.round(ms));
    await context.close();
  }
  const median = times.slice(1).sort((a, b) => a - b)[1];
  console.log(`first map at 390x844: ${times.join(', ')} ms (first warms the server; median of the rest ${median} ms, budget 2000 ms)`);
  assert.ok(times.every((t) => t > 0), `every load drew its first map: ${times}`);
  if (process.env.QALA_WEB_ENFORCE_BUDGET === '1') assert.ok(median <= 2000, `first map took ${median} ms: ${times}`);
});
