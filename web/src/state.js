// The shareable state of the page lives in the URL: ?lang=kk&view=bike&map=zoom/lat/lon, plus
// the selection of the views (indicator, zones, layer, distance, edition, norm, the bike
// view's mode and stress scenario).
import { LANGS } from './i18n.js';

export const VIEWS = ['bike', 'greening', 'equity', 'wayfinding', 'planner', 'mapper', 'proposals'];
export const DEFAULT_MAP = { zoom: 11.5, lat: 43.2380, lon: 76.9455 }; // Republic Square

/** Reads the state from a query string; anything missing or malformed falls back to the default. */
export function parseState(search, navigatorLang = 'kk') {
  const p = new URLSearchParams(search);
  const navLang = (navigatorLang || '').slice(0, 2);
  const lang = LANGS.includes(p.get('lang')) ? p.get('lang') : LANGS.includes(navLang) ? navLang : 'kk';
  const view = VIEWS.includes(p.get('view')) ? p.get('view') : 'bike';
  const map = { ...DEFAULT_MAP };
  const parts = (p.get('map') || '').split('/').map(Number);
  if (parts.length === 3 && parts.every(Number.isFinite)) {
    const [zoom, lat, lon] = parts;
    if (zoom >= 0 && zoom <= 22 && Math.abs(lat) <= 85 && Math.abs(lon) <= 180) Object.assign(map, { zoom, lat, lon });
  }
  const extra = {};
  for (const k of ['indicator', 'zones', 'layer']) if (p.get(k)) extra[k] = p.get(k);
  if (p.get('distance') === 'network') extra.distance = 'network';
  // Which figures: a published edition (latest when absent, or number N) or `live`.
  const edition = p.get('edition');
  if (edition === 'live' || /^[1-9][0-9]{0,8}$/.test(edition ?? '')) extra.edition = edition;
  // A named norm variant of the chosen indicator (the views check it against the definition).
  if (/^[A-Za-z0-9_-]{1,40}$/.test(p.get('norm') ?? '')) extra.norm = p.get('norm');
  // The bike view's mode (lanes by default, or cycling stress) and the stress scenario.
  if (p.get('mode') === 'stress') extra.mode = 'stress';
  if (['under_construction', 'plan'].includes(p.get('scenario'))) extra.scenario = p.get('scenario');
  return { lang, view, map, ...extra };
}

/** The query string for a state; the map position is rounded so the URL stays short. */
export function formatState(s) {
  const p = new URLSearchParams();
  p.set('lang', s.lang);
  p.set('view', s.view);
  p.set('map', `${s.map.zoom.toFixed(2)}/${s.map.lat.toFixed(5)}/${s.map.lon.toFixed(5)}`);
  for (const k of ['indicator', 'zones', 'layer']) if (s[k]) p.set(k, s[k]);
  if (s.distance === 'network') p.set('distance', 'network');
  if (s.edition && s.edition !== 'latest') p.set('edition', s.edition);
  if (s.norm) p.set('norm', s.norm);
  if (s.mode === 'stress') p.set('mode', 'stress');
  if (s.scenario && s.scenario !== 'existing') p.set('scenario', s.scenario);
  return `?${p.toString().replaceAll('%2F', '/')}`;
}
