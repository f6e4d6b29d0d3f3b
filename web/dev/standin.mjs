// A development stand-in for the parts of `qala serve` the web app reads (tiles via PostGIS
// ST_AsMVT, OGC items, /layers), for working on the app before or without the Rust server.
// Never used by the browser tests: those run against the real `qala serve` (tests/web/run.sh).
//   DATABASE_URL=postgres://… node dev/standin.mjs [port]
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const port = Number(process.argv[2] || 8090);
// Indicators come from the real engine through the CLI (`qala indicators … --format json`).
const QALA = process.env.QALA_BIN || fileURLToPath(new URL('../../target/debug/qala', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'qala-standin-'));
function qala(args) {
  return new Promise((resolve, reject) => {
    execFile(QALA, ['--quiet', 'indicators', ...args], { env: process.env, maxBuffer: 64 << 20 }, (err, out, errOut) => (err ? reject(new Error(errOut || err.message)) : resolve(out)));
  });
}
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.svg': 'image/svg+xml', '.map': 'application/json', '.txt': 'text/plain' };

async function layer(slug) {
  const r = await pool.query('SELECT slug, kind, title_kk, title_ru, title_en, synthetic, visibility FROM layer WHERE slug = $1', [slug]);
  return r.rows[0];
}
const ident = (s) => `"${s.replaceAll('"', '""')}"`;

async function tile(res, slugs, z, x, y) {
  const parts = [];
  for (const slug of slugs) {
    const l = await layer(slug);
    if (!l) return send(res, 404, { code: 'layer_not_found', message: slug });
    const view = ident(`${l.kind}_current`);
    const idc = ident(`${l.kind}_id`);
    const cols = (await pool.query(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND column_name NOT IN ('geom','props','layer_slug','layer_version_id','source_row')`, [`${l.kind}_current`])).rows.map((r) => r.column_name).filter((c) => c !== `${l.kind}_id`);
    const q = `WITH b AS (SELECT ST_TileEnvelope($1,$2,$3) AS env),
      m AS (SELECT ${idc} AS id, ${cols.map((c) => `${ident(c)}${['felled_on', 'planted_on', 'installed_on', 'compensation_due', 'population_date'].includes(c) ? '::text' : ''}${c === 'languages' ? '::text' : ''}`).join(', ')}${cols.length ? ',' : ''}
        ST_AsMVTGeom(ST_Transform(geom, 3857), b.env, 4096, 64, true) AS g
        FROM ${view}, b WHERE layer_slug = $4 AND ST_Intersects(geom, ST_Transform(b.env, 4326)))
      SELECT ST_AsMVT(m, $4, 4096, 'g', 'id') FROM m WHERE g IS NOT NULL`;
    parts.push((await pool.query(q, [z, x, y, slug])).rows[0].st_asmvt);
  }
  res.writeHead(200, { 'content-type': 'application/vnd.mapbox-vector-tile' });
  res.end(Buffer.concat(parts.filter(Boolean)));
}

async function items(res, slug, params) {
  const l = await layer(slug);
  if (!l) return send(res, 404, { code: 'layer_not_found', message: slug });
  const view = ident(`${l.kind}_current`);
  const where = ['layer_slug = $1'];
  const vals = [slug];
  for (const [k, v] of params) {
    if (['limit', 'after', 'f'].includes(k)) continue;
    if (!/^[a-z_0-9]+$/.test(k)) return send(res, 400, { code: 'unknown_parameter', message: k });
    vals.push(v);
    where.push(k === 'languages' ? `$${vals.length} = ANY(${ident(k)})` : `${ident(k)}::text = $${vals.length}`);
  }
  const r = await pool.query(`SELECT ${ident(`${l.kind}_id`)} AS id, ST_AsGeoJSON(geom, 7)::json AS geometry, to_jsonb(v) - 'geom' - 'props' - 'layer_slug' - 'layer_version_id' - 'source_row' AS properties FROM ${view} v WHERE ${where.join(' AND ')} ORDER BY 1 LIMIT 10000`, vals);
  send(res, 200, { type: 'FeatureCollection', features: r.rows.map((row) => ({ type: 'Feature', id: Number(row.id), geometry: row.geometry, properties: row.properties })), links: [] }, 'application/geo+json');
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  try {
    let m;
    if ((m = p.match(/^\/tiles\/([a-z0-9,-]+)\/(\d+)\/(\d+)\/(\d+)\.mvt$/))) return await tile(res, m[1].split(','), +m[2], +m[3], +m[4]);
    if ((m = p.match(/^\/collections\/([a-z0-9-]+)\/items$/))) return await items(res, m[1], url.searchParams);
    if (p === '/layers') {
      const r = await pool.query('SELECT slug, kind, title_kk, title_ru, title_en, synthetic, visibility FROM layer ORDER BY slug');
      return send(res, 200, r.rows.map((l) => ({ slug: l.slug, kind: l.kind, title: { kk: l.title_kk, ru: l.title_ru, en: l.title_en }, synthetic: l.synthetic, visibility: l.visibility })));
    }
    if (p === '/indicators') return send(res, 200, JSON.parse(await qala(['--list', '--format', 'json'])));
    if ((m = p.match(/^\/indicators\/([a-z0-9_]+)$/))) {
      const zones = url.searchParams.get('zones') || 'districts';
      if (url.searchParams.get('format') === 'csv') {
        res.writeHead(200, { 'content-type': 'text/csv' });
        return res.end(await qala(['--zones', zones, '--indicator', m[1], '--format', 'csv']));
      }
      return send(res, 200, JSON.parse(await qala(['--zones', zones, '--indicator', m[1], '--format', 'json']))[0]);
    }
    if (p === '/zones/districts') {
      const r = await pool.query(`SELECT akimat_id::text AS id, name_kk, name_ru, name_en, ST_AsGeoJSON(geom, 6)::json AS g FROM district_current ORDER BY akimat_id`);
      return send(res, 200, { type: 'FeatureCollection', features: r.rows.map((z) => ({ type: 'Feature', id: z.id, properties: { id: z.id, name_kk: z.name_kk, name_ru: z.name_ru, name_en: z.name_en }, geometry: z.g })) });
    }
    if (p === '/whatif' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const q = JSON.parse(body);
      const f = join(tmp, 'change.json');
      writeFileSync(f, JSON.stringify(q.change));
      return send(res, 200, JSON.parse(await qala(['--zones', q.zones || 'districts', '--what-if', f, '--format', 'json'])));
    }
    if (p.startsWith('/zones')) return send(res, 503, { code: 'engine_unavailable', message: 'the dev stand-in serves only /zones/districts' });
    const file = normalize(join(dist, p === '/' ? 'index.html' : p));
    if (!file.startsWith(dist)) return send(res, 404, { code: 'not_found', message: p });
    const body = await readFile(file).catch(() => readFile(join(dist, 'index.html')));
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'text/html' });
    res.end(body);
  } catch (e) {
    console.error(e);
    send(res, 500, { code: 'internal', message: 'internal error' });
  }
}).listen(port, '127.0.0.1', () => console.log(`stand-in on http://127.0.0.1:${port}`));
