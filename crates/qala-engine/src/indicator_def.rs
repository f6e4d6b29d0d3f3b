//! Indicator definitions as data: what is counted, over what, the threshold, the norm,
//! the unit and a version, so that every published figure can be traced to its definition.

use qala_core::LayerKind;
use serde::{Deserialize, Serialize};

use crate::DistanceMode;

/// A name in the city's three languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Names {
    pub fn new(kk: &str, ru: &str, en: &str) -> Names {
        Names {
            kk: kk.to_owned(),
            ru: ru.to_owned(),
            en: en.to_owned(),
        }
    }

    /// The same text in every language (codes, numbers).
    pub fn same(s: &str) -> Names {
        Names::new(s, s, s)
    }

    /// The text in `lang` (`kk`, `ru`, `en`); English for any other code.
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "kk" => &self.kk,
            "ru" => &self.ru,
            _ => &self.en,
        }
    }

    fn any_blank(&self) -> bool {
        [&self.kk, &self.ru, &self.en].iter().any(|n| n.trim().is_empty())
    }
}

/// One definition. Changing what an indicator counts means a new `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDef {
    /// Stable id, e.g. `green_300m_who`.
    pub id: String,
    pub version: u32,
    pub names: Names,
    /// What is counted, over what, in plain English.
    pub description: String,
    /// `description` in kk, ru and en (`en` is `description`). Absent in definitions
    /// stored before they were translated: readers then fall back to `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions: Option<Names>,
    pub measure: Measure,
    /// Unit of the value, e.g. `share of residents`, `m²/resident`.
    pub unit: String,
    /// The norm in force: the first of `norm_variants`, or the one a caller chose.
    pub norm: Option<Norm>,
    /// Where the threshold or norm comes from (WHO, UN SDG 11.2.1, a Kazakh norm...).
    pub reference: String,
    /// `reference` in kk, ru and en (`en` is `reference`); absent as `descriptions` may be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Names>,
    /// Named norms people argue for (the national 10 m² per resident, the 4.8 the city
    /// quotes, the 12 critics ask for), each with its source; the first is the default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub norm_variants: Vec<NormVariant>,
    /// Which of `norm_variants` `norm` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub norm_variant: Option<String>,
}

/// One named norm with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormVariant {
    /// Stable id, e.g. `national`.
    pub id: String,
    pub norm: Norm,
    pub names: Names,
    /// Who sets or argues for it, and where.
    pub source: String,
    /// `source` in kk, ru and en (`en` is `source`); absent as `descriptions` may be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Names>,
}

impl IndicatorDef {
    /// This definition with its access distance measured in `mode`.
    ///
    /// Errors: `not_access_indicator` for network mode on an indicator that measures no
    /// distance (straight mode leaves every definition as it is).
    ///
    /// ```
    /// use qala_engine::{DistanceMode, Measure, default_indicators};
    /// let defs = default_indicators();
    /// let stops = defs.iter().find(|d| d.id == "stops_500m").unwrap().clone();
    /// let net = stops.with_distance(DistanceMode::Network).unwrap();
    /// assert!(matches!(net.measure, Measure::Access { distance: DistanceMode::Network, .. }));
    /// let green = defs.iter().find(|d| d.id == "green_m2_per_resident").unwrap().clone();
    /// assert!(green.clone().with_distance(DistanceMode::Straight).is_ok());
    /// assert_eq!(green.with_distance(DistanceMode::Network).unwrap_err().code(), "not_access_indicator");
    /// ```
    pub fn with_distance(mut self, mode: DistanceMode) -> Result<IndicatorDef, crate::EngineError> {
        match &mut self.measure {
            Measure::Access { distance, .. } => *distance = mode,
            _ if mode == DistanceMode::Network => return Err(crate::EngineError::NotAccessIndicator(self.id)),
            _ => {}
        }
        Ok(self)
    }

