// Small geometry helpers for what the browser computes itself (legend statistics, coverage
// circles). Distances use a local equirectangular projection around Almaty's latitude: over a
// few hundred metres its error is far below a metre. Lengths use the haversine formula.
const R = 6371008.8;
const rad = Math.PI / 180;

export function haversineM([lon1, lat1], [lon2, lat2]) {
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Lines of a LineString or MultiLineString geometry as arrays of [lon, lat]. */
export function linesOf(geom) {
  if (!geom) return [];
  if (geom.type === 'LineString') return [geom.coordinates];
  if (geom.type === 'MultiLineString') return geom.coordinates;
  return [];
}

/** Polygons (arrays of rings) of a Polygon or MultiPolygon geometry. */
export function polygonsOf(geom) {
  if (!geom) return [];
  if (geom.type === 'Polygon') return [geom.coordinates];
  if (geom.type === 'MultiPolygon') return geom.coordinates;
  return [];
}

function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function pointInGeometry(pt, geom) {
  return polygonsOf(geom).some((rings) => inRing(pt, rings[0]) && !rings.slice(1).some((hole) => inRing(pt, hole)));
}

/** A circle of `radiusM` around [lon, lat] as a GeoJSON Polygon with `steps` vertices. */
export function circle([lon, lat], radiusM, steps = 48) {
  const ring = [];
  for (let i = 0; i <= steps; i += 1) {
    const a = (i / steps) * 2 * Math.PI;
    const dLat = (radiusM * Math.cos(a)) / R / rad;
    const dLon = (radiusM * Math.sin(a)) / (R * Math.cos(lat * rad)) / rad;
    ring.push([lon + dLon, lat + dLat]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

/** Centroid of a polygon's outer ring (area-weighted), or the point itself. */
export function centroid(geom) {
  if (geom.type === 'Point') return geom.coordinates;
  const polys = polygonsOf(geom);
  let ax = 0;
  let ay = 0;
  let aa = 0;
  for (const rings of polys) {
    const r = rings[0];
    for (let i = 0, j = r.length - 1; i < r.length; j = i, i += 1) {
      const c = r[j][0] * r[i][1] - r[i][0] * r[j][1];
      ax += (r[j][0] + r[i][0]) * c;
      ay += (r[j][1] + r[i][1]) * c;
      aa += c;
    }
  }
  if (aa === 0) return polys[0]?.[0]?.[0] ?? [0, 0];
  return [ax / (3 * aa), ay / (3 * aa)];
}

/**
 * A point inside a (multi)polygon to put its one label on: on the largest part, the middle of
 * the widest inside stretch of a horizontal line through the middle of that part. Unlike the
 * centroid, it is inside rings (annuli) and crescents; unlike a label per part, it is one.
 */
export function labelPoint(geom) {
  const area = (ring) => Math.abs(ring.reduce((a, p, i, r) => a + (i ? (r[i - 1][0] * p[1] - p[0] * r[i - 1][1]) : 0), 0));
  const parts = polygonsOf(geom);
  if (!parts.length) return null;
  const poly = parts.reduce((best, p) => (area(p[0]) > area(best[0]) ? p : best));
  const ys = poly[0].map((p) => p[1]);
  const y = (Math.min(...ys) + Math.max(...ys)) / 2;
  const xs = [];
  for (const ring of poly) {
    for (let i = 1; i < ring.length; i += 1) {
      const [x1, y1] = ring[i - 1];
      const [x2, y2] = ring[i];
      if ((y1 <= y && y2 > y) || (y2 <= y && y1 > y)) xs.push(x1 + ((y - y1) / (y2 - y1)) * (x2 - x1));
    }
  }
  xs.sort((a, b) => a - b);
  let best = null;
  for (let i = 0; i + 1 < xs.length; i += 2) if (!best || xs[i + 1] - xs[i] > best[1] - best[0]) best = [xs[i], xs[i + 1]];
  return best ? [(best[0] + best[1]) / 2, y] : centroid({ type: 'Polygon', coordinates: poly });
}

/**
 * One point standing for a geometry (the heat map of proposals): a Point itself, the point half
 * way along a LineString (by length), a point inside a Polygon (`labelPoint`).
 */
export function representativePoint(geom) {
  if (!geom) return null;
  if (geom.type === 'Point') return geom.coordinates;
  if (geom.type === 'LineString') {
    const c = geom.coordinates;
    if (c.length < 2) return c[0] ?? null;
    const seg = c.slice(1).map((p, i) => haversineM(c[i], p));
    let left = seg.reduce((a, b) => a + b, 0) / 2;
    for (let i = 0; i < seg.length; i += 1) {
      if (left <= seg[i] && seg[i] > 0) {
        const f = left / seg[i];
        return [c[i][0] + f * (c[i + 1][0] - c[i][0]), c[i][1] + f * (c[i + 1][1] - c[i][1])];
      }
      left -= seg[i];
    }
    return c[c.length - 1];
  }
  if (geom.type === 'Polygon' || geom.type === 'MultiPolygon') return labelPoint(geom);
  return null;
}

/**
 * Map features of felled-zone → planted-zone flows (`[{from_zone, to_zone, trees}]`) between
 * zone anchor points (`Map zone → [lon, lat]`): a curve bent to its right (so A→B and B→A
 * stay apart) whose width `w` grows with the trees, an arrowhead polygon at the planted end,
 * and for trees planted in the zone they were felled in a circle of radius `r`.
 * Flows with a zone outside every zone are left out.
 */
export function flowFeatures(flows, anchors, { maxWidth = 12, minWidth = 1.5 } = {}) {
  const max = Math.max(1, ...flows.map((f) => f.trees));
  const width = (trees) => minWidth + (maxWidth - minWidth) * Math.sqrt(trees / max);
  const out = [];
  for (const f of flows) {
    const a = anchors.get(f.from_zone);
    const b = anchors.get(f.to_zone);
    if (!a || !b || !(f.trees > 0)) continue;
    const properties = { from_zone: f.from_zone, to_zone: f.to_zone, trees: f.trees, w: width(f.trees), r: 4 + width(f.trees) };
    if (f.from_zone === f.to_zone) {
      out.push({ type: 'Feature', properties, geometry: { type: 'Point', coordinates: a } });
      continue;
    }
    // Work in a local plane (lon scaled by cos lat) so the bend and the arrow keep their shape.
    const k = Math.cos((a[1] * Math.PI) / 180);
    const [ax, ay, bx, by] = [a[0] * k, a[1], b[0] * k, b[1]];
    const [dx, dy] = [bx - ax, by - ay];
    const len = Math.hypot(dx, dy);
    const [nx, ny] = [dy / len, -dx / len]; // to the right of a → b
    const [cx, cy] = [(ax + bx) / 2 + nx * len * 0.18, (ay + by) / 2 + ny * len * 0.18];
    const pts = [];
    const end = 0.9; // the arrowhead covers the last tenth
    for (let i = 0; i <= 24; i += 1) {
      const s = (i / 24) * end;
      pts.push([(1 - s) ** 2 * ax + 2 * (1 - s) * s * cx + s * s * bx, (1 - s) ** 2 * ay + 2 * (1 - s) * s * cy + s * s * by]);
    }
    const tip = [bx - (dx / len) * len * 0.04, by - (dy / len) * len * 0.04];
    const base = pts[pts.length - 1];
    const [tx, ty] = [tip[0] - base[0], tip[1] - base[1]];
    const half = Math.max(len * 0.025, Math.hypot(tx, ty) * 0.6);
    const tl = Math.hypot(tx, ty) || 1;
    const [px, py] = [(-ty / tl) * half, (tx / tl) * half];
    const back = (p) => [p[0] / k, p[1]];
    out.push({ type: 'Feature', properties, geometry: { type: 'LineString', coordinates: pts.map(back) } });
    out.push({
      type: 'Feature', properties,
      geometry: { type: 'Polygon', coordinates: [[[base[0] + px, base[1] + py], tip, [base[0] - px, base[1] - py], [base[0] + px, base[1] + py]].map(back)] },
    });
  }
  return { type: 'FeatureCollection', features: out };
}
