// The JavaScript budget of the built app (web/dist, `npm run build`): what a phone downloads
// before the first map. MapLibre GL JS is most of it (~1.0 MB of app.js, the worker apart);
// the app's own code may grow by little before this fails. Gzip sizes are what travels
// (`qala serve` compresses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist');
/** Bytes: raw and gzip, per file and in total. app.js gzip raised 370,000 → 371,000 for the
 *  walking profiles in the equity view (switch, gap table, barriers layer and legend: ~0.95 kB). */
export const BUDGET = {
  'app.js': { raw: 1_400_000, gzip: 371_000 },
  'maplibre-gl-worker.mjs': { raw: 560_000, gzip: 160_000 },
  total: { raw: 1_950_000, gzip: 520_000 },
};

test('the JavaScript of web/dist stays within its budget', { skip: !existsSync(dist) && 'web/dist not built' }, () => {
  const files = readdirSync(dist).filter((f) => /\.(m?js)$/.test(f));
  assert.deepEqual(files.sort(), Object.keys(BUDGET).filter((k) => k !== 'total').sort(), 'no unbudgeted script');
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dist, f));
    const g = gzipSync(bytes, { level: 6 }).length;
    console.log(`${f}: ${bytes.length} bytes, ${g} gzip (budget ${BUDGET[f].raw} / ${BUDGET[f].gzip})`);
    assert.ok(bytes.length <= BUDGET[f].raw, `${f}: ${bytes.length} > ${BUDGET[f].raw} bytes`);
    assert.ok(g <= BUDGET[f].gzip, `${f}: ${g} > ${BUDGET[f].gzip} bytes gzip`);
    raw += bytes.length;
    gz += g;
  }
  assert.ok(raw <= BUDGET.total.raw && gz <= BUDGET.total.gzip, `total ${raw} / ${gz} gzip`);
});
