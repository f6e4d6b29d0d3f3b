// Mapper: sign in with a token, upload a file to a layer, read the validation report (row,
// field, reason), see the new version on the map, roll back. The token stays in this tab's
// sessionStorage and only ever travels in an Authorization header.
import { api } from '../api.js';
import { t, num, layerName, lang } from '../i18n.js';
import { h, message } from '../ui.js';

const TOKEN_KEY = 'qala.token';
export const getToken = () => sessionStorage.getItem(TOKEN_KEY) || '';

function bboxOf(fc) {
  let b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    else c.forEach(walk);
  };
  for (const f of fc.features) if (f.geometry) walk(f.geometry.coordinates);
  return Number.isFinite(b[0]) ? b : null;
}

export default {
  id: 'mapper',
  overlays: ['mapper-fill', 'mapper-line', 'mapper-circle'],
  mount(ctx, panel) {
    const { map } = ctx;
    let alive = true;
    const signBox = h('section', { id: 'mapper-signin' });
    const work = h('section', { id: 'mapper-work' });
    panel.append(h('h2', {}, t('mapper_title')), h('p', {}, t('mapper_intro')), signBox, work);

    const showLayer = async (slug, fit) => {
      try {
        const fc = await api.items(slug);
        if (!alive) return;
        map.getSource('geo-mapper').setData(fc);
        const b = bboxOf(fc);
        if (fit && b) map.fitBounds(b, { padding: 40, maxZoom: 15, duration: 0 });
      } catch {
        map.getSource('geo-mapper').setData({ type: 'FeatureCollection', features: [] });
      }
    };

    const renderVersions = async (slug, box) => {
      try {
        const versions = await api.versions(slug, getToken());
        if (!Array.isArray(versions)) throw new Error('unexpected answer from the server');
        box.replaceChildren(h('h3', {}, t('versions')), h('table', { class: 'data', id: 'versions-table' },
          h('thead', {}, h('tr', {}, [t('version'), t('features'), t('loaded_at'), t('source_file'), t('status'), ''].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', {}, versions.map((v) => h('tr', { 'data-version': v.version, class: v.current ? 'current' : '' },
            h('td', { class: 'num' }, String(v.version)),
            h('td', { class: 'num' }, num(v.feature_count)),
            h('td', {}, (v.created_at || '').replace('T', ' ').slice(0, 16)),
            h('td', {}, v.source_name ?? ''),
            h('td', {}, v.current ? h('strong', {}, t('serving')) : v.status ?? ''),
            h('td', {}, v.current || v.status !== 'ready' ? '' : h('button', {
              type: 'button', class: 'rollback', 'data-version': v.version,
              onclick: async (e) => {
                e.target.disabled = true;
                try {
                  const now = await api.rollback(slug, v.version, getToken());
                  ctx.layerChanged(slug);
                  await renderVersions(slug, box);
                  box.prepend(message('ok', `${t('rolled_back')} ${now.version ?? v.version}`));
                  await showLayer(slug, false);
                } catch (err) {
                  box.prepend(message('error', `${err.code}: ${err.message}`));
                  e.target.disabled = false;
                }
              },
            }, `${t('rollback')} → ${v.version}`)))))));
      } catch (e) {
        box.replaceChildren(message('error', `${e.code ?? ''} ${e.message}`));
      }
    };

    const renderWork = async () => {
      work.replaceChildren();
      let layers;
      try {
        layers = await api.layers(getToken());
      } catch (e) {
        if (e.status !== 401 || !getToken()) {
          work.append(message('error', `${t('error_loading')}: ${e.message}`));
          return;
        }
        // The server did not accept the token: say so, forget it, and go on as the public.
        sessionStorage.removeItem(TOKEN_KEY);
        renderSignIn();
        signBox.append(h('p', { class: 'msg msg-error', role: 'alert', id: 'signin-error' }, `${t('token_refused')} (${e.code}: ${e.message})`));
        layers = await api.layers().catch(() => []);
      }
      const current = layers.some((l) => l.slug === ctx.state.layer) ? ctx.state.layer : layers.find((l) => l.slug === 'bike-lanes')?.slug ?? layers[0]?.slug;
      const title = (l) => (l.title && typeof l.title === 'object' ? l.title[lang()] ?? l.title.en : l.title) || layerName(l.slug);
      const layerSel = h('select', { id: 'mapper-layer' }, layers.map((l) => h('option', { value: l.slug, selected: l.slug === current }, `${title(l)} (${l.slug})`)));
      const fileIn = h('input', { type: 'file', id: 'mapper-file', accept: '.geojson,.json,.gpkg,.zip,.kml,.csv' });
      const report = h('div', { id: 'upload-report', 'aria-live': 'polite' });
      const versions = h('div', { id: 'mapper-versions' });
      const uploadBtn = h('button', { type: 'submit', id: 'mapper-upload' }, t('upload'));
      const form = h('form', { id: 'upload-form', onsubmit: async (e) => {
        e.preventDefault();
        if (!getToken()) { report.replaceChildren(message('error', t('not_signed_in'))); return; }
        const file = fileIn.files[0];
        if (!file) { report.replaceChildren(message('error', t('choose_file'))); return; }
        uploadBtn.disabled = true;
        report.replaceChildren(message('info', t('uploading')));
        try {
          const res = await api.upload(layerSel.value, file, getToken());
          report.replaceChildren(h('div', { class: 'report-ok', role: 'status' },
            h('strong', {}, `${t('report_ok')} ${res.version ?? ''}`),
            ` · ${num(res.feature_count ?? res.features_loaded ?? res.rows_read)} ${t('features').toLowerCase()} · ${res.outcome ?? res.status ?? ''}`,
            res.warnings ? h('div', { class: 'small' }, `${t('warnings')}: ${res.warnings}`) : null));
          ctx.layerChanged(layerSel.value);
          await showLayer(layerSel.value, true);
        } catch (err) {
          const problems = err.body?.problems ?? err.body?.report?.problems ?? [];
          report.replaceChildren(h('div', { class: 'report-bad', role: 'alert' },
            h('strong', {}, t('report_rejected')), h('p', {}, `${err.code}: ${err.message}`),
            problems.length ? h('table', { class: 'data', id: 'problems-table' },
              h('caption', {}, t('report')),
              h('thead', {}, h('tr', {}, [t('row'), t('field'), t('value'), t('problem')].map((x) => h('th', { scope: 'col' }, x)))),
              h('tbody', {}, problems.map((p) => h('tr', {}, h('td', { class: 'num' }, String(p.row ?? '')), h('td', {}, p.field ?? ''),
                h('td', {}, p.value === undefined ? '' : String(p.value)), h('td', {}, [p.reason ?? '', p.hint ? h('div', { class: 'small' }, p.hint) : null]))))) : null));
        } finally {
          uploadBtn.disabled = false;
          renderVersions(layerSel.value, versions);
        }
      } },
      h('div', { class: 'form-row' }, h('label', { for: 'mapper-layer' }, t('layer')), layerSel),
      h('div', { class: 'form-row' }, h('label', { for: 'mapper-file' }, t('file')), fileIn),
      uploadBtn);
      layerSel.addEventListener('change', () => {
        ctx.update({ layer: layerSel.value });
        report.replaceChildren();
        renderVersions(layerSel.value, versions);
        showLayer(layerSel.value, true);
      });
      work.append(form, report, versions);
      ctx.update({ layer: current });
      renderVersions(current, versions);
      showLayer(current, false);
    };

    const renderSignIn = () => {
      if (getToken()) {
        signBox.replaceChildren(h('p', { class: 'msg msg-ok', id: 'signed-in' }, t('signed_in')),
          h('button', { type: 'button', id: 'sign-out', onclick: () => { sessionStorage.removeItem(TOKEN_KEY); renderSignIn(); renderWork(); } }, t('sign_out')));
      } else {
        const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'off', spellcheck: false });
        signBox.replaceChildren(h('form', { id: 'signin-form', onsubmit: (e) => {
          e.preventDefault();
          if (!input.value.trim()) return;
          sessionStorage.setItem(TOKEN_KEY, input.value.trim());
          renderSignIn();
          renderWork();
        } }, h('div', { class: 'form-row' }, h('label', { for: 'token-input' }, t('token')), input), h('button', { type: 'submit', id: 'sign-in' }, t('sign_in'))));
      }
    };
    renderSignIn();
    renderWork();
    return () => {
      alive = false;
      map.getSource('geo-mapper')?.setData({ type: 'FeatureCollection', features: [] });
    };
  },
};