    /// This definition judged against norm variant `id`.
    ///
    /// ```
    /// let green = qala_engine::default_indicators().into_iter().find(|d| d.id == "green_m2_per_resident").unwrap();
    /// let city = green.clone().with_norm_variant("city").unwrap();
    /// assert_eq!(city.norm.unwrap().value(), 4.8);
    /// assert_eq!(green.with_norm_variant("mine").unwrap_err().code(), "unknown_norm_variant");
    /// ```
    pub fn with_norm_variant(mut self, id: &str) -> Result<IndicatorDef, crate::EngineError> {
        let Some(v) = self.norm_variants.iter().find(|v| v.id == id) else {
            return Err(crate::EngineError::UnknownNormVariant {
                id: self.id.clone(),
                variant: id.to_owned(),
                known: self
                    .norm_variants
                    .iter()
                    .map(|v| v.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        self.norm = Some(v.norm);
        self.norm_variant = Some(v.id.clone());
        Ok(self)
    }

    /// The input roles this definition reads (besides the zones).
    pub fn roles(&self) -> Vec<String> {
        let mut out = vec!["population".to_owned()];
        let mut sel = |s: &LayerSelector| {
            if let Some(r) = &s.role {
                out.push(r.clone());
            }
        };
        match &self.measure {
            Measure::Access { layer, .. }
            | Measure::AreaPerResident { layer }
            | Measure::LengthPerResidents { layer, .. }
            | Measure::LengthPerArea { layer } => sel(layer),
            Measure::LowStressAccess { layer, .. } => {
                sel(layer);
                out.push("roads".into());
                out.push("bike_lanes".into());
            }
            Measure::ProfileAccess { layer, .. } => {
                sel(layer);
                out.push("roads".into());
            }
            Measure::Compensation { .. } => {
                out.push("tree_fellings".into());
                out.push("tree_plantings".into());
            }
            Measure::RouteGap { signs, .. } => {
                sel(signs);
                out.push("wayfinding_routes".into());
            }
        }
        if matches!(
            self.measure,
            Measure::Access {
                distance: DistanceMode::Network,
                ..
            }
        ) {
            out.push("roads".into());
        }
        out.dedup();
        out
    }

    /// Checks what a definition file can get wrong: the id, names, radii and other
    /// parameters, roles, and norm variants (each with a source, ids unique).
    ///
    /// ```
    /// let mut d = qala_engine::default_indicators().into_iter().find(|d| d.id == "stops_500m").unwrap();
    /// assert!(d.validate().is_ok());
    /// if let qala_engine::Measure::Access { radius_m, .. } = &mut d.measure { *radius_m = -5.0; }
    /// assert_eq!(d.validate().unwrap_err().code(), "invalid_definition");
    /// ```
    pub fn validate(&self) -> Result<(), crate::EngineError> {
        let bad = |why: String| crate::EngineError::InvalidDefinition {
            id: self.id.clone(),
            why,
        };
        let id_ok = self.id.len() >= 2
            && self.id.len() <= 63
            && self.id.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !id_ok {
            return Err(bad(
                "the id must be 2-63 characters of a-z, 0-9 and _, starting with a letter".into(),
            ));
        }
        if self.names.any_blank() {
            return Err(bad("names in kk, ru and en are all required".into()));
        }
        if self.unit.trim().is_empty() || self.reference.trim().is_empty() {
            return Err(bad("unit and reference are required".into()));
        }
        for (field, texts) in [("descriptions", &self.descriptions), ("references", &self.references)] {
            if texts.as_ref().is_some_and(Names::any_blank) {
                return Err(bad(format!("{field}, when given, need kk, ru and en")));
            }
        }
        let positive = |what: &str, v: f64, max: f64| {
            if v.is_finite() && v > 0.0 && v <= max {
                Ok(())
            } else {
                Err(bad(format!(
                    "{what} must be a number above 0 and at most {max} (got {v})"
                )))
            }
        };
        let mut selectors = Vec::new();
        match &self.measure {
            Measure::Access { layer, radius_m, .. }
            | Measure::LowStressAccess { layer, radius_m, .. }
            | Measure::ProfileAccess { layer, radius_m, .. } => {
                positive("radius_m", *radius_m, crate::MAX_RADIUS_M)?;
                selectors.push(layer);
            }
            Measure::AreaPerResident { layer } | Measure::LengthPerArea { layer } => selectors.push(layer),
            Measure::LengthPerResidents { layer, per_residents } => {
                positive("per_residents", *per_residents, 1e9)?;
                selectors.push(layer);
            }
            Measure::Compensation { .. } => {}
            Measure::RouteGap { signs, snap_m } => {
                positive("snap_m", *snap_m, crate::MAX_RADIUS_M)?;
                selectors.push(signs);
            }
        }
        for s in selectors {
            match (&s.role, s.kind, &s.slug) {
                (Some(r), None, None) => {
                    crate::input_role(r).map_err(|e| bad(e.to_string()))?;
                }
                (None, Some(_), None) | (None, None, Some(_)) => {}
                _ => return Err(bad("a selector names exactly one of role, kind or slug".into())),
            }
            if let Some(a) = s.filter.min_area_m2
                && !(a.is_finite() && a >= 0.0)
            {
                return Err(bad(format!("min_area_m2 must be a number of at least 0 (got {a})")));
            }
        }
        for (i, v) in self.norm_variants.iter().enumerate() {
            if v.source.trim().is_empty() {
                return Err(bad(format!(
                    "norm variant {:?} has no source: say who sets it and where",
                    v.id
                )));
            }
            if v.sources.as_ref().is_some_and(Names::any_blank) {
                return Err(bad(format!(
                    "norm variant {:?}: sources, when given, need kk, ru and en",
                    v.id
                )));
            }
            if v.id.trim().is_empty() || self.norm_variants[..i].iter().any(|o| o.id == v.id) {
                return Err(bad(format!(
                    "norm variant ids must be unique and non-empty ({:?})",
                    v.id
                )));
            }
            if !v.norm.value().is_finite() {
                return Err(bad(format!("norm variant {:?} is not a finite number", v.id)));
            }
        }
        Ok(())
    }

    /// The access distance mode, `None` for indicators that measure no distance.
    pub fn distance(&self) -> Option<DistanceMode> {
        match &self.measure {
            Measure::Access { distance, .. } => Some(*distance),
            _ => None,
        }
    }
}

/// What an indicator measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Measure {
    /// Share of residents whose population cell (its UTM centroid) lies within
    /// `radius_m` metres of any selected feature: straight line in UTM 43N, or walking
    /// along streets (`distance: network`, see [`crate::DistanceMode`]).
    Access {
        layer: LayerSelector,
        radius_m: f64,
        #[serde(default, skip_serializing_if = "DistanceMode::is_straight")]
        distance: DistanceMode,
    },
    /// Area (m², UTM 43N) of the selected polygons inside the zone, per resident.
    AreaPerResident { layer: LayerSelector },
    /// Length (km) of the selected lines inside the zone per `per_residents` residents.
    LengthPerResidents { layer: LayerSelector, per_residents: f64 },
    /// Length (km) of the selected lines inside the zone per km² of zone.
    LengthPerArea { layer: LayerSelector },
    /// Compensatory planting: fellings (`tree_felling`) and the plantings that name their
    /// permit (`tree_planting.felling_permit_no`).
    Compensation { metric: CompensationMetric },
    /// The longest stretch of each wayfinding route with no map sign: signs within
    /// `snap_m` of a route are placed on it, the gap is the longest distance between
    /// consecutive signs (or a route end) along the route.
    RouteGap { signs: LayerSelector, snap_m: f64 },
    /// Share of residents who reach a selected feature within `radius_m` cycling only on
    /// streets at LTS ≤ [`crate::LOW_STRESS_MAX`] with the bike lanes of `scenario`
    /// (docs/lts.md): the low-stress street graph, joined within [`crate::SNAP_M`] at both
    /// ends. The result carries the same share on all streets (the walking graph) beside it.
    LowStressAccess {
        layer: LayerSelector,
        radius_m: f64,
        scenario: crate::LtsScenario,
    },
    /// Share of residents who reach a selected feature walking with a travel `profile`
    /// (docs/walk_profiles.md; rules in `sql/indicators/walk_profiles.json`): on the walking
    /// graph without the profile's barriers (steps, raised kerbs, steep slopes), over the
    /// profile's share of `radius_m` (the able-bodied distance). The result carries the
    /// able-bodied walk's share at `radius_m` beside it, and the gap.
    ProfileAccess {
        layer: LayerSelector,
        radius_m: f64,
        profile: crate::WalkProfile,
    },
}

/// The compensation figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompensationMetric {
    /// Trees delivered (planted for the zone's permits) / trees required
    /// (Σ trees_felled × compensation_ratio), by the felling's zone.
    DeliveredRatio,
    /// Share of the trees planted for the zone's permits that were planted in the same zone.
    SameZoneShare,
    /// Permits whose compensation is due before the as-of date and not fully delivered.
    OverduePermits,
    /// Trees alive at the N-year check / trees planted (plantings with that check), by the
    /// planting's zone.
    Survival1y,
    Survival2y,
    Survival3y,
}

/// Which features an indicator counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LayerSelector {
    /// The layers the city bound to this input role (see [`crate::Bindings`]) — how every
    /// published definition names its inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Or every layer of this kind the engine holds (engines built without bindings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<LayerKind>,
    /// Or one layer by slug (ad-hoc questions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "FeatureFilter::is_empty")]
    pub filter: FeatureFilter,
}

/// Conditions on a feature's attributes; all must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FeatureFilter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<FieldEquals>,
    /// Only polygons of at least this area (m², UTM 43N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_area_m2: Option<f64>,
}

