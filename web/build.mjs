// Builds the qala web app into web/dist: one ES-module bundle (app + MapLibre GL JS), MapLibre's
// worker beside it, the CSS, and the Noto Sans font files that MapLibre draws its labels with.
// Everything the page needs is in dist/, so `qala serve` is the only host it talks to.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const watch = process.argv.includes('--dev');

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'fonts'), { recursive: true });

await build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: !watch,
  sourcemap: true,
  // Map lines to our sources without shipping their text (nor MapLibre's) in the map file.
  sourcesContent: false,
  outfile: join(dist, 'app.js'),
  logLevel: 'warning',
  legalComments: 'linked',
  // Kazakh and Russian words as UTF-8, not \uXXXX escapes: a module script is always read as
  // UTF-8, and the escapes cost ~2x the bytes.
  charset: 'utf8',
});
await build({
  entryPoints: [join(here, 'src/styles.css')],
  bundle: true,
  minify: !watch,
  outfile: join(dist, 'app.css'),
  logLevel: 'warning',
});

// MapLibre loads its worker from a URL; the app points it at this copy (see src/map.js).
const mlDist = join(here, 'node_modules/maplibre-gl/dist');
cpSync(join(mlDist, 'maplibre-gl-worker.mjs'), join(dist, 'maplibre-gl-worker.mjs'));
cpSync(join(mlDist, 'maplibre-gl.css'), join(dist, 'maplibre-gl.css'));

// Noto Sans (OFL) for the UI and the map labels: Latin and Cyrillic, including the Kazakh letters
// (Ә Ғ Қ Ң Ө Ұ Ү Һ І live in the cyrillic-ext subset).
const fontDir = join(here, 'node_modules/@fontsource/noto-sans/files');
const subsets = ['latin', 'latin-ext', 'cyrillic', 'cyrillic-ext'];
for (const f of readdirSync(fontDir)) {
  if (subsets.some((s) => f === `noto-sans-${s}-400-normal.woff2` || f === `noto-sans-${s}-700-normal.woff2`)) {
    cpSync(join(fontDir, f), join(dist, 'fonts', f));
  }
}
cpSync(join(here, 'node_modules/@fontsource/noto-sans/LICENSE'), join(dist, 'fonts', 'LICENSE-NotoSans.txt'));

cpSync(join(here, 'src/fonts.css'), join(dist, 'fonts.css'));
const html = readFileSync(join(here, 'src/index.html'), 'utf8');
writeFileSync(join(dist, 'index.html'), html);
cpSync(join(here, 'src/favicon.svg'), join(dist, 'favicon.svg'));
console.log('qala web app built into web/dist');
