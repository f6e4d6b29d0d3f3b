// Published editions, norm variants and provenance in the browser. The database starts with no
// edition: the first test checks the live fallback, then one is published with the CLI
// (`qala indicators publish`, on run.sh's database) and the rest read it. Every number is
// compared with what the API answers for the same question.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE, launch, openPage, mapIdle, shot, seen, foreignRequests } from './browser.mjs';

const QALA = process.env.QALA_BIN;
const DATABASE_URL = process.env.QALA_WEB_DATABASE_URL;
const ID = 'green_m2_per_resident';
const MAP = 'map=10.30/43.25000/76.90000';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function getJson(path) {
  const res = await fetch(BASE + path);
  assert.equal(res.status, 200, `${path}: HTTP ${res.status} ${await res.clone().text()}`);
  return res.json();
}

const zoneKey = (z) => String(z.zone);
const byZone = (zones, k = 'value') => Object.fromEntries(zones.map((z) => [zoneKey(z), z[k] ?? null]));

/** zone → the raw value a table column carries (`data-value`), for rows marked with data-zone. */
function columnValues(page, table, col) {
  return page.evaluate(([t, c]) => {
    const out = {};
    for (const tr of document.querySelectorAll(`${t} tbody tr[data-zone]`)) {
      const td = c ? tr.querySelector(`td[data-col="${c}"]`) : tr.querySelector('td[data-value]');
      out[tr.dataset.zone] = td.dataset.value === '' ? null : Number(td.dataset.value);
    }
    return out;
  }, [table, col]);
}

function assertClose(shown, api, what) {
  assert.deepEqual(Object.keys(shown).sort(), Object.keys(api).sort(), `${what}: zones`);
  for (const [k, v] of Object.entries(api)) {
    if (v === null) assert.equal(shown[k], null, `${what}: zone ${k}`);
    else assert.ok(Math.abs(shown[k] - v) < 1e-9, `${what}: zone ${k} shows ${shown[k]}, API ${v}`);
  }
}

/** Nothing in the panel sticks out sideways (a phone is 390 px wide). */
async function assertNoOverflow(page, what) {
  const [doc, panel, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.getElementById('panel').scrollWidth, document.getElementById('panel').clientWidth]);
  assert.ok(doc <= 390 && panel <= client, `${what}: page ${doc} px, panel ${panel}/${client} px`);
}

test('before any edition, equity shows live figures marked "not yet published", and the planner has nothing to compare with', async () => {
  assert.deepEqual(await getJson('/editions'), [], 'run.sh starts with no edition');
  const missing = await fetch(`${BASE}/indicators/${ID}?edition=latest&zones=districts`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, 'edition_not_found');
  const live = await getJson(`/indicators/${ID}?zones=districts`);

  const { page, context, errors } = await openPage(browser, `/?lang=en&view=equity&indicator=${ID}&zones=districts&${MAP}`);
  await page.locator('#equity-table tbody tr').first().waitFor({ timeout: 30000 });
  assert.equal(await page.locator('#equity-live').innerText(), 'Live figures — not yet published');
  assert.equal(await page.locator('#equity-edition').count(), 0);
  assert.ok(await page.locator('#equity-figures-edition').isDisabled(), 'no edition to choose');
  assert.ok(await page.locator('#equity-figures-live').isChecked());
  assert.ok(!new URL(page.url()).searchParams.has('edition'), 'the shared URL still asks for the published edition');
  assertClose(await columnValues(page, '#equity-table'), byZone(live.zones), 'equity, live');
  await mapIdle(page);
  await shot(page, 'editions-equity-unpublished');

  const { page: planner, context: c2 } = await openPage(browser, `/?lang=en&view=planner&indicator=${ID}&zones=districts&${MAP}`);
  await planner.locator('#planner-zones-table tbody tr').first().waitFor({ timeout: 60000 });
  assert.match(await planner.locator('#planner-edition-none').innerText(), /No edition has been published yet/);
  assert.equal(await planner.locator('#planner-zones-table td[data-col="edition"]').count(), 0, 'no edition column');
  assertClose(await columnValues(planner, '#planner-zones-table', 'live'), byZone(live.zones), 'planner, live');
  assert.deepEqual(errors, []);
  await c2.close();
  await context.close();
});