/// `field` is one of `any_of` (compared as text: `true`, `park`, `2027`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEquals {
    pub field: String,
    pub any_of: Vec<String>,
}

impl FeatureFilter {
    /// Both filters at once: every condition of each, the larger minimum area.
    pub fn and(mut self, other: &FeatureFilter) -> FeatureFilter {
        self.equals.extend(other.equals.iter().cloned());
        self.min_area_m2 = match (self.min_area_m2, other.min_area_m2) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self
    }

    pub fn is_empty(&self) -> bool {
        self.equals.is_empty() && self.min_area_m2.is_none()
    }
}

impl FieldEquals {
    /// Parses `field=value` or `field=a,b`.
    ///
    /// ```
    /// let f = qala_engine::FieldEquals::parse("category=school,kindergarten").unwrap();
    /// assert_eq!(f.field, "category");
    /// assert_eq!(f.any_of, vec!["school", "kindergarten"]);
    /// assert!(qala_engine::FieldEquals::parse("category").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<FieldEquals, crate::EngineError> {
        let (field, values) = s
            .split_once('=')
            .ok_or_else(|| crate::EngineError::InvalidFilter(s.to_owned()))?;
        let field = field.trim();
        let any_of: Vec<String> = values
            .split(',')
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect();
        if field.is_empty() || any_of.is_empty() {
            return Err(crate::EngineError::InvalidFilter(s.to_owned()));
        }
        Ok(FieldEquals {
            field: field.to_owned(),
            any_of,
        })
    }
}

