// Mapper: sign in with a token, choose how a file changes a layer (replace, append, upsert or
// delete by key), preview the change (a dry run: added / changed / removed, nothing written),
// confirm or cancel it, read the validation report (row, field, reason), see the new version
// on the map, roll back. The token stays in this tab's
// sessionStorage and only ever travels in an Authorization header.
import { api } from '../api.js';
import { t, tf, num, layerName, lang, dateTime, plural } from '../i18n.js';
import { code, problemText } from '../codes.js';
import { h, message, errorParts } from '../ui.js';
import { CHANGE_COLORS } from '../style.js';

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

/** Bytes in the reader's units (kB, MB). */
function bytes(n) {
  const v = Number(n) || 0;
  return v >= 1048576 ? `${num(Math.round(v / 104857.6) / 10)} ${t('unit_mb')}` : `${num(Math.max(1, Math.round(v / 1024)))} ${t('unit_kb')}`;
}

/** The preview map's legend (a legend fieldset, so the legend on the map shows it too). */
function changeLegend(fc) {
  if (!fc) return null;
  const n = (k) => fc.features.filter((f) => f.properties.change === k).length;
  const sw = (k) => h('span', { class: 'swatch', style: { background: CHANGE_COLORS[k], height: '4px', marginTop: '6px', width: '24px' } });
  return h('fieldset', { class: 'legend', id: 'change-legend' }, h('legend', {}, t('change_on_map')),
    h('ul', { class: 'sublegend' }, ['added', 'changed', 'removed'].filter((k) => n(k) > 0).map((k) => h('li', { 'data-change': k }, sw(k), `${t(`change_${k}`)} (${num(n(k))})`))),
    fc.truncated ? h('p', { class: 'small' }, t('change_map_truncated')) : null);
}

