// Small DOM helpers: element creation, a layer toggle with its legend swatch, an SVG bar chart,
// and a sortable table. No framework: the app is small and must stay readable.
import { t, num } from './i18n.js';
import { errorText } from './codes.js';

/** h('div', {class: 'x', onclick: f}, 'text', child) → element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** A legend row that is also a toggle: a real checkbox (keyboard and screen-reader friendly). */
export function toggleRow({ id, label, swatch, checked = true, synthetic = false, onChange }) {
  const input = h('input', { type: 'checkbox', id, checked, 'data-toggle': id, onchange: (e) => onChange(e.target.checked) });
  return h('label', { class: 'toggle', for: id },
    input,
    h('span', { class: 'swatch', style: swatch, 'aria-hidden': 'true' }),
    h('span', {}, label),
    synthetic ? h('span', { class: 'badge-synth', title: t('synthetic_note') }, t('synthetic')) : null);
}

/**
 * Horizontal bar chart as SVG. items: [{label, value, color?}]; norm draws a dashed reference line.
 * Values are written next to the bars, so the chart reads without colour.
 */
export function barChart({ items, norm = null, digits = 1, title = '' }) {
  const rowH = 22;
  const labelW = 150;
  const width = 340;
  const barW = width - labelW - 60;
  const finite = items.map((i) => i.value).filter(Number.isFinite);
  const max = Math.max(...finite, Number.isFinite(norm) ? norm : 0, 1e-9);
  const height = items.length * rowH + 24;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': title, class: 'chart' });
  if (title) svg.append(s('title', {}, title));
  items.forEach((it, i) => {
    const y = i * rowH + 4;
    const label = it.label.length > 22 ? `${it.label.slice(0, 21)}…` : it.label;
    svg.append(s('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end', class: 'chart-label' }, label));
    const w = Number.isFinite(it.value) ? Math.max(1, (it.value / max) * barW) : 0;
    svg.append(s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, fill: it.color || '#0b5d4b', rx: 2 }));
    svg.append(s('text', { x: labelW + w + 4, y: y + 14, class: 'chart-value' }, Number.isFinite(it.value) ? num(it.value, digits) : '—'));
  });
  if (Number.isFinite(norm)) {
    const x = labelW + (norm / max) * barW;
    svg.append(s('line', { x1: x, x2: x, y1: 0, y2: height - 18, stroke: '#111', 'stroke-dasharray': '4 3', 'stroke-width': 1.5 }));
    // The unit is in the heading; the line's label stays short so it fits the chart.
    const anchor = x > width - 70 ? 'end' : x < labelW + 40 ? 'start' : 'middle';
    svg.append(s('text', { x: Math.min(x, width - 2), y: height - 4, 'text-anchor': anchor, class: 'chart-norm' }, `${t('norm')} ${num(norm, digits)}`));
  }
  return svg;
}

/** A table whose column headers sort it (buttons, so the keyboard can sort too). */
export function sortableTable(columns, rows, { caption } = {}) {
  let sortKey = null;
  let asc = true;
  const tbody = h('tbody');
  const table = h('table', { class: 'data' }, caption ? h('caption', {}, caption) : null);
  const render = () => {
    const sorted = [...rows];
    if (sortKey) {
      const col = columns.find((c) => c.key === sortKey);
      sorted.sort((a, b) => {
        const va = col.sortValue ? col.sortValue(a) : a[sortKey];
        const vb = col.sortValue ? col.sortValue(b) : b[sortKey];
        const r = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va ?? '').localeCompare(String(vb ?? ''));
        return asc ? r : -r;
      });
    }
    tbody.replaceChildren(...sorted.map((r) => h('tr', {}, columns.map((c) => h(c.numeric ? 'td' : 'td', { class: c.numeric ? 'num' : '' }, c.format ? c.format(r) : r[c.key] ?? '')))));
    for (const th of table.querySelectorAll('th')) {
      th.setAttribute('aria-sort', th.dataset.key === sortKey ? (asc ? 'ascending' : 'descending') : 'none');
    }
  };
  const thead = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { 'data-key': c.key, scope: 'col' },
    h('button', { type: 'button', class: 'sort', onclick: () => { asc = sortKey === c.key ? !asc : true; sortKey = c.key; render(); } }, c.label)))));
  table.append(thead, tbody);
  render();
  return table;
}

/** An API error for people: the words in the current language, then the stable code (left as is, `translate="no"`). */
export function errorParts(err, lead) {
  return [lead ? `${lead}: ` : '', errorText(err), err?.code ? [' (', h('code', { translate: 'no', class: 'err-code' }, err.code), ')'] : ''];
}

export function message(kind, ...text) {
  return h('p', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}