/// The norm a value is compared with. `gap_to_norm` = value − norm: negative is a shortfall
/// for `AtLeast`, positive an excess for `AtMost`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    AtLeast(f64),
    AtMost(f64),
}

impl Norm {
    pub fn value(self) -> f64 {
        match self {
            Norm::AtLeast(v) | Norm::AtMost(v) => v,
        }
    }
}

/// The shipped definitions file (`sql/indicators/definitions.json`): what
/// [`default_indicators`] parses and what `qala db migrate` stores as version 1.
pub const DEFINITIONS_JSON: &str = include_str!("../../../sql/indicators/definitions.json");

/// The default indicator set.
///
/// ```
/// let defs = qala_engine::default_indicators();
/// assert!(defs.iter().any(|d| d.id == "green_300m_who"));
/// let ids: std::collections::HashSet<_> = defs.iter().map(|d| &d.id).collect();
/// assert_eq!(ids.len(), defs.len(), "ids are unique");
/// ```
pub fn default_indicators() -> Vec<IndicatorDef> {
    // The file is checked by this crate's tests (it parses and every definition validates),
    // so an empty set here means a broken build, never a user's mistake.
    serde_json::from_str(DEFINITIONS_JSON).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_definitions_parse_and_validate() {
        let defs: Vec<super::IndicatorDef> = serde_json::from_str(super::DEFINITIONS_JSON).unwrap();
        assert_eq!(defs.len(), 39);
        for d in &defs {
            d.validate().unwrap();
            for r in d.roles() {
                crate::input_role(&r).unwrap();
            }
        }
    }

    /// Every shipped text a resident reads exists in kk, ru and en, the English is the
    /// untranslated field, and the other languages are translations, not copies.
    #[test]
    fn the_shipped_definitions_are_explained_in_kk_ru_and_en() {
        let defs = super::default_indicators();
        assert_eq!(defs.len(), 39);
        let check = |what: &str, texts: Option<&super::Names>, en: &str| {
            let t = texts.unwrap_or_else(|| panic!("{what}: no kk/ru/en texts"));
            for (lang, s) in [("kk", &t.kk), ("ru", &t.ru), ("en", &t.en)] {
                assert!(!s.trim().is_empty(), "{what}: {lang} is empty");
                assert_eq!(s.trim(), s, "{what}: {lang} has stray spaces");
            }
            assert_eq!(t.en, en, "{what}: en differs from the English field");
            assert_ne!(t.kk, t.en, "{what}: kk is the English copied");
            assert_ne!(t.ru, t.en, "{what}: ru is the English copied");
            assert_ne!(t.kk, t.ru, "{what}: kk is the Russian copied");
            // Kazakh has letters Russian lacks; a Kazakh text without any is Russian or English.
            assert!(
                t.kk.chars().any(|c| "әғқңөұүһіӘҒҚҢӨҰҮҺІ".contains(c)),
                "{what}: kk {:?}",
                t.kk
            );
            assert!(t.ru.chars().any(|c| ('а'..='я').contains(&c)), "{what}: ru {:?}", t.ru);
        };
        for d in &defs {
            check(
                &format!("{} description", d.id),
                d.descriptions.as_ref(),
                &d.description,
            );
            check(&format!("{} reference", d.id), d.references.as_ref(), &d.reference);
            for v in &d.norm_variants {
                check(&format!("{} norm {} source", d.id, v.id), v.sources.as_ref(), &v.source);
            }
            assert_eq!(
                d.descriptions.as_ref().unwrap().get("ru"),
                d.descriptions.as_ref().unwrap().ru
            );
            assert_eq!(d.descriptions.as_ref().unwrap().get("xx"), d.description);
        }
    }

    /// A definition stored before the translations (no `descriptions`, `references`,
    /// `sources`) still parses and serialises to the same JSON, so the editions that pin it
    /// recompute byte-identically.
    #[test]
    fn definitions_without_translations_parse_and_serialise_unchanged() {
        let mut old: Vec<serde_json::Value> = serde_json::from_str(super::DEFINITIONS_JSON).unwrap();
        for d in &mut old {
            let o = d.as_object_mut().unwrap();
            o.remove("descriptions");
            o.remove("references");
            for v in o
                .get_mut("norm_variants")
                .and_then(|v| v.as_array_mut())
                .into_iter()
                .flatten()
            {
                v.as_object_mut().unwrap().remove("sources");
            }
        }
        for d in &old {
            let def: super::IndicatorDef = serde_json::from_value(d.clone()).unwrap();
            def.validate().unwrap();
            assert!(def.descriptions.is_none() && def.references.is_none());
            assert_eq!(&serde_json::to_value(&def).unwrap(), d);
        }
        let mut half = old[0].clone();
        half["descriptions"] = serde_json::json!({"kk": "", "ru": "текст", "en": "text"});
        let def: super::IndicatorDef = serde_json::from_value(half).unwrap();
        assert_eq!(def.validate().unwrap_err().code(), "invalid_definition");
    }
}

