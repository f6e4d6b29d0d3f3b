//! Douglas–Peucker simplification, iterative (no recursion on long lines).

use crate::geom::Pt;

/// Keeps the points needed so that no dropped point is further than `tolerance` from the
/// simplified line. The first and last points are always kept.
///
/// ```
/// let line = [[0.0, 0.0], [1.0, 0.01], [2.0, 0.0], [3.0, 5.0]];
/// let s = qala_tiles::simplify::douglas_peucker(&line, 0.1);
/// assert_eq!(s, vec![[0.0, 0.0], [2.0, 0.0], [3.0, 5.0]]);
/// ```
pub fn douglas_peucker(pts: &[Pt], tolerance: f64) -> Vec<Pt> {
    let mut out = Vec::with_capacity(pts.len());
    douglas_peucker_into(pts, tolerance, &mut Scratch::default(), &mut out);
    out
}

/// Buffers [`douglas_peucker_into`] reuses from one call to the next.
#[derive(Default)]
pub struct Scratch {
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
}

/// [`douglas_peucker`] into `out` (cleared first), with reused buffers: the tile cutter
/// simplifies every line and ring of a tile.
pub fn douglas_peucker_into(pts: &[Pt], tolerance: f64, scratch: &mut Scratch, out: &mut Vec<Pt>) {
    out.clear();
    if pts.len() < 3 {
        out.extend_from_slice(pts);
        return;
    }
    let keep = &mut scratch.keep;
    keep.clear();
    keep.resize(pts.len(), false);
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let tol2 = tolerance * tolerance;
    let stack = &mut scratch.stack;
    stack.clear();
    stack.push((0usize, pts.len() - 1));
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut best, mut best_d) = (0, -1.0);
        for (i, p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = seg_dist2(*p, pts[a], pts[b]);
            if d > best_d {
                best_d = d;
                best = i;
            }
        }
        if best_d > tol2 {
            keep[best] = true;
            stack.push((a, best));
            stack.push((best, b));
        }
    }
    out.extend(pts.iter().zip(keep.iter()).filter_map(|(p, k)| k.then_some(*p)));
}

fn seg_dist2(p: Pt, a: Pt, b: Pt) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    let (qx, qy) = (a[0] + t * dx, a[1] + t * dy);
    (p[0] - qx).powi(2) + (p[1] - qy).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Brute force: every input point is within tolerance of the simplified line.
        #[test]
        fn every_dropped_point_within_tolerance(pts in proptest::collection::vec((0.0f64..100.0, 0.0f64..100.0), 3..40), tol in 0.1f64..10.0) {
            let line: Vec<Pt> = pts.iter().map(|&(x, y)| [x, y]).collect();
            let s = douglas_peucker(&line, tol);
            prop_assert_eq!(s.first(), line.first());
            prop_assert_eq!(s.last(), line.last());
            for p in &line {
                let d = s.windows(2).map(|w| seg_dist2(*p, w[0], w[1])).fold(f64::INFINITY, f64::min);
                prop_assert!(d.sqrt() <= tol + 1e-9);
            }
        }
    }
}
