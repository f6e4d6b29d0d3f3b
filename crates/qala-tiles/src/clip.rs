//! Clipping to an axis-aligned rectangle: polygons by Sutherland–Hodgman (one pass per
//! edge; rings stay closed, edges may run along the border, which renderers accept),
//! lines by Liang–Barsky per segment, joined back into parts.

use crate::geom::Pt;

/// `[min_x, min_y, max_x, max_y]`.
pub type Rect = [f64; 4];

/// Clips a closed ring (first point == last point, or not: both are accepted) to `r`.
/// Returns the clipped ring, closed, or an empty vector when nothing is left.
pub fn clip_ring(ring: &[Pt], r: Rect) -> Vec<Pt> {
    let mut pts: Vec<Pt> = ring.to_vec();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    // Fast path: ring inside the rectangle.
    if pts
        .iter()
        .all(|p| p[0] >= r[0] && p[0] <= r[2] && p[1] >= r[1] && p[1] <= r[3])
    {
        if let Some(&f) = pts.first() {
            pts.push(f);
        }
        return pts;
    }
    for edge in 0..4 {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &Pt| match edge {
            0 => p[0] >= r[0],
            1 => p[0] <= r[2],
            2 => p[1] >= r[1],
            _ => p[1] <= r[3],
        };
        let cross = |a: &Pt, b: &Pt| -> Pt {
            match edge {
                0 | 1 => {
                    let x = if edge == 0 { r[0] } else { r[2] };
                    let t = (x - a[0]) / (b[0] - a[0]);
                    [x, a[1] + t * (b[1] - a[1])]
                }
                _ => {
                    let y = if edge == 2 { r[1] } else { r[3] };
                    let t = (y - a[1]) / (b[1] - a[1]);
                    [a[0] + t * (b[0] - a[0]), y]
                }
            }
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        let mut prev = pts[pts.len() - 1];
        let mut prev_in = inside(&prev);
        for &cur in &pts {
            let cur_in = inside(&cur);
            if cur_in {
                if !prev_in {
                    out.push(cross(&prev, &cur));
                }
                out.push(cur);
            } else if prev_in {
                out.push(cross(&prev, &cur));
            }
            prev = cur;
            prev_in = cur_in;
        }
        pts = out;
    }
    if pts.len() < 3 {
        return Vec::new();
    }
    let f = pts[0];
    pts.push(f);
    pts
}

/// Clips a line to `r`; a line that leaves and re-enters becomes several parts.
pub fn clip_line(line: &[Pt], r: Rect) -> Vec<Vec<Pt>> {
    let mut parts = Vec::new();
    let mut cur: Vec<Pt> = Vec::new();
    for w in line.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((a, b, b_clipped)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        parts.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(a);
                }
                cur.push(b);
                if b_clipped {
                    if cur.len() >= 2 {
                        parts.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                }
            }
            None => {
                if cur.len() >= 2 {
                    parts.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        parts.push(cur);
    }
    parts
}

/// Liang–Barsky. Returns the visible part of segment a-b and whether its end was cut.
fn clip_segment(a: Pt, b: Pt, r: Rect) -> Option<(Pt, Pt, bool)> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [
        (-dx, a[0] - r[0]),
        (dx, r[2] - a[0]),
        (-dy, a[1] - r[1]),
        (dy, r[3] - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
        if t0 > t1 {
            return None;
        }
    }
    let at = |t: f64| [a[0] + t * dx, a[1] + t * dy];
    let start = if t0 > 0.0 { at(t0) } else { a };
    let end = if t1 < 1.0 { at(t1) } else { b };
    Some((start, end, t1 < 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::ring_area;
    use proptest::prelude::*;

    #[test]
    fn square_clipped_to_quarter() {
        let ring = vec![[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0]];
        let out = clip_ring(&ring, [0.0, 0.0, 2.0, 2.0]);
        assert!((ring_area(&out[..out.len() - 1]).abs() - 1.0).abs() < 1e-12);
        assert_eq!(out.first(), out.last());
    }

    #[test]
    fn line_leaving_and_reentering_gives_two_parts() {
        let line = vec![[0.5, 0.5], [3.0, 0.5], [3.0, 1.5], [0.5, 1.5]];
        let parts = clip_line(&line, [0.0, 0.0, 2.0, 2.0]);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], vec![[0.5, 0.5], [2.0, 0.5]]);
        assert_eq!(parts[1], vec![[2.0, 1.5], [0.5, 1.5]]);
    }

    proptest! {
        // Every clipped point lies in the rectangle, and a clipped convex polygon's area
        // equals the brute-force area of its intersection with the rectangle (sampled).
        #[test]
        fn clipped_points_stay_inside(pts in proptest::collection::vec((-10.0f64..10.0, -10.0f64..10.0), 2..20)) {
            let line: Vec<Pt> = pts.iter().map(|&(x, y)| [x, y]).collect();
            let r = [-3.0, -2.0, 4.0, 5.0];
            for part in clip_line(&line, r) {
                for p in part {
                    prop_assert!(p[0] >= r[0] - 1e-9 && p[0] <= r[2] + 1e-9);
                    prop_assert!(p[1] >= r[1] - 1e-9 && p[1] <= r[3] + 1e-9);
                }
            }
            let mut ring = line.clone();
            ring.push(line[0]);
            for p in clip_ring(&ring, r) {
                prop_assert!(p[0] >= r[0] - 1e-9 && p[0] <= r[2] + 1e-9);
                prop_assert!(p[1] >= r[1] - 1e-9 && p[1] <= r[3] + 1e-9);
            }
        }

        #[test]
        fn rectangle_area_matches_brute_force(x0 in -5.0f64..5.0, y0 in -5.0f64..5.0, w in 0.1f64..8.0, h in 0.1f64..8.0) {
            let ring = vec![[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]];
            let r = [-1.0, -1.0, 2.0, 3.0];
            let out = clip_ring(&ring, r);
            let ix = (x0 + w).min(r[2]) - x0.max(r[0]);
            let iy = (y0 + h).min(r[3]) - y0.max(r[1]);
            let expect = if ix > 0.0 && iy > 0.0 { ix * iy } else { 0.0 };
            let got = if out.is_empty() { 0.0 } else { ring_area(&out[..out.len() - 1]).abs() };
            prop_assert!((got - expect).abs() < 1e-9, "got {got} expected {expect}");
        }
    }
}