#[cfg(test)]
mod low_stress_tests {
    use serde_json::json;

    /// A low-stress definition with an unknown formula, a negative distance or an unknown
    /// scenario is refused with a message naming what is wrong.
    #[test]
    fn bad_low_stress_definitions_are_refused_clearly() {
        let defs = super::default_indicators();
        let d = defs.iter().find(|d| d.id == "lts2_school_2km_plan").unwrap();
        d.validate().unwrap();
        assert_eq!(d.roles(), ["population", "schools", "roads", "bike_lanes"]);
        let good = serde_json::to_value(d).unwrap();

        let mut v = good.clone();
        v["measure"]["radius_m"] = json!(-100.0);
        let e = serde_json::from_value::<super::IndicatorDef>(v)
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.code(), "invalid_definition");
        assert!(
            e.to_string().contains("radius_m") && e.to_string().contains("-100"),
            "{e}"
        );

        let mut v = good.clone();
        v["measure"]["type"] = json!("low_stress_acces");
        let e = serde_json::from_value::<super::IndicatorDef>(v).unwrap_err();
        assert!(e.to_string().contains("unknown variant `low_stress_acces`"), "{e}");

        let mut v = good;
        v["measure"]["scenario"] = json!("built");
        let e = serde_json::from_value::<super::IndicatorDef>(v).unwrap_err();
        assert!(e.to_string().contains("unknown variant `built`"), "{e}");
    }
}
