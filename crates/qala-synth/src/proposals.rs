//! A labelled **synthetic** set of residents' proposals (issue 13): 1,077 of them like the
//! Almaty-2050 discussion (mobility first, then greening and air, about a tenth on
//! architecture, housing and utilities), placed where people live (cells of the population
//! surface drawn in proportion to their residents), with moderation and lifecycle statuses
//! spread over the lifecycle. The same seed and cells give the same set.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// As many proposals as the Almaty-2050 discussion collected.
pub const ALMATY_2050_PROPOSALS: usize = 1077;

/// Category shares, per mille: mobility ~40%, greening ~25%, architecture/housing and
/// utilities ~10% together, the rest spread.
pub const CATEGORY_SHARES: &[(&str, u32)] = &[
    ("mobility_transport", 400),
    ("greening_air", 250),
    ("public_space", 120),
    ("safety", 80),
    ("architecture_housing", 60),
    ("other", 50),
    ("utilities", 40),
];

/// A generated proposal; `synthetic` always.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthProposal {
    pub lon: f64,
    pub lat: f64,
    pub category: &'static str,
    pub text: String,
    /// pending, approved or rejected.
    pub moderation: &'static str,
    pub status: &'static str,
    pub public_answer: Option<String>,
    pub decline_reason: Option<String>,
    /// A made-up client hash (64 hex digits) so that supports and limits have a key.
    pub client_hash: String,
}

/// Whole counts of `n` by `shares` (per mille), largest remainders first, summing to `n`.
///
/// ```
/// let c = qala_synth::proposals::apportion(1077, qala_synth::proposals::CATEGORY_SHARES);
/// assert_eq!(c.iter().sum::<usize>(), 1077);
/// assert_eq!(c[0], 431); // mobility: 40 %
/// ```
pub fn apportion(n: usize, shares: &[(&str, u32)]) -> Vec<usize> {
    let total: u32 = shares.iter().map(|s| s.1).sum();
    let exact: Vec<f64> = shares
        .iter()
        .map(|s| n as f64 * f64::from(s.1) / f64::from(total))
        .collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor())));
    let short = n - counts.iter().sum::<usize>();
    for i in order.into_iter().take(short) {
        counts[i] += 1;
    }
    counts
}

fn texts(category: &str) -> &'static [&'static str] {
    match category {
        "mobility_transport" => &[
            "Нужен регулируемый пешеходный переход у школы (синтетическое предложение)",
            "Bus stop needs a shelter and a bench (synthetic proposal)",
            "Аялдамаға дейін тротуар салу керек (синтетикалық ұсыныс)",
            "Add a protected bike lane on this street (synthetic proposal)",
            "Увеличить частоту автобусов в час пик (синтетическое предложение)",
        ],
        "greening_air" => &[
            "Посадить деревья вдоль улицы (синтетическое предложение)",
            "Аулаға ағаш отырғызу керек (синтетикалық ұсыныс)",
            "Stop burning coal in the private houses here (synthetic proposal)",
            "Restore the dried-up aryk and the trees along it (synthetic proposal)",
        ],
        "public_space" => &[
            "Сквер с лавочками вместо пустыря (синтетическое предложение)",
            "A playground for the courtyard (synthetic proposal)",
            "Балалар алаңын жөндеу керек (синтетикалық ұсыныс)",
        ],
        "architecture_housing" => &[
            "Сохранить исторический фасад (синтетическое предложение)",
            "Repair the entrance and roof of the block (synthetic proposal)",
        ],
        "utilities" => &[
            "Часто отключают воду — нужен ремонт сетей (синтетическое предложение)",
            "Connect the street to the sewer (synthetic proposal)",
        ],
        "safety" => &[
            "Нет освещения во дворе вечером (синтетическое предложение)",
            "Жаяу жүргіншілер өткелінде жарық жоқ (синтетикалық ұсыныс)",
            "Cars speed here: a speed bump please (synthetic proposal)",
        ],
        _ => &[
            "Общественный туалет у остановки (синтетическое предложение)",
            "A drinking fountain in the park (synthetic proposal)",
        ],
    }
}

/// Moderation and status of the set, per mille: most approved and spread over the
/// lifecycle, some waiting, a few rejected.
const STATES: &[(&str, &str, u32)] = &[
    ("pending", "received", 100),
    ("rejected", "received", 40),
    ("approved", "received", 260),
    ("approved", "under_review", 220),
    ("approved", "accepted", 130),
    ("approved", "in_plan", 100),
    ("approved", "done", 70),
    ("approved", "declined", 80),
];

