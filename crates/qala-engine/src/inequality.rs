//! Population-weighted inequality: Gini and Theil T with its between-group part.

/// Population-weighted Gini of `values` with `weights` (Lorenz-curve trapezoids, which
/// equals Σᵢ Σⱼ wᵢ wⱼ |xᵢ − xⱼ| / (2 W² μ)). `None` when the weighted mean is 0 or there
/// is no weight.
///
/// ```
/// use qala_engine::inequality::gini;
/// assert_eq!(gini(&[1.0, 1.0], &[5.0, 7.0]), Some(0.0));
/// // Half the people have everything: G = 0.5.
/// assert!((gini(&[0.0, 1.0], &[1.0, 1.0]).unwrap() - 0.5).abs() < 1e-12);
/// assert_eq!(gini(&[0.0, 0.0], &[1.0, 1.0]), None);
/// ```
pub fn gini(values: &[f64], weights: &[f64]) -> Option<f64> {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(x, w)| (*x, *w))
        .collect();
    let w_total: f64 = pairs.iter().map(|p| p.1).sum();
    let x_total: f64 = pairs.iter().map(|p| p.0 * p.1).sum();
    if w_total <= 0.0 || x_total <= 0.0 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut lorenz_prev = 0.0;
    let mut cum = 0.0;
    let mut area = 0.0;
    for (x, w) in pairs {
        cum += x * w;
        let lorenz = cum / x_total;
        area += (w / w_total) * (lorenz_prev + lorenz);
        lorenz_prev = lorenz;
    }
    Some(1.0 - area)
}

/// Theil T and its decomposition over groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theil {
    pub total: f64,
    pub between: f64,
}

/// Population-weighted Theil T of `values` (cells), with the between-group part for the
/// groups `group[i]`. `None` when the weighted mean is 0.
///
/// ```
/// use qala_engine::inequality::theil;
/// // Two zones, everyone covered in one, nobody in the other: all inequality is between zones.
/// let t = theil(&[1.0, 1.0, 0.0, 0.0], &[1.0, 1.0, 1.0, 1.0], &[0, 0, 1, 1]).unwrap();
/// assert!((t.total - 2f64.ln()).abs() < 1e-12);
/// assert!((t.between - t.total).abs() < 1e-12);
/// ```
pub fn theil(values: &[f64], weights: &[f64], group: &[usize]) -> Option<Theil> {
    let w_total: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    let x_total: f64 = values
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(x, w)| x * w)
        .sum();
    if w_total <= 0.0 || x_total <= 0.0 {
        return None;
    }
    let mean = x_total / w_total;
    let groups = group.iter().copied().max().map_or(0, |m| m + 1);
    let mut gw = vec![0.0; groups];
    let mut gx = vec![0.0; groups];
    let mut total = 0.0;
    for ((x, w), g) in values.iter().zip(weights).zip(group) {
        if *w <= 0.0 {
            continue;
        }
        gw[*g] += w;
        gx[*g] += x * w;
        if *x > 0.0 {
            let r = x / mean;
            total += (w / w_total) * r * r.ln();
        }
    }
    let mut between = 0.0;
    for (w, x) in gw.iter().zip(&gx) {
        if *w > 0.0 && *x > 0.0 {
            let r = (x / w) / mean;
            between += (w / w_total) * r * r.ln();
        }
    }
    Some(Theil { total, between })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The O(n²) definition, to check the sorted formula against.
    fn gini_pairs(x: &[f64], w: &[f64]) -> f64 {
        let wt: f64 = w.iter().sum();
        let mean = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / wt;
        let mut s = 0.0;
        for i in 0..x.len() {
            for j in 0..x.len() {
                s += w[i] * w[j] * (x[i] - x[j]).abs();
            }
        }
        s / (2.0 * wt * wt * mean)
    }

    #[test]
    fn gini_matches_the_pairwise_definition_with_ties_and_weights() {
        let x = [0.0, 1.0, 1.0, 0.0, 3.5, 2.0, 1.0];
        let w = [3.0, 1.0, 2.0, 5.0, 0.5, 4.0, 1.0];
        assert!((gini(&x, &w).unwrap() - gini_pairs(&x, &w)).abs() < 1e-12);
    }

    #[test]
    fn theil_within_equal_zones_is_not_between() {
        // The same mix in both zones: no between-zone inequality.
        let t = theil(&[1.0, 0.0, 1.0, 0.0], &[1.0, 1.0, 1.0, 1.0], &[0, 0, 1, 1]).unwrap();
        assert!(t.total > 0.0);
        assert!(t.between.abs() < 1e-12);
    }
}
