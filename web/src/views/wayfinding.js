// Wayfinding: navigation signs, routes, and a 375 m coverage circle around every map sign
// (the walking radius the wayfinding indicator counts residents within).
import { api } from '../api.js';
import { t, tf, layerName, plural, date, length } from '../i18n.js';
import { code, codes } from '../codes.js';
import { h, toggleRow, message, errorParts } from '../ui.js';
import { COLORS } from '../style.js';
import { circle } from '../geo.js';

export const COVERAGE_M = 375;

export default {
  id: 'wayfinding',
  overlays: ['nav-signs', 'wayfinding-routes', 'route-gaps', 'coverage', 'historic-centre'],
  mount(ctx, panel) {
    const { map } = ctx;
    const dot = (c) => ({ background: c, borderRadius: '50%', width: '12px', height: '12px' });
    const stats = h('p', { class: 'small', 'aria-live': 'polite' }, t('loading'));
    panel.append(
      h('h2', {}, t('way_title')),
      h('p', {}, t('way_intro')),
      h('fieldset', { class: 'legend' }, h('legend', {}, t('legend')),
        toggleRow({ id: 'toggle-nav-signs', label: layerName('nav-signs'), swatch: dot(COLORS.sign), checked: ctx.isVisible('nav-signs'), synthetic: true, onChange: (on) => ctx.setVisible('nav-signs', on) }),
        toggleRow({ id: 'toggle-wayfinding-routes', label: layerName('wayfinding-routes'), swatch: { background: COLORS.route, height: '5px', marginTop: '7px' }, checked: ctx.isVisible('wayfinding-routes'), synthetic: true, onChange: (on) => ctx.setVisible('wayfinding-routes', on) }),
        toggleRow({ id: 'toggle-route-gaps', label: t('gaps_title'), swatch: { background: COLORS.gap, height: '7px', marginTop: '6px' }, checked: ctx.isVisible('route-gaps'), synthetic: true, onChange: (on) => ctx.setVisible('route-gaps', on) }),
        toggleRow({ id: 'toggle-coverage', label: t('way_coverage'), swatch: { background: COLORS.coverage, opacity: 0.6, borderRadius: '50%', width: '14px', height: '14px' }, checked: ctx.isVisible('coverage'), synthetic: true, onChange: (on) => ctx.setVisible('coverage', on) }),
        toggleRow({ id: 'toggle-historic-centre', label: layerName('historic-centre'), swatch: { borderTop: '3px dotted #7c2d12', height: '0', marginTop: '8px' }, checked: ctx.isVisible('historic-centre'), synthetic: true, onChange: (on) => ctx.setVisible('historic-centre', on) })),
      stats,
    );
    api.items('nav-signs', { sign_type: 'map' }).then((fc) => {
      const circles = fc.features.filter((f) => f.geometry?.type === 'Point').map((f) => ({ type: 'Feature', properties: { id: f.id }, geometry: circle(f.geometry.coordinates, COVERAGE_M) }));
      map.getSource('geo-coverage').setData({ type: 'FeatureCollection', features: circles });
      stats.textContent = `${t('way_coverage')}: ${plural('signs_n', circles.length)}`;
    }).catch((e) => stats.replaceChildren(message('error', errorParts(e, t('error_loading')))));
    // The route gaps as geometry from the API (the route-gap indicator's routes[].gap_wgs84).
    api.indicator('wayfinding_route_gap', 'districts').then((r) => {
      const features = (r.routes || []).filter((g) => g.gap_wgs84).map((g) => ({
        type: 'Feature', geometry: g.gap_wgs84,
        properties: { name: g.name, longest_gap_m: g.longest_gap_m, length_m: g.length_m, signs: g.signs },
      }));
      map.getSource('geo-gaps').setData({ type: 'FeatureCollection', features });
    }).catch((e) => stats.after(message('error', errorParts(e, t('error_loading')))));
    const onClick = (e) => {
      const f = map.queryRenderedFeatures(e.point, { layers: ['route-gaps', 'nav-signs', 'wayfinding-routes'].filter((l) => ctx.isVisible(l)) })[0];
      if (!f) return;
      const p = f.properties;
      if (f.layer.id === 'route-gaps') {
        ctx.popup(e.lngLat, [h('strong', {}, p.name ?? layerName('wayfinding-routes')), h('div', {}, tf('gaps_popup', { m: length(Number(p.longest_gap_m)) })),
          h('div', {}, plural('signs_n', Number(p.signs))), h('div', { class: 'badge-synth' }, t('synthetic'))]);
        return;
      }
      ctx.popup(e.lngLat, f.layer.id === 'nav-signs'
        ? [h('strong', {}, layerName('nav-signs')), h('div', {}, `${t('sign_type')}: ${code('sign', p.sign_type)}`), h('div', {}, `${t('sign_languages')}: ${codes('langname', p.languages)}`), p.installed_on ? h('div', {}, `${t('installed_on')}: ${date(p.installed_on)}`) : null, h('div', { class: 'badge-synth' }, t('synthetic'))]
        : [h('strong', {}, p.name ?? layerName('wayfinding-routes')), p.theme ? h('div', {}, `${t('theme')}: ${code('theme', p.theme)}`) : null, h('div', { class: 'badge-synth' }, t('synthetic'))]);
    };
    map.on('click', onClick);
    return () => map.off('click', onClick);
  },
};
