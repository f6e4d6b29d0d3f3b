// Shared set-up of the browser tests: Debian's Chromium through playwright-core (never a
// downloaded browser), the flags from DEVELOPERS.md, and a log of every request the page makes
// so a test can assert that nothing but qala's own host was asked.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE = process.env.QALA_WEB_URL || 'http://127.0.0.1:8090';
export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(SHOTS, { recursive: true });

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

export async function launch() {
  return chromium.launch({ executablePath: process.env.QALA_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Every URL any page of this test file asked for (see `assertOnlyQala`). */
export const seen = [];

/** Fails if any request went to a host other than qala's (data: and blob: URLs are local). */
export function foreignRequests(urls = seen) {
  const host = new URL(BASE).host;
  return urls.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).host !== host);
}

/** A fresh page with request and console logging; `requests` collects every URL asked for. */
/** `beforeGoto(page)` runs before the page loads (e.g. to route a request to a canned answer). */
export async function openPage(browser, path, { viewport = { width: 1280, height: 800 }, beforeGoto } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-GB' });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => { requests.push(r.url()); seen.push(r.url()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  // Console errors count, except the browser's own note on an HTTP error status: the app
  // handles those itself (e.g. 503 engine_unavailable), and the tests check what it shows.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  if (beforeGoto) await beforeGoto(page);
  await page.goto(BASE + path);
  await page.waitForFunction(() => window.qala?.ready === true, null, { timeout: 30000 });
  return { page, context, requests, errors };
}

/** Waits until the map has loaded every tile it wants and drawn a frame. */
export async function mapIdle(page, timeout = 30000) {
  await page.waitForFunction(() => window.qala.map.loaded() && window.qala.map.areTilesLoaded(), null, { timeout, polling: 200 });
  await page.evaluate(() => new Promise((r) => { window.qala.map.once('idle', r); window.qala.map.triggerRepaint(); }));
}

/** Count of rendered features in the given style layers (map.queryRenderedFeatures over the viewport). */
export function rendered(page, layers, filterProp) {
  return page.evaluate(([ls, fp]) => {
    const fs = window.qala.map.queryRenderedFeatures({ layers: ls.filter((l) => window.qala.map.getLayer(l)) });
    return fp ? fs.filter((f) => f.properties[fp[0]] === fp[1]).length : fs.length;
  }, [layers, filterProp ?? null]);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}
