// Residents' proposals: the public map of approved proposals (clustered), a popup with
// category, status, public answer, supports and "me too"; a submit form (click the map to
// place the point; a hidden honeypot field); a minimal moderator queue (token as in the
// mapper view); and for planners the counts per zone and demand beside gap. Every text a
// resident wrote is put into the page as text (h() makes text nodes), never as HTML.
import { t, tf, num, lang } from '../i18n.js';
import { h, message } from '../ui.js';
import { getToken } from './mapper.js';

const SRC = 'geo-proposals';
const LAYERS = ['proposals-clusters', 'proposals-count', 'proposals-points', 'proposals-new'];
const NEW_SRC = 'geo-proposal-new';

const catName = (cats, code) => {
  const c = cats.find((x) => x.code === code);
  return c ? c[`name_${lang()}`] ?? c.name_en : code;
};

function addLayers(map) {
  if (!map.getSource(SRC)) {
    map.addSource(SRC, { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, cluster: true, clusterRadius: 40, clusterMaxZoom: 15 });
  }
  if (!map.getSource(NEW_SRC)) map.addSource(NEW_SRC, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  if (!map.getLayer('proposals-clusters')) {
    map.addLayer({ id: 'proposals-clusters', type: 'circle', source: SRC, filter: ['has', 'point_count'],
      paint: { 'circle-color': '#7c3aed', 'circle-opacity': 0.75, 'circle-radius': ['step', ['get', 'point_count'], 14, 20, 20, 100, 28] } });
    map.addLayer({ id: 'proposals-count', type: 'symbol', source: SRC, filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': ['Noto Sans Bold'], 'text-size': 12 }, paint: { 'text-color': '#fff' } });
    map.addLayer({ id: 'proposals-points', type: 'circle', source: SRC, filter: ['!', ['has', 'point_count']],
      paint: { 'circle-radius': 7, 'circle-color': '#7c3aed', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
    map.addLayer({ id: 'proposals-new', type: 'circle', source: NEW_SRC,
      paint: { 'circle-radius': 9, 'circle-color': '#f59e0b', 'circle-stroke-color': '#78350f', 'circle-stroke-width': 2 } });
  }
}

function removeLayers(map) {
  for (const l of LAYERS) if (map.getLayer(l)) map.removeLayer(l);
  for (const s of [SRC, NEW_SRC]) if (map.getSource(s)) map.removeSource(s);
}

async function request(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  const token = opts.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { ...opts, headers, cache: 'no-cache' });
  const body = (res.headers.get('content-type') || '').includes('json') ? await res.json().catch(() => null) : await res.text();
  return { status: res.status, body };
}

export default {
  id: 'proposals',
  overlays: [],
  hides: [],
  mount(ctx, panel) {
    const { map } = ctx;
    let alive = true;
    let cats = [];
    let place = null;
    addLayers(map);
    const info = h('p', { id: 'proposals-info', class: 'small' });
    const mapBox = h('section', { id: 'proposals-public' }, h('h2', {}, t('prop_title')), h('p', {}, t('prop_intro')), info);
    const formBox = h('section', { id: 'proposal-form-box' });
    const modBox = h('section', { id: 'proposal-moderation' });
    const planBox = h('section', { id: 'proposal-planner' });
    panel.append(mapBox, formBox, planBox, modBox);

    const load = async () => {
      const r = await request('/proposals?limit=5000');
      if (!alive || r.status !== 200) return;
      map.getSource(SRC)?.setData(r.body);
      const synth = r.body.synthetic_count ?? 0;
      info.replaceChildren(tf('prop_count', { n: num(r.body.numberMatched) }),
        synth ? h('span', { class: 'badge-synth', id: 'proposals-synthetic', title: t('synthetic_note') }, tf('prop_synthetic_count', { n: num(synth) })) : null);
    };

    const support = async (id, out) => {
      const r = await request(`/proposals/${id}/support`, { method: 'POST' });
      if (r.status === 201) out.replaceChildren(message('ok', `${t('prop_supported')} (${num(r.body.supports)})`));
      else out.replaceChildren(message('error', `${r.body?.code ?? r.status}: ${r.body?.message ?? ''}`));
      load();
    };

    const showPopup = (f, lngLat) => {
      const p = f.properties;
      const out = h('div', { class: 'prop-support-result' });
      ctx.popup(lngLat, [
        h('strong', { class: 'prop-cat' }, catName(cats, p.category)),
        p.synthetic ? h('span', { class: 'badge-synth' }, t('synthetic')) : null,
        h('p', { class: 'prop-text' }, p.text),
        h('p', { class: 'small' }, `${t('prop_status')}: ${t(`prop_status_${p.status}`)}`),
        p.public_answer ? h('p', { class: 'small prop-answer' }, `${t('prop_answer')}: ${p.public_answer}`) : null,
        p.decline_reason ? h('p', { class: 'small' }, `${t('prop_reason')}: ${p.decline_reason}`) : null,
        h('p', { class: 'small' }, `${t('prop_supports')}: ${num(p.supports)}`),
        h('button', { type: 'button', class: 'prop-me-too', onclick: () => support(p.id, out) }, t('prop_me_too')),
        out,
      ]);
    };

    const onClick = (e) => {
      const hits = map.queryRenderedFeatures(e.point, { layers: ['proposals-points', 'proposals-clusters'] });
      const hit = hits[0];
      if (hit && hit.properties.cluster) {
        map.easeTo({ center: hit.geometry.coordinates, zoom: map.getZoom() + 2 });
        return;
      }
      if (hit) {
        showPopup({ properties: { ...hit.properties } }, hit.geometry.coordinates);
        return;
      }
      place = [Number(e.lngLat.lng.toFixed(6)), Number(e.lngLat.lat.toFixed(6))];
      map.getSource(NEW_SRC)?.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: place } }] });
      placeNote.textContent = `${t('prop_place_set')}: ${place[1].toFixed(5)}, ${place[0].toFixed(5)}`;
    };
    map.on('click', onClick);

    // The submit form.
    const placeNote = h('p', { id: 'prop-place', class: 'small', 'aria-live': 'polite' }, t('prop_click_map'));
    const catSel = h('select', { id: 'prop-category', required: true });
    const text = h('textarea', { id: 'prop-text', maxlength: 2000, rows: 4, required: true });
    const photo = h('input', { type: 'file', id: 'prop-photo', accept: 'image/jpeg,image/png' });
    const contact = h('input', { type: 'text', id: 'prop-contact', maxlength: 200, autocomplete: 'email' });
    // The honeypot: hidden from people and from screen readers; robots fill it.
    const honey = h('input', { type: 'text', id: 'prop-website', name: 'website', tabindex: '-1', autocomplete: 'off' });
    const result = h('div', { id: 'prop-result', 'aria-live': 'polite' });
    const form = h('form', { id: 'proposal-form', onsubmit: async (e) => {
      e.preventDefault();
      if (!place) { result.replaceChildren(message('error', t('prop_need_place'))); return; }
      const sub = { geometry: { type: 'Point', coordinates: place }, category: catSel.value, text: text.value };
      if (contact.value.trim()) sub.contact = contact.value;
      if (honey.value) sub.website = honey.value;
      const fd = new FormData();
      fd.append('proposal', JSON.stringify(sub));
      if (photo.files[0]) fd.append('photo', photo.files[0]);
      const r = await request('/proposals', { method: 'POST', body: fd });
      if (r.status === 202) {
        result.replaceChildren(message('ok', t('prop_sent')));
        text.value = '';
        photo.value = '';
      } else if (r.status === 409 && r.body?.code === 'duplicate_proposal') {
        const out = h('div');
        result.replaceChildren(message('error', t('prop_duplicate')),
          h('button', { type: 'button', id: 'prop-support-instead', onclick: () => support(r.body.existing_id, out) }, t('prop_support_instead')), out);
      } else {
        result.replaceChildren(message('error', `${r.body?.code ?? r.status}: ${r.body?.message ?? ''}`));
      }
    } },
    h('h3', {}, t('prop_submit_title')), placeNote,
    h('div', { class: 'form-row' }, h('label', { for: 'prop-category' }, t('prop_category')), catSel),
    h('div', { class: 'form-row' }, h('label', { for: 'prop-text' }, t('prop_text')), text),
    h('div', { class: 'form-row' }, h('label', { for: 'prop-photo' }, t('prop_photo')), photo),
    h('div', { class: 'form-row' }, h('label', { for: 'prop-contact' }, t('prop_contact')), contact, h('p', { class: 'small' }, t('prop_contact_note'))),
    h('div', { class: 'hp', 'aria-hidden': 'true', style: { position: 'absolute', left: '-10000px', width: '1px', height: '1px', overflow: 'hidden' } },
      h('label', { for: 'prop-website' }, t('prop_honeypot')), honey),
    h('button', { type: 'submit', id: 'prop-send' }, t('prop_send')), result);
    formBox.append(form);

    // Planner: counts per zone and demand beside gap.
    const zonesSel = h('select', { id: 'prop-zones' }, ['districts', 'rings'].map((z) => h('option', { value: z }, t(`prop_zones_${z}`))));
    const planOut = h('div', { id: 'prop-plan-out' });
    const renderPlan = async () => {
      const z = zonesSel.value;
      const [s, d] = await Promise.all([request(`/proposals/stats?zones=${z}`), request(`/proposals/demand?zones=${z}`)]);
      if (!alive) return;
      if (s.status !== 200) { planOut.replaceChildren(message('error', `${s.body?.code ?? s.status}`)); return; }
      const zname = (zz) => zz.names?.[lang()] ?? zz.zone;
      const statsTable = h('table', { class: 'data', id: 'prop-stats-table' },
        h('thead', {}, h('tr', {}, [t('zone'), t('prop_count_short'), t('prop_per_10k')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, s.body.zones.map((zz) => h('tr', {}, h('td', {}, zname(zz)), h('td', { class: 'num' }, num(zz.proposals)), h('td', { class: 'num' }, num(zz.per_10k, 2))))));
      const demand = (d.status === 200 ? d.body.pairs : []).filter((p) => p.zones).map((p) => h('div', { class: 'prop-demand' },
        h('h4', {}, `${catName(cats, p.category)} ↔ ${p.indicator_names?.[lang()] ?? p.indicator}`),
        h('p', { class: 'prop-r' }, `${t('prop_correlation')}: ${p.pearson_r === null ? '—' : num(p.pearson_r, 2)}`),
        h('table', { class: 'data' },
          h('thead', {}, h('tr', {}, [t('zone'), t('prop_per_10k'), t('prop_indicator_value')].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', {}, p.zones.map((zz) => h('tr', {}, h('td', {}, zname(zz)), h('td', { class: 'num' }, num(zz.proposals_per_10k, 2)),
            h('td', { class: 'num' }, num(zz.indicator_value, 3))))))));
      planOut.replaceChildren(statsTable, h('h3', {}, t('prop_demand')), ...demand,
        h('p', {}, h('a', { href: `/proposals/stats?zones=${z}&format=csv`, download: 'proposals-stats.csv' }, t('prop_export_csv')), ' · ',
          h('a', { href: '/proposals?limit=5000', download: 'proposals.geojson' }, t('prop_export_geojson'))));
    };
    zonesSel.addEventListener('change', renderPlan);
    planBox.append(h('h3', {}, t('prop_planner')), h('div', { class: 'form-row' }, h('label', { for: 'prop-zones' }, t('zone')), zonesSel), planOut);

    // Moderator: the queue.
    const tokenIn = h('input', { type: 'password', id: 'prop-mod-token', autocomplete: 'off', value: getToken() });
    const queue = h('div', { id: 'prop-queue' });
    const decide = async (id, body, row) => {
      const r = await request(`/proposals/${id}/moderation`, { method: 'POST', token: tokenIn.value.trim(), headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      row.append(r.status === 200 ? message('ok', t('prop_done')) : message('error', `${r.body?.code ?? r.status}: ${r.body?.message ?? ''}`));
      if (r.status === 200) { row.querySelectorAll('button').forEach((b) => { b.disabled = true; }); load(); }
    };
    const loadQueue = async () => {
      const r = await request('/moderation/proposals?limit=200', { token: tokenIn.value.trim() });
      if (r.status !== 200) { queue.replaceChildren(message('error', `${r.body?.code ?? r.status}: ${r.body?.message ?? ''}`)); return; }
      const items = r.body.features;
      queue.replaceChildren(items.length ? h('ul', { class: 'prop-queue' }, items.map((f) => {
        const p = f.properties;
        const reason = h('input', { type: 'text', class: 'prop-reason', 'aria-label': t('prop_reason') });
        const row = h('li', { 'data-id': p.id },
          h('strong', {}, `#${p.id} ${catName(cats, p.category)}`), p.synthetic ? h('span', { class: 'badge-synth' }, t('synthetic')) : null,
          h('p', { class: 'prop-text' }, p.text),
          h('button', { type: 'button', class: 'prop-approve', onclick: () => decide(p.id, { action: 'approve' }, row) }, t('prop_approve')),
          reason,
          h('button', { type: 'button', class: 'prop-reject', onclick: () => decide(p.id, { action: 'reject', reason: reason.value }, row) }, t('prop_reject')));
        return row;
      })) : h('p', {}, t('prop_queue_empty')));
    };
    modBox.append(h('h3', {}, t('prop_moderation')),
      h('div', { class: 'form-row' }, h('label', { for: 'prop-mod-token' }, t('prop_token')), tokenIn),
      h('button', { type: 'button', id: 'prop-load-queue', onclick: loadQueue }, t('prop_load_queue')), queue);

    (async () => {
      const r = await request('/proposals/categories');
      if (!alive) return;
      cats = r.status === 200 ? r.body : [];
      catSel.replaceChildren(...cats.map((c) => h('option', { value: c.code }, c[`name_${lang()}`] ?? c.name_en)));
      await load();
      await renderPlan();
      document.body.dataset.proposalsReady = 'true';
    })().catch((e) => info.replaceChildren(message('error', `${t('error_loading')}: ${e.message}`)));

    return () => {
      alive = false;
      map.off('click', onClick);
      removeLayers(map);
      delete document.body.dataset.proposalsReady;
    };
  },
};