/// `n` proposals placed on `cells` ((lon, lat, residents) of the population surface, a point
/// inside each cell) in proportion to residents, jittered by up to ~40 m.
pub fn generate(cells: &[(f64, f64, f64)], n: usize, seed: u64) -> Vec<SynthProposal> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5052_4f50_4f53_414c);
    let mut cum = Vec::with_capacity(cells.len());
    let mut total = 0.0;
    for c in cells {
        total += c.2.max(0.0);
        cum.push(total);
    }
    if total <= 0.0 {
        return Vec::new();
    }
    let cats = apportion(n, CATEGORY_SHARES);
    let state_shares: Vec<(&str, u32)> = STATES.iter().map(|s| ("", s.2)).collect();
    let mut category_list: Vec<&'static str> = Vec::with_capacity(n);
    for (i, k) in cats.iter().enumerate() {
        category_list.extend(std::iter::repeat_n(CATEGORY_SHARES[i].0, *k));
    }
    let mut state_list: Vec<usize> = Vec::with_capacity(n);
    for (i, k) in apportion(n, &state_shares).iter().enumerate() {
        state_list.extend(std::iter::repeat_n(i, *k));
    }
    // Shuffle states so that they are not tied to categories.
    for i in (1..state_list.len()).rev() {
        let j = rng.gen_range(0..=i);
        state_list.swap(i, j);
    }
    category_list
        .into_iter()
        .zip(state_list)
        .map(|(category, s)| {
            let r = rng.gen_range(0.0..total);
            let idx = cum.partition_point(|c| *c <= r).min(cells.len() - 1);
            let (lon, lat, _) = cells[idx];
            // ~40 m: 0.0005° of longitude, 0.00035° of latitude at 43° N.
            let lon = lon + rng.gen_range(-0.0005..0.0005);
            let lat = lat + rng.gen_range(-0.00035..0.00035);
            let t = texts(category);
            let text = t[rng.gen_range(0..t.len())].to_owned();
            let (moderation, status, _) = STATES[s];
            let public_answer = match status {
                "under_review" => Some("The district akimat is studying it (synthetic answer)".to_owned()),
                "accepted" | "in_plan" => Some("Included in the district's plan (synthetic answer)".to_owned()),
                "done" => Some("Done (synthetic answer)".to_owned()),
                _ => None,
            };
            let decline_reason =
                (status == "declined").then(|| "Outside the city's powers (synthetic reason)".to_owned());
            let client_hash = format!(
                "{:016x}{:016x}{:016x}{:016x}",
                rng.r#gen::<u64>(),
                rng.r#gen::<u64>(),
                rng.r#gen::<u64>(),
                rng.r#gen::<u64>()
            );
            SynthProposal {
                lon: (lon * 1e7).round() / 1e7,
                lat: (lat * 1e7).round() / 1e7,
                category,
                text,
                moderation,
                status,
                public_answer,
                decline_reason,
                client_hash,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_placement_and_seed() {
        // Two cells: one with 9 times the residents of the other.
        let cells = [(76.90, 43.20, 9000.0), (76.99, 43.30, 1000.0)];
        let a = generate(&cells, ALMATY_2050_PROPOSALS, 42);
        assert_eq!(a.len(), 1077);
        assert_eq!(a, generate(&cells, ALMATY_2050_PROPOSALS, 42));
        assert_ne!(a, generate(&cells, ALMATY_2050_PROPOSALS, 43));
        let count = |c: &str| a.iter().filter(|p| p.category == c).count();
        assert_eq!(count("mobility_transport"), 431);
        assert_eq!(count("greening_air"), 269);
        assert_eq!(count("architecture_housing") + count("utilities"), 108);
        let near_first = a.iter().filter(|p| (p.lon - 76.90).abs() < 0.01).count() as f64;
        assert!((near_first / 1077.0 - 0.9).abs() < 0.04, "{near_first}");
        for s in ["received", "under_review", "accepted", "in_plan", "done", "declined"] {
            assert!(a.iter().any(|p| p.status == s && p.moderation == "approved"), "{s}");
        }
        assert!(a.iter().all(|p| (p.status == "declined") == p.decline_reason.is_some()));
        assert!(a.iter().all(|p| p.client_hash.len() == 64));
        assert!(
            a.iter()
                .all(|p| p.text.contains("synthetic") || p.text.contains("синтет"))
        );
    }
}