export default {
  id: 'mapper',
  overlays: ['mapper-fill', 'mapper-line', 'mapper-circle', 'change-fill', 'change-line', 'change-line-removed', 'change-circle'],
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
        box.replaceChildren(h('h3', {}, t('versions')), h('div', { class: 'table-scroll', tabindex: '0', 'aria-label': t('versions') }, h('table', { class: 'data', id: 'versions-table' },
          h('thead', {}, h('tr', {}, [t('version'), t('features'), t('loaded_at'), t('source_file'), t('status'), ''].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', {}, versions.map((v) => h('tr', { 'data-version': v.version, class: v.current ? 'current' : '' },
            h('td', { class: 'num' }, String(v.version)),
            h('td', { class: 'num' }, num(v.feature_count)),
            h('td', {}, dateTime(v.created_at)),
            h('td', { translate: 'no' }, v.source_name ?? ''),
            h('td', {}, v.current ? h('strong', {}, t('serving')) : code('version_status', v.status)),
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
                  box.prepend(message('error', errorParts(err)));
                  e.target.disabled = false;
                }
              },
            }, `${t('rollback')} → ${v.version}`))))))));
      } catch (e) {
        box.replaceChildren(message('error', errorParts(e)));
      }
    };

    const renderWork = async () => {
      work.replaceChildren();
      let layers;
      try {
        layers = await api.layers(getToken());
      } catch (e) {
        if (e.status !== 401 || !getToken()) {
          work.append(message('error', errorParts(e, t('error_loading'))));
          return;
        }
        // The server did not accept the token: say so, forget it, and go on as the public.
        sessionStorage.removeItem(TOKEN_KEY);
        renderSignIn();
        signBox.append(h('p', { class: 'msg msg-error', role: 'alert', id: 'signin-error' }, errorParts(e, t('token_refused'))));
        layers = await api.layers().catch(() => []);
      }
      // Only the layers this token may change (the server says which: `writable`).
      const visible = layers.length;
      layers = getToken() ? layers.filter((l) => l.writable) : [];
      if (!layers.length) {
        work.append(h('p', { class: 'msg msg-info', id: 'mapper-no-layers' }, getToken() ? tf('no_writable_layers', { n: num(visible) }) : t('sign_in_to_edit')));
      }
      const current = layers.some((l) => l.slug === ctx.state.layer) ? ctx.state.layer : layers.find((l) => l.slug === 'bike-lanes')?.slug ?? layers[0]?.slug;
      const title = (l) => (l.title && typeof l.title === 'object' ? l.title[lang()] ?? l.title.en : l.title) || layerName(l.slug);
      const layerSel = h('select', { id: 'mapper-layer' }, layers.map((l) => h('option', { value: l.slug, selected: l.slug === current }, title(l))));
      const fileIn = h('input', { type: 'file', id: 'mapper-file', accept: '.geojson,.json,.gpkg,.zip,.kml,.csv' });
      const modeSel = h('select', { id: 'mapper-mode' }, ['replace', 'append', 'upsert', 'delete'].map((m) => h('option', { value: m }, t(`mode_${m}`))));
      const keySel = h('select', { id: 'mapper-key' });
      const keyRow = h('div', { class: 'form-row', id: 'mapper-key-row', hidden: true }, h('label', { for: 'mapper-key' }, t('key_field')), keySel);
      const skipBox = h('input', { type: 'checkbox', id: 'mapper-skip-invalid' });
      const report = h('div', { id: 'upload-report', 'aria-live': 'polite' });
      const versions = h('div', { id: 'mapper-versions' });
      const previewBtn = h('button', { type: 'submit', id: 'mapper-preview' }, t('preview'));
      let layerInfo = null; // GET /layers/{slug}: fields and feature_count
      let pending = null; // the previewed request, sent again without dry_run on Confirm

      const loadLayerInfo = async (slug) => {
        layerInfo = null;
        try { layerInfo = await api.layer(slug, getToken()); } catch { /* fields unknown: the key list stays empty */ }
        if (!alive || slug !== layerSel.value) return;
        const names = (layerInfo?.fields ?? []).map((f) => f.name);
        keySel.replaceChildren(...names.map((n) => h('option', { value: n, translate: 'no' }, n)));
      };
      const discard = () => { pending = null; showChange(null); };
      // The upload's progress: a bar of the bytes sent, then the features the server has checked.
      const showProgress = (p) => {
        let box = report.querySelector('#upload-progress');
        if (!box) {
          box = h('div', { id: 'upload-progress', role: 'status' }, h('progress', { max: '1', value: '0', 'aria-labelledby': 'upload-progress-text' }), h('div', { class: 'small', id: 'upload-progress-text' }));
          report.append(box);
        }
        const bar = box.querySelector('progress');
        const text = box.querySelector('#upload-progress-text');
        if (p.phase === 'sending') {
          bar.max = Math.max(1, p.total || 1);
          bar.value = p.sent;
          text.textContent = tf('upload_sending', { sent: bytes(p.sent), total: bytes(p.total) });
        } else {
          if (p.total) { bar.max = p.total; bar.value = p.features; } else bar.removeAttribute('value');
          text.textContent = p.total ? tf('upload_validating_of', { n: num(p.features), total: num(p.total) }) : tf('upload_validating', { n: num(p.features ?? 0) });
          box.dataset.features = String(p.features ?? 0);
        }
      };
      // The change set's preview on the map: added, changed (new geometry) and removed features.
      const showChange = (fc) => {
        const src = map.getSource('geo-change');
        if (!src) return;
        src.setData(fc ?? { type: 'FeatureCollection', features: [] });
        const b = fc ? bboxOf(fc) : null;
        if (b) map.fitBounds(b, { padding: 40, maxZoom: 16, duration: 0 });
      };
      const showProblems = (problems) => (problems.length ? h('table', { class: 'data', id: 'problems-table' },
        h('caption', {}, t('report')),
        h('thead', {}, h('tr', {}, [t('row'), t('field'), t('value'), t('problem')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, problems.map((p) => h('tr', {}, h('td', { class: 'num' }, num(p.row)), h('td', { translate: 'no' }, h('code', {}, p.field ?? '')),
          h('td', { translate: 'no' }, p.value === undefined ? '' : String(p.value)), h('td', { title: p.reason ?? '' }, [problemText(p), p.hint && lang() === 'en' ? h('div', { class: 'small' }, p.hint) : null]))))) : null);
      const showError = (err) => {
        const problems = err.body?.problems ?? err.body?.report?.problems ?? [];
        report.replaceChildren(h('div', { class: 'report-bad', role: 'alert' },
          h('strong', {}, t('report_rejected')), h('p', {}, errorParts(err)), showProblems(problems)));
      };
      const sample = (list) => (list ?? []).map((x) => (x.key != null && x.key !== '' ? String(x.key) : `${t('row').toLowerCase()} ${x.source_row ?? x.row ?? x.id ?? '?'}`)).join(', ');

      const showPreview = (res, req) => {
        const c = res.change ?? {};
        const before = Number(layerInfo?.feature_count);
        const known = Number.isFinite(before);
        const after = known ? before + (c.added ?? 0) - (c.removed ?? 0) : null;
        const rows = [['added', c.added, c.added_sample], ['changed', c.changed, c.changed_sample], ['removed', c.removed, c.removed_sample]];
        let warning = null;
        if (req.mode === 'replace' && known) {
          const lost = before - after;
          warning = lost > 0
            ? h('p', { class: 'change-warning', id: 'change-warning', role: 'alert' }, h('strong', {}, '⚠ '), tf('replace_loses', { from: num(before), to: num(after), lost: num(lost) }))
            : h('p', { class: 'small', id: 'change-replace-note' }, tf('replace_all', { from: num(before), to: num(after) }));
        }
        report.replaceChildren(h('div', { class: 'change-preview', id: 'change-preview', role: 'status' },
          h('strong', {}, t('change_preview')),
          h('p', { class: 'small' }, `${t(`mode_${req.mode}`)}${c.key ? ` · ${t('key_field')}: ${c.key}` : ''} · ${res.source_name ?? req.file.name}`),
          warning,
          h('table', { class: 'data change-counts', id: 'change-counts' },
            h('tbody', {},
              rows.map(([k, n, list]) => h('tr', { 'data-change': k },
                h('th', { scope: 'row' }, t(`change_${k}`)),
                h('td', { class: 'num', id: `change-${k}` }, num(n ?? 0)),
                h('td', { class: 'small sample' }, sample(list)))),
              res.skipped ? h('tr', { 'data-change': 'skipped' }, h('th', { scope: 'row' }, t('change_skipped')), h('td', { class: 'num', id: 'change-skipped' }, num(res.skipped)), h('td', {}, '')) : null,
              known ? h('tr', {}, h('th', { scope: 'row' }, t('features_now')), h('td', { class: 'num', id: 'change-before' }, num(before)), h('td', {}, '')) : null,
              known ? h('tr', {}, h('th', { scope: 'row' }, t('features_after')), h('td', { class: 'num', id: 'change-after' }, num(after)), h('td', {}, '')) : null)),
          changeLegend(c.geometries),
          showProblems(res.problems ?? []),
          h('div', { class: 'change-actions' },
            h('button', { type: 'button', id: 'change-confirm', class: 'primary', onclick: confirm }, t('confirm')),
            h('button', { type: 'button', id: 'change-cancel', onclick: () => {
              discard();
              report.replaceChildren(message('info', t('change_cancelled')));
              previewBtn.focus();
            } }, t('cancel')))));
        showChange(c.geometries ?? null);
        report.querySelector('#change-confirm').focus();
      };

      async function confirm(e) {
        const req = pending;
        if (!req) return;
        e.target.disabled = true;
        report.querySelector('#change-cancel').disabled = true;
        try {
          const res = await api.upload(req.slug, req.file, getToken(), { mode: req.mode, key: req.key, skipInvalid: req.skipInvalid, onProgress: showProgress });
          const c = res.change;
          const same = res.status === 'unchanged' || res.outcome === 'unchanged';
          report.replaceChildren(h('div', { class: 'report-ok', role: 'status' },
            h('strong', {}, same ? t('change_unchanged') : `${t('report_ok')} ${res.version ?? ''}`),
            ` · ${plural('features_n', res.feature_count ?? res.features_loaded ?? res.rows_read ?? 0)} · ${code('outcome', res.outcome ?? res.status)}`,
            c ? h('div', { class: 'small' }, `${t('change_added')} ${num(c.added ?? 0)} · ${t('change_changed')} ${num(c.changed ?? 0)} · ${t('change_removed')} ${num(c.removed ?? 0)}`) : null,
            res.warnings ? h('div', { class: 'small' }, `${t('warnings')}: ${res.warnings}`) : null));
          ctx.layerChanged(req.slug);
          await showLayer(req.slug, true);
        } catch (err) {
          showError(err);
        } finally {
          discard();
          renderVersions(req.slug, versions);
          loadLayerInfo(req.slug);
        }
      }

      const form = h('form', { id: 'upload-form', onsubmit: async (e) => {
        e.preventDefault();
        discard();
        if (!getToken()) { report.replaceChildren(message('error', t('not_signed_in'))); return; }
        const file = fileIn.files[0];
        if (!file) { report.replaceChildren(message('error', t('choose_file'))); return; }
        const mode = modeSel.value;
        const needsKey = mode === 'upsert' || mode === 'delete';
        if (needsKey && !keySel.value) { report.replaceChildren(message('error', t('choose_key'))); return; }
        const req = { slug: layerSel.value, file, mode, key: needsKey ? keySel.value : null, skipInvalid: skipBox.checked };
        previewBtn.disabled = true;
        report.replaceChildren(message('info', t('previewing')));
        try {
          if (!layerInfo) await loadLayerInfo(req.slug);
          const res = await api.upload(req.slug, file, getToken(), { ...req, dryRun: true, onProgress: showProgress });
          pending = req;
          showPreview(res, req);
        } catch (err) {
          showError(err);
        } finally {
          previewBtn.disabled = false;
        }
      } },
      h('div', { class: 'form-row' }, h('label', { for: 'mapper-layer' }, t('layer')), layerSel),
      h('div', { class: 'form-row' }, h('label', { for: 'mapper-mode' }, t('change_mode')), modeSel),
      keyRow,
      h('div', { class: 'form-row' }, h('label', { for: 'mapper-file' }, t('file')), fileIn),
      h('div', { class: 'form-row form-check' }, skipBox, h('label', { for: 'mapper-skip-invalid' }, t('skip_invalid'))),
      previewBtn);
      // Any change to what would be sent invalidates the preview: it must be previewed again.
      const invalidate = () => { if (pending) { discard(); report.replaceChildren(); } };
      modeSel.addEventListener('change', () => { keyRow.hidden = !(modeSel.value === 'upsert' || modeSel.value === 'delete'); invalidate(); });
      for (const el of [keySel, fileIn, skipBox]) el.addEventListener('change', invalidate);
      layerSel.addEventListener('change', () => {
        ctx.update({ layer: layerSel.value });
        discard();
        report.replaceChildren();
        loadLayerInfo(layerSel.value);
        renderVersions(layerSel.value, versions);
        showLayer(layerSel.value, true);
      });
      work.append(form, report, versions);
      if (!current) return;
      ctx.update({ layer: current });
      loadLayerInfo(current);
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
      map.getSource('geo-change')?.setData({ type: 'FeatureCollection', features: [] });
    };
  },
};