test('once an edition is published, equity shows it with its line and link by default, and Live on request (kept in the URL)', async () => {
  assert.ok(QALA && DATABASE_URL, 'run.sh sets QALA_BIN and QALA_WEB_DATABASE_URL');
  execFileSync(QALA, ['indicators', 'publish', '--title', 'Web test edition'], { env: { ...process.env, DATABASE_URL }, stdio: 'pipe' });
  const [edition] = await getJson('/editions');
  assert.equal(edition.title, 'Web test edition');
  const published = await getJson(`/indicators/${ID}?edition=latest&zones=districts`);
  const live = await getJson(`/indicators/${ID}?zones=districts`);
  assert.equal(published.edition.edition_id, edition.edition_id);

  const { page, context, errors } = await openPage(browser, `/?lang=en&view=equity&indicator=${ID}&zones=districts&${MAP}`);
  await page.locator('#equity-edition').waitFor({ timeout: 30000 });
  const line = await page.locator('#equity-edition').innerText();
  const longDate = (iso) => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: iso.length === 10 ? 'UTC' : 'Asia/Almaty' }).format(new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso));
  assert.ok(line.startsWith(`Edition ${edition.edition_id} “Web test edition”, published ${longDate(edition.published_at)}, figures as of ${longDate(edition.as_of)}`), line);
  const href = await page.locator('#equity-edition a').getAttribute('href');
  assert.equal(href, `/editions/${edition.edition_id}`);
  assert.equal((await getJson(href)).edition_id, edition.edition_id, 'the link opens the edition record');
  assert.ok(await page.locator('#equity-figures-edition').isChecked());
  assertClose(await columnValues(page, '#equity-table'), byZone(published.zones), 'equity, edition');
  await mapIdle(page);
  await shot(page, 'editions-equity-published');

  await page.locator('#equity-figures-live').check();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('edition') === 'live');
  await page.locator('#equity-live').waitFor();
  assert.match(await page.locator('#equity-live').innerText(), /^Live figures: computed now/);
  assert.equal(await page.locator('#equity-edition').count(), 0);
  assertClose(await columnValues(page, '#equity-table'), byZone(live.zones), 'equity, live');
  assert.deepEqual(errors, []);
  await context.close();

  // the shared URL reopens on live figures; back to the edition drops the parameter again
  const { page: again, context: c2 } = await openPage(browser, `/?lang=ru&view=equity&indicator=${ID}&zones=districts&edition=live&${MAP}`);
  await again.locator('#equity-live').waitFor({ timeout: 30000 });
  assert.ok(await again.locator('#equity-figures-live').isChecked());
  await again.locator('#equity-figures-edition').check();
  await again.locator('#equity-edition').waitFor({ timeout: 30000 });
  assert.match(await again.locator('#equity-edition').innerText(), new RegExp(`^Выпуск ${edition.edition_id} «Web test edition», опубликован`));
  assert.ok(!new URL(again.url()).searchParams.has('edition'));
  await c2.close();
});

