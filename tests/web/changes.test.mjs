// Change sets in the mapper view against the real server: every change is previewed first (a dry
// run that writes nothing), then confirmed or cancelled. Append 3 lanes: the preview says 3 added
// and the layer is untouched; Confirm adds them as a new version. Replace with the same 3 lanes:
// the preview warns how many features the layer would lose; Cancel leaves everything as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, launch, openPage, shot, foreignRequests } from './browser.mjs';

const TOKEN = process.env.QALA_WEB_TOKEN;
const RUN = Date.now(); // new names each run, so the file is never one the server already has
let browser;
const dir = mkdtempSync(join(tmpdir(), 'qala-web-changes-'));
const file = join(dir, 'three-lanes.geojson');
writeFileSync(file, JSON.stringify({
  type: 'FeatureCollection',
  features: [0, 1, 2].map((i) => ({
    type: 'Feature',
    geometry: { type: 'LineString', coordinates: [[76.90 + i * 0.01, 43.24], [76.905 + i * 0.01, 43.2415], [76.905 + i * 0.01, 43.245]] },
    properties: { name: `E2E change lane ${RUN}-${i + 1}`, status: 'planned', facility: 'protected' },
  })),
}));

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function getJson(path) {
  const res = await fetch(BASE + path, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return res.json();
}
const featureCount = async () => (await getJson('/layers/bike-lanes')).feature_count;

async function mapperPage(viewport) {
  const opened = await openPage(browser, '/?lang=en&view=mapper&layer=bike-lanes', viewport ? { viewport } : {});
  const { page } = opened;
  if (viewport && viewport.width <= 700) await page.locator('#panel-toggle').click(); // phones: open the panel
  await page.locator('#token-input').fill(TOKEN);
  await page.locator('#sign-in').click();
  await page.locator('#signed-in').waitFor();
  await page.locator('#versions-table tbody tr').first().waitFor();
  return opened;
}

test('the key field is offered only for update and delete by key', async () => {
  assert.ok(TOKEN, 'QALA_WEB_TOKEN set by run.sh');
  const { page, context } = await mapperPage();
  assert.equal(await page.locator('#mapper-mode').inputValue(), 'replace');
  assert.equal(await page.locator('#mapper-key-row').isVisible(), false);
  await page.locator('#mapper-mode').selectOption('upsert');
  await page.locator('#mapper-key-row').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('#mapper-key option').length > 0);
  const keys = await page.locator('#mapper-key option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(keys, (await getJson('/layers/bike-lanes')).fields.map((f) => f.name));
  await page.locator('#mapper-mode').selectOption('append');
  assert.equal(await page.locator('#mapper-key-row').isVisible(), false);
  assert.equal(await page.locator('label[for="mapper-skip-invalid"]').innerText(), 'Load valid features, skip invalid ones');
  await context.close();
});

test('append: the preview shows 3 added and writes nothing; Confirm adds them as a new version', async () => {
  const countBefore = await featureCount();
  const versionsBefore = await getJson('/layers/bike-lanes/versions');
  const { page, context } = await mapperPage();
  // Only the layers this token may change are offered: a mapper granted bike-lanes sees one.
  assert.deepEqual(await page.locator('#mapper-layer option').evaluateAll((os) => os.map((o) => o.value)), ['bike-lanes']);
  const uploads = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/layers/bike-lanes/versions')) uploads.push(new URL(r.url())); });
  await page.locator('#mapper-mode').selectOption('append');
  await page.locator('#mapper-file').setInputFiles(file);
  await page.locator('#mapper-preview').click();
  await page.locator('#change-preview').waitFor({ timeout: 60000 });
  // The upload was followed: the server tells how many features it checked under the id sent.
  const progressId = uploads[0]?.searchParams.get('progress');
  assert.ok(progressId, `the preview upload asks to be followed: ${uploads.map(String)}`);
  const progress = await getJson(`/layers/bike-lanes/uploads/${progressId}`);
  assert.equal(progress.done, true);
  assert.equal(progress.features, 3, JSON.stringify(progress));
  // The change on the map: the 3 added lanes in the preview source, and their legend.
  await page.waitForFunction(() => window.qala.map.querySourceFeatures('geo-change').length >= 3, null, { timeout: 15000 });
  const onMap = await page.evaluate(() => window.qala.map.querySourceFeatures('geo-change').map((f) => f.properties.change));
  assert.ok(onMap.length >= 3 && onMap.every((c) => c === 'added'), `preview map: ${onMap}`);
  assert.match(await page.locator('#change-legend li[data-change="added"]').innerText(), /Added \(3\)/);
  assert.equal(await page.locator('#change-legend li[data-change="removed"]').count(), 0);
  assert.equal(await page.locator('#change-added').innerText(), '3');
  assert.equal(await page.locator('#change-changed').innerText(), '0');
  assert.equal(await page.locator('#change-removed').innerText(), '0');
  assert.equal(await page.locator('#change-after').innerText(), String(countBefore + 3));
  assert.equal(await page.locator('#change-warning').count(), 0);
  assert.match(await page.locator('#change-preview').innerText(), new RegExp(`E2E change lane ${RUN}-1|row 1`));
  assert.equal(await page.locator('#upload-report').getAttribute('aria-live'), 'polite');
  await shot(page, 'changes-append-preview');
  // the dry run wrote nothing
  assert.equal(await featureCount(), countBefore);
  assert.deepEqual(await getJson('/layers/bike-lanes/versions'), versionsBefore);
  await page.locator('#change-confirm').click();
  await page.locator('.report-ok').waitFor({ timeout: 60000 });
  assert.equal(await featureCount(), countBefore + 3);
  const versions = await getJson('/layers/bike-lanes/versions');
  assert.equal(versions.length, versionsBefore.length + 1);
  const current = versions.find((v) => v.current);
  assert.equal(current.feature_count, countBefore + 3);
  assert.match(await page.locator('.report-ok').innerText(), new RegExp(`version ${current.version}`));
  await page.locator(`#versions-table tr[data-version="${current.version}"].current`).waitFor();
  await shot(page, 'changes-append-confirmed');
  await context.close();
});

test('replace: the preview warns about the features the layer would lose; Cancel changes nothing', async () => {
  const countBefore = await featureCount();
  const versionsBefore = await getJson('/layers/bike-lanes/versions');
  const { page, context } = await mapperPage({ width: 390, height: 844 });
  await page.locator('#mapper-mode').selectOption('replace');
  await page.locator('#mapper-file').setInputFiles(file);
  await page.locator('#mapper-preview').click();
  await page.locator('#change-preview').waitFor({ timeout: 60000 });
  const warning = await page.locator('#change-warning').innerText();
  assert.match(warning, new RegExp(`Replaces all ${countBefore.toLocaleString('en').replace(/,/g, '.?')}.* with 3`));
  assert.match(warning, /loses/);
  assert.equal(await page.locator('#change-warning').getAttribute('role'), 'alert');
  assert.equal(await page.locator('#change-added').innerText(), '3');
  assert.equal(await page.locator('#change-after').innerText(), '3');
  // fits a 390 px phone: nothing in the preview wider than the viewport
  const widest = await page.evaluate(() => Math.max(...[...document.querySelectorAll('#change-preview, #change-preview *')].map((e) => e.getBoundingClientRect().right)));
  assert.ok(widest <= 390, `preview ends at ${widest}px`);
  await page.locator('#change-warning').scrollIntoViewIfNeeded();
  await shot(page, 'changes-replace-warning-390');
  // Removed features are drawn too (the served lanes), with their count in the legend.
  assert.match(await page.locator('#change-legend li[data-change="removed"]').innerText(), new RegExp(`\\(${countBefore.toLocaleString('en').replace(/,/g, '.?')}\\)`));
  await page.locator('#change-cancel').click();
  assert.match(await page.locator('#upload-report').innerText(), /Cancelled: nothing was changed/);
  await page.waitForFunction(() => window.qala.map.querySourceFeatures('geo-change').length === 0, null, { timeout: 15000 });
  assert.equal(await page.locator('#change-confirm').count(), 0);
  assert.equal(await featureCount(), countBefore);
  assert.deepEqual(await getJson('/layers/bike-lanes/versions'), versionsBefore);
  await context.close();
});

test('no page of these tests asked any host but qala', () => {
  assert.deepEqual(foreignRequests(), []);
});
