// The search box on the map: streets, places, services and districts from qala's own layers
// (GET /search, tolerant of kk/ru/en and Cyrillic/Latin spellings), a result list the keyboard
// can walk, and fly-to on a choice.
import { api } from './api.js';
import { t, lang } from './i18n.js';
import { code, errorText } from './codes.js';
import { h } from './ui.js';

const KIND = { street: 'search_kind_street', service: 'search_kind_service', district: 'search_kind_district', green: 'search_kind_green' };

/** The name of a result in the current language where the data has it. */
function resultName(r) {
  return (r.names && r.names[lang()]) || r.name || (r.names && r.names.en);
}

export class SearchControl {
  onAdd(map) {
    this.map = map;
    this.input = h('input', { type: 'search', id: 'search-input', autocomplete: 'off', maxlength: '200', placeholder: t('search_placeholder'), 'aria-label': t('search') });
    this.list = h('div', { id: 'search-results', 'aria-live': 'polite' });
    this.button = h('button', { type: 'submit', id: 'search-go', 'aria-label': t('search'), title: t('search') }, h('span', { 'aria-hidden': 'true' }, '⌕'));
    this.form = h('form', { role: 'search', class: 'search-form', onsubmit: (e) => { e.preventDefault(); clearTimeout(this.timer); this.run(true); } }, this.input, this.button);
    this.el = h('div', { class: 'maplibregl-ctrl search-ctrl' }, this.form, this.list);
    this.input.addEventListener('input', () => { clearTimeout(this.timer); this.timer = setTimeout(() => this.run(false), 250); });
    this.input.addEventListener('keydown', (e) => { if (e.key === 'ArrowDown') { e.preventDefault(); this.list.querySelector('button')?.focus(); } if (e.key === 'Escape') this.clear(); });
    this.list.addEventListener('keydown', (e) => {
      const items = [...this.list.querySelectorAll('button')];
      const i = items.indexOf(document.activeElement);
      if (e.key === 'ArrowDown' && i >= 0) { e.preventDefault(); items[Math.min(i + 1, items.length - 1)].focus(); }
      if (e.key === 'ArrowUp' && i >= 0) { e.preventDefault(); (i === 0 ? this.input : items[i - 1]).focus(); }
      if (e.key === 'Escape') { this.clear(); this.input.focus(); }
    });
    return this.el;
  }

  onRemove() { this.el.remove(); }

  relabel() {
    this.input.placeholder = t('search_placeholder');
    this.input.setAttribute('aria-label', t('search'));
    this.button.setAttribute('aria-label', t('search'));
    this.button.title = t('search');
    this.clear();
  }

  clear() { this.list.replaceChildren(); this.shown = null; }

  async run(submitted) {
    const q = this.input.value.trim();
    if (!q) { this.clear(); return; }
    if (!submitted && q.length < 2) return;
    const asked = q;
    try {
      const res = await api.search(q, 8);
      if (this.input.value.trim() !== asked) return; // a later query is on its way
      // the same results already listed: keep them (and the keyboard focus in them)
      if (this.shown === asked && this.list.querySelector('button')) return;
      this.shown = asked;
      if (!res.results.length) { this.list.replaceChildren(h('p', { class: 'search-none' }, t('search_none'))); return; }
      this.list.replaceChildren(h('ul', { 'aria-label': t('search_results') }, res.results.map((r) => h('li', {},
        h('button', { type: 'button', class: 'search-result', 'data-kind': r.kind, onclick: () => this.go(r) },
          h('span', { class: 'search-name' }, resultName(r)),
          h('span', { class: 'search-kind' }, [t(KIND[r.kind] ?? 'search_kind_service'), r.category ? code(r.kind === 'green' ? 'green_category' : 'category', r.category) : null].filter(Boolean).join(' · ')))))));
    } catch (e) {
      this.list.replaceChildren(h('p', { class: 'search-none', role: 'alert' }, errorText(e)));
    }
  }

  go(r) {
    const [w, s, e, n] = r.bbox;
    if (e - w < 1e-4 && n - s < 1e-4) this.map.flyTo({ center: [r.lon, r.lat], zoom: 16 });
    else this.map.fitBounds([[w, s], [e, n]], { padding: 40, maxZoom: 16 });
    this.clear();
    this.input.value = resultName(r);
  }
}