test('the planner compares live figures with the edition and judges them against the chosen norm variant, as the API does', async () => {
  const defs = await getJson('/indicators');
  const def = defs.find((d) => d.id === ID);
  assert.deepEqual(def.norm_variants.map((v) => v.id), ['national', 'city', 'critics']);
  const published = await getJson(`/indicators/${ID}?edition=latest&zones=districts`);
  const live = await getJson(`/indicators/${ID}?zones=districts`);
  const city = await getJson(`/indicators/${ID}?zones=districts&norm=city`);
  assert.equal(city.indicator.norm.at_least, 4.8);

  const { page, context, errors } = await openPage(browser, `/?lang=en&view=planner&indicator=${ID}&zones=districts&${MAP}`);
  await page.locator('#planner-zones-table td[data-col="edition"]').first().waitFor({ timeout: 60000 });
  assert.match(await page.locator('#planner-edition').innerText(), new RegExp(`^Compared with edition ${published.edition.edition_id} “Web test edition”`));
  assertClose(await columnValues(page, '#planner-zones-table', 'live'), byZone(live.zones), 'live');
  assertClose(await columnValues(page, '#planner-zones-table', 'edition'), byZone(published.zones), 'edition');
  const change = Object.fromEntries(live.zones.map((z) => [zoneKey(z), z.value - published.zones.find((e) => zoneKey(e) === zoneKey(z)).value]));
  assertClose(await columnValues(page, '#planner-zones-table', 'change'), change, 'change since edition');
  assertClose(await columnValues(page, '#planner-zones-table', 'gap'), byZone(live.zones, 'gap_to_norm'), 'gap to the default norm');

  // the selector: one option per variant, each with its source as tooltip and caption
  const options = await page.locator('#planner-norm option').evaluateAll((os) => os.map((o) => ({ id: o.value, text: o.textContent, title: o.title })));
  assert.deepEqual(options, def.norm_variants.map((v) => ({ id: v.id, text: v.names.en, title: v.source })));
  assert.equal(await page.locator('#planner-norm').inputValue(), 'national');
  assert.equal(await page.locator('label[for="planner-norm"]').innerText(), 'Norm to judge against');
  assert.ok((await page.locator('#planner-norm-source').innerText()).endsWith(def.norm_variants[0].source));

  await page.locator('#planner-norm').selectOption('city');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('norm') === 'city');
  await page.waitForFunction(() => document.querySelector('#planner-zones-table thead th:last-child')?.textContent.includes('(4.8)'));
  assertClose(await columnValues(page, '#planner-zones-table', 'gap'), byZone(city.zones, 'gap_to_norm'), 'gap to the city norm');
  assert.ok((await page.locator('#planner-norm-source').innerText()).endsWith(def.norm_variants[1].source));
  const cols = await page.locator('#planner-table thead th').evaluateAll((ths) => ths.map((th) => th.dataset.key));
  const row = page.locator('#planner-table tbody tr', { hasText: def.names.en }).first();
  assert.equal(await row.locator(`td:nth-child(${cols.indexOf('norm') + 1})`).innerText(), '4.8', 'the summary table shows the applied norm');
  assert.match(await page.locator('#planner-csv').getAttribute('href'), /norm=city/);
  const csv = await (await fetch(BASE + await page.locator('#planner-csv').getAttribute('href'))).text();
  assert.match(csv.split('\n')[1], /,4\.8,/, 'the CSV is judged against the same norm');
  await page.locator('#planner-zones-table').scrollIntoViewIfNeeded();
  await shot(page, 'editions-planner-norm-city');
  assert.deepEqual(errors, []);
  await context.close();

  // a shared link keeps the variant
  const { page: again, context: c2 } = await openPage(browser, `/?lang=kk&view=planner&indicator=${ID}&zones=districts&norm=critics&${MAP}`);
  await again.locator('#planner-zones-table td[data-col="gap"]').first().waitFor({ timeout: 60000 });
  assert.equal(await again.locator('#planner-norm').inputValue(), 'critics');
  const critics = await getJson(`/indicators/${ID}?zones=districts&norm=critics`);
  assertClose(await columnValues(again, '#planner-zones-table', 'gap'), byZone(critics.zones, 'gap_to_norm'), 'gap to the critics norm');
  await c2.close();
});

