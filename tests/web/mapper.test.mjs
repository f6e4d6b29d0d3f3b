// The mapper desk against the real server: a bad file shows its errors row by row and changes
// nothing; a good file becomes a new version that appears on the map; rollback takes it away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, launch, openPage, mapIdle, rendered, shot, seen, foreignRequests } from './browser.mjs';

const TOKEN = process.env.QALA_WEB_TOKEN;
// A new name each run, so the file is never one the server already has (it would restore, not add).
const LANE = `E2E test lane ${Date.now()}`;
const LANE_COORDS = [[76.9000, 43.2500], [76.9100, 43.2500], [76.9100, 43.2560]];
let browser;
const dir = mkdtempSync(join(tmpdir(), 'qala-web-'));

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function getJson(path) {
  const res = await fetch(BASE + path);
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return res.json();
}

async function lanesFile(name, mutate) {
  const fc = await getJson('/collections/bike-lanes/items?limit=10000');
  const features = fc.features.map((f) => ({
    type: 'Feature',
    geometry: f.geometry,
    // every field written, empty ones as null, as GIS tools export GeoJSON
    properties: Object.fromEntries(['name', 'status', 'facility', 'planned_year'].map((k) => [k, f.properties[k] ?? null])),
  }));
  mutate(features);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features }));
  return { path, count: features.length };
}

async function signedIn(page) {
  await page.locator('#token-input').fill(TOKEN);
  await page.locator('#sign-in').click();
  await page.locator('#signed-in').waitFor();
  await page.locator('#versions-table tbody tr').first().waitFor();
}

test('a wrong token is refused and nothing changes', async () => {
  const before = await getJson('/layers/bike-lanes/versions');
  const { page, context } = await openPage(browser, '/?lang=en&view=mapper&layer=bike-lanes');
  await page.locator('#token-input').fill('not-a-real-token');
  await page.locator('#sign-in').click();
  await page.locator('#signin-error').waitFor();
  assert.match(await page.locator('#signin-error').innerText(), /invalid_token/);
  const { path } = await lanesFile('same.geojson', () => {});
  await page.locator('#mapper-file').setInputFiles(path);
  await page.locator('#mapper-preview').click();
  assert.match(await page.locator('#upload-report').innerText(), /Sign in with a token first/);
  await shot(page, 'mapper-wrong-token');
  assert.deepEqual(await getJson('/layers/bike-lanes/versions'), before);
  await context.close();
});

