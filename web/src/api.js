// The one place that knows qala's HTTP API (docs/api.md). Every URL is same-origin: the page
// talks to no other host.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || 'http_error';
    this.body = body;
  }
}

async function request(path, { method = 'GET', token, json, form, accept } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (accept) headers.Accept = accept;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  // no-cache: revalidate, so a page that just uploaded a version never reads the old one.
  const res = await fetch(path, { method, headers, body, cache: 'no-cache' });
  const type = res.headers.get('content-type') || '';
  // The server answers unknown paths with the app's index.html: for an API call that is a 404.
  if (type.includes('text/html')) throw new ApiError(404, { code: 'not_found', message: `${path} is not served here` });
  const parsed = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof parsed === 'object' ? parsed : { message: parsed });
  return parsed;
}

/**
 * Absolute TileJSON URL of one or more layers. Its `tiles` URL names the versions served now
 * (`/tiles/slug@N/{z}/{x}/{y}.mvt`, cached for a year); the TileJSON itself is revalidated on
 * every read, so after an upload the map asks for the new version's tiles and no cache can
 * hand it a stale one.
 */
export function tileJsonUrl(slugs) {
  const list = Array.isArray(slugs) ? slugs.join(',') : slugs;
  return `${location.origin}/tiles/${list}.json`;
}

/** A URL the server wrote relative to its root (no `--public-url`), made absolute for MapLibre. */
export function absoluteUrl(url) {
  return url.startsWith('/') ? `${location.origin}${url}` : url;
}

function indicatorPath(id, zones, { distance = 'straight', norm, edition, format } = {}) {
  const q = new URLSearchParams({ zones, distance });
  if (norm) q.set('norm', norm);
  if (edition) q.set('edition', edition);
  if (format) q.set('format', format);
  return `/indicators/${encodeURIComponent(id)}?${q}`;
}

export const api = {
  layers: (token) => request('/layers', { token }),
  versions: (slug, token) => request(`/layers/${encodeURIComponent(slug)}/versions`, { token }),
  layer: (slug, token) => request(`/layers/${encodeURIComponent(slug)}`, { token }),
  /**
   * Upload a change set: `mode` replace | append | upsert | delete, `key` (upsert, delete),
   * `dryRun` (answers the load report with `change`, writes nothing), `skipInvalid`.
   */
  upload(slug, file, token, { mode, key, dryRun, skipInvalid, onProgress } = {}) {
    const form = new FormData();
    form.append('file', file, file.name);
    const q = new URLSearchParams();
    if (mode) q.set('mode', mode);
    if (key && (mode === 'upsert' || mode === 'delete')) q.set('key', key);
    if (dryRun) q.set('dry_run', 'true');
    if (skipInvalid) q.set('skip_invalid', 'true');
    const path = `/layers/${encodeURIComponent(slug)}/versions`;
    if (!onProgress) {
      const qs = q.toString();
      return request(`${path}${qs ? `?${qs}` : ''}`, { method: 'POST', token, form });
    }
    // Followed: the bytes sent (XMLHttpRequest's upload events), then the features the server
    // has validated (GET /layers/{slug}/uploads/{id}, polled until the answer comes).
    const id = `u${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    q.set('progress', id);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      let poll = null;
      const stop = () => { if (poll) clearInterval(poll); poll = null; };
      xhr.open('POST', `${path}?${q}`);
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => onProgress({ phase: 'sending', sent: e.loaded, total: e.lengthComputable ? e.total : file.size });
      xhr.upload.onload = () => {
        onProgress({ phase: 'validating', features: 0 });
        poll = setInterval(async () => {
          try {
            const p = await request(`/layers/${encodeURIComponent(slug)}/uploads/${id}`, { token });
            if (poll) onProgress({ phase: 'validating', features: p.features, total: p.total });
          } catch { /* not started yet, or already forgotten: the answer will come */ }
        }, 400);
      };
      xhr.onload = () => {
        stop();
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch { body = { message: xhr.responseText }; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new ApiError(xhr.status, body));
      };
      xhr.onerror = () => { stop(); reject(new ApiError(0, { code: 'http_error', message: 'the upload did not reach the server' })); };
      xhr.send(form);
    });
  },
  rollback: (slug, version, token) =>
    request(`/layers/${encodeURIComponent(slug)}/rollback`, { method: 'POST', token, json: { version } }),
  /** Every feature of a layer as one GeoJSON FeatureCollection, following the `next` links. */
  async items(slug, params = {}) {
    const q = new URLSearchParams({ limit: '10000', ...params });
    let url = `/collections/${encodeURIComponent(slug)}/items?${q}`;
    const features = [];
    for (let page = 0; url && page < 50; page += 1) {
      const fc = await request(url, { accept: 'application/geo+json' });
      features.push(...(fc.features || []));
      const next = (fc.links || []).find((l) => l.rel === 'next');
      url = next ? new URL(next.href, location.origin).pathname + new URL(next.href, location.origin).search : null;
    }
    return { type: 'FeatureCollection', features };
  },
  indicators: () => request('/indicators'),
  /**
   * One indicator by zones. opts: `distance` (straight | network), `norm` (a variant id), and
   * `edition` (latest | N) for the figure frozen in a published edition instead of the live one.
   */
  indicator: (id, zones, opts = {}) => request(indicatorPath(id, zones, opts)),
  indicatorCsvUrl: (id, zones, opts = {}) => indicatorPath(id, zones, { ...opts, format: 'csv' }),
  editions: () => request('/editions'),
  zones: (scheme) => request(`/zones/${encodeURIComponent(scheme)}`),
  whatif: (body) => request('/whatif', { method: 'POST', json: body }),
  health: () => request('/health'),
  /** Km of bike lane per zone and status (GET /bike/km). */
  bikeKm: (zones) => request(`/bike/km?zones=${encodeURIComponent(zones)}`),
  /** Each population cell's distance to the nearest service of an access indicator (GET /access/cells). */
  /** Ways a walking profile cannot walk (GET /networks/walk/barriers). */
  walkBarriers: (p) => request(`/networks/walk/barriers?profile=${p}`, { accept: 'application/geo+json' }),
  accessCells: (indicator) => request(`/access/cells?indicator=${encodeURIComponent(indicator)}`),
  /** Every street segment with its level of traffic stress in a scenario (GET /networks/lts, all pages). */
  async ltsSegments(scenario) {
    const features = [];
    let total = Infinity;
    let head = {};
    for (let offset = 0, page = 0; offset < total && page < 50; page += 1) {
      const q = new URLSearchParams({ scenario, limit: '10000', offset: String(offset) });
      const fc = await request(`/networks/lts?${q}`, { accept: 'application/geo+json' });
      const got = fc.features || [];
      features.push(...got);
      total = Number(fc.total) || 0;
      if (!page) head = fc;
      if (!got.length) break;
      offset += got.length;
    }
    return { ...head, type: 'FeatureCollection', features };
  },
  /** The low-stress islands of a scenario (GET /networks/lts/islands). */
  ltsIslands: (scenario) => request(`/networks/lts/islands?scenario=${encodeURIComponent(scenario)}`),
  /** Planned segments ranked by residents newly connected per km (GET /networks/lts/priorities). */
  ltsPriorities: (limit) => request(`/networks/lts/priorities${limit ? `?limit=${limit}` : ''}`),
  ltsPrioritiesCsvUrl: () => '/networks/lts/priorities?format=csv',
  /** Streets, places and districts by name (GET /search). */
  search: (q, limit = 8) => request(`/search?${new URLSearchParams({ q, limit: String(limit) })}`),
};