test('caveats and inputs under the figures are the API provenance, in the chosen language', async () => {
  for (const [lang, view, indicator] of [['ru', 'equity', ID], ['kk', 'planner', 'stops_500m'], ['en', 'equity', 'planting_survival_1y']]) {
    const res = await getJson(`/indicators/${indicator}?zones=districts`);
    const synthetic = res.caveats.find((c) => c.code === 'synthetic_inputs');
    assert.ok(synthetic?.layers.length, `${indicator}: the API names synthetic inputs`);
    assert.deepEqual(synthetic.layers, res.inputs.filter((i) => i.synthetic).map((i) => i.slug).filter((s) => synthetic.layers.includes(s)));
    const { page, context, errors } = await openPage(browser, `/?lang=${lang}&view=${view}&indicator=${indicator}&zones=districts&edition=live&${MAP}`);
    const box = `#${view}-provenance`;
    await page.locator(`${box} .caveats li`).first().waitFor({ timeout: 60000 });
    const li = page.locator(`${box} .caveats li[data-code="synthetic_inputs"]`);
    assert.equal(await li.getAttribute('data-layers'), synthetic.layers.join(' '));
    const text = await li.innerText();
    const prefix = { kk: 'Синтетикалық деректерден есептелген:', ru: 'Рассчитано по синтетическим данным:', en: 'Computed from synthetic data:' }[lang];
    assert.ok(text.startsWith(prefix), text);
    for (const slug of synthetic.layers) {
      const title = res.inputs.find((i) => i.slug === slug).title[lang];
      assert.ok(text.includes(title), `${lang}: "${text}" names ${title}`);
    }
    // one row per input, marked real or synthetic as the catalogue says
    const rows = await page.locator(`${box} .inputs-list li`).evaluateAll((lis) => lis.map((l) => [l.dataset.slug, l.dataset.synthetic, l.textContent]));
    assert.deepEqual(rows.map(([s, syn]) => [s, syn]), res.inputs.map((i) => [i.slug, String(i.synthetic)]));
    for (const [i, [, , t]] of rows.entries()) {
      assert.ok(t.includes(res.inputs[i].title[lang]), t);
      if (res.inputs[i].licence) assert.ok(t.includes(res.inputs[i].licence), t);
    }
    if (lang === 'ru') {
      await page.locator(`${box} details summary`).click();
      await page.locator(`${box}`).scrollIntoViewIfNeeded();
      await shot(page, `editions-${view}-provenance-${lang}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('a figure that reads a layer the caller may not see (403) is said plainly, and the rest of the page works', async () => {
  const forbid = (page) => page.route((url) => url.pathname === `/indicators/${ID}`, (route) => route.fulfill({
    status: 403, contentType: 'application/json', body: JSON.stringify({ code: 'forbidden', message: 'forbidden' }),
  }));
  const { page, context, errors } = await openPage(browser, `/?lang=en&view=equity&indicator=${ID}&zones=districts&${MAP}`, { beforeGoto: forbid });
  await page.locator('#equity-out .msg-error').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('#equity-out .msg-error').innerText(), 'This figure reads a layer you may not see, so it is not shown.');
  // another indicator still draws
  await page.locator('#equity-indicator').selectOption('stops_500m');
  await page.locator('#equity-table tbody tr').first().waitFor({ timeout: 30000 });
  assert.deepEqual(errors, []);
  await context.close();

  const { page: planner, context: c2, errors: e2 } = await openPage(browser, `/?lang=ru&view=planner&indicator=${ID}&zones=districts&${MAP}`, { beforeGoto: forbid });
  await planner.locator('#planner-chart .msg-error').waitFor({ timeout: 60000 });
  assert.equal(await planner.locator('#planner-chart .msg-error').innerText(), 'Этот показатель читает слой, к которому у вас нет доступа, поэтому он не показан.');
  assert.equal(await planner.locator('#planner-table .badge-restricted').count(), 1, 'its row is marked');
  assert.ok(await planner.locator('#planner-table tbody tr').count() > 1, 'the other indicators are listed');
  await shot(planner, 'editions-planner-forbidden');
  assert.deepEqual(e2, []);
  await c2.close();
});

test('on a 390 px phone the edition line, the norm selector and the zone table fit the screen', async () => {
  const phone = { viewport: { width: 390, height: 844 } };
  const { page, context } = await openPage(browser, `/?lang=kk&view=equity&indicator=${ID}&zones=districts&${MAP}`, phone);
  await page.locator('#equity-edition').waitFor({ timeout: 30000 });
  await page.locator('#panel-toggle').click();
  await page.locator('#equity-provenance').scrollIntoViewIfNeeded();
  await assertNoOverflow(page, 'equity');
  await shot(page, 'editions-equity-phone');
  await context.close();
  const { page: planner, context: c2 } = await openPage(browser, `/?lang=kk&view=planner&indicator=${ID}&zones=districts&norm=city&${MAP}`, phone);
  await planner.locator('#planner-zones-table td[data-col="edition"]').first().waitFor({ timeout: 60000 });
  await planner.locator('#panel-toggle').click();
  await planner.locator('#planner-norm').scrollIntoViewIfNeeded();
  await assertNoOverflow(planner, 'planner');
  await shot(planner, 'editions-planner-phone');
  await c2.close();
});

test('no page of these tests asked any host but qala', () => {
  assert.ok(seen.length > 20);
  assert.deepEqual(foreignRequests(), []);
});