test('a bad file shows its errors by row and field, and changes nothing', async () => {
  assert.ok(TOKEN, 'QALA_WEB_TOKEN set by run.sh');
  const versionsBefore = await getJson('/layers/bike-lanes/versions');
  const itemsBefore = (await getJson('/collections/bike-lanes/items?limit=10000')).features.length;
  const { path } = await lanesFile('bad-lanes.geojson', (fs) => {
    fs[1].properties.status = 'open';
    fs[4].properties.facility = 'hovercraft';
  });
  const { page, context } = await openPage(browser, '/?lang=en&view=mapper&layer=bike-lanes');
  await signedIn(page);
  const rowsBefore = await page.locator('#versions-table tbody tr').count();
  await page.locator('#mapper-file').setInputFiles(path);
  await page.locator('#mapper-preview').click();
  await page.locator('.report-bad').waitFor({ timeout: 60000 });
  await page.locator('#problems-table tbody tr').first().waitFor();
  const problems = await page.locator('#problems-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.innerText)));
  await shot(page, 'mapper-bad-upload');
  assert.ok(problems.some((p) => p[1] === 'status' && /open/.test(p[2])), JSON.stringify(problems));
  assert.ok(problems.some((p) => p[1] === 'facility'), JSON.stringify(problems));
  assert.ok(problems.every((p) => /^\d+$/.test(p[0])), 'every problem names its row');
  assert.match(await page.locator('.report-bad').innerText(), /nothing was changed/);
  // nothing changed: same versions, same features, same rows in the page's version list
  assert.deepEqual(await getJson('/layers/bike-lanes/versions'), versionsBefore);
  assert.equal((await getJson('/collections/bike-lanes/items?limit=10000')).features.length, itemsBefore);
  assert.equal(await page.locator('#versions-table tbody tr').count(), rowsBefore);
  await context.close();
});

test('a good file becomes a new version on the map, and rollback takes it away', async () => {
  const versionsBefore = await getJson('/layers/bike-lanes/versions');
  const { path, count } = await lanesFile('good-lanes.geojson', (fs) => {
    fs.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: LANE_COORDS }, properties: { name: LANE, status: 'existing', facility: 'protected', planned_year: null } });
  });
  const { page, context } = await openPage(browser, '/?lang=en&view=mapper&layer=bike-lanes&map=14.00/43.25300/76.90500');
  await signedIn(page);
  await page.locator('#mapper-file').setInputFiles(path);
  // Replace (the default) goes through a preview first: nothing written until Confirm.
  await page.locator('#mapper-preview').click();
  await page.locator('#change-preview').waitFor({ timeout: 60000 });
  assert.equal(await page.locator('#change-after').innerText(), String(count));
  assert.equal(await page.locator('#change-warning').count(), 0, 'one more lane: no loss warning');
  assert.deepEqual(await getJson('/layers/bike-lanes/versions'), versionsBefore);
  await page.locator('#change-confirm').click();
  await page.locator('.report-ok').waitFor({ timeout: 60000 });
  const versions = await getJson('/layers/bike-lanes/versions');
  assert.equal(versions.length, versionsBefore.length + 1);
  const current = versions.find((v) => v.current);
  assert.equal(current.feature_count, count);
  assert.match(await page.locator('.report-ok').innerText(), new RegExp(`version ${current.version}`));
  // the new lane is on the map: in the mapper's layer view …
  await page.evaluate((c) => window.qala.map.jumpTo({ center: c, zoom: 14 }), LANE_COORDS[1]);
  await page.waitForFunction((name) => window.qala.map.querySourceFeatures('geo-mapper').some((f) => f.properties.name === name), LANE, { timeout: 20000 });
  await mapIdle(page);
  assert.ok(await rendered(page, ['mapper-line'], ['name', LANE]) > 0, 'new lane drawn in the mapper view');
  await shot(page, 'mapper-good-upload');
  // … and in the public bike map, from fresh tiles
  await page.locator('a.view-link[data-view="bike"]').click();
  await page.waitForFunction((name) => window.qala.map.queryRenderedFeatures({ layers: ['bike-lanes-existing'] }).some((f) => f.properties.name === name), LANE, { timeout: 20000, polling: 250 });
  await shot(page, 'bike-after-upload');
  // roll back to the version served before
  await page.locator('a.view-link[data-view="mapper"]').click();
  await page.locator(`button.rollback[data-version="${versionsBefore.find((v) => v.current).version}"]`).click();
  await page.locator('.msg-ok').filter({ hasText: 'Rolled back' }).waitFor({ timeout: 30000 });
  const after = await getJson('/layers/bike-lanes/versions');
  assert.equal(after.find((v) => v.current).version, versionsBefore.find((v) => v.current).version);
  await page.waitForFunction((name) => !window.qala.map.querySourceFeatures('geo-mapper').some((f) => f.properties.name === name)
    && window.qala.map.querySourceFeatures('geo-mapper').length > 0, LANE, { timeout: 20000 });
  await page.locator('a.view-link[data-view="bike"]').click();
  await mapIdle(page);
  await page.waitForFunction((name) => !window.qala.map.queryRenderedFeatures({ layers: ['bike-lanes-existing'] }).some((f) => f.properties.name === name), LANE, { timeout: 20000, polling: 250 });
  await shot(page, 'bike-after-rollback');
  await context.close();
});

test('no page of these tests asked any host but qala', () => {
  assert.ok(seen.length > 20, `requests seen: ${seen.length}`);
  assert.deepEqual(foreignRequests(), []);
});
