//! Level of traffic stress (LTS 1–4) for cycling, as data: `sql/indicators/lts_rules.json`
//! (after Mekuria, Furth & Nixon 2012; the table is in docs/lts.md).
//!
//! A ruleset names highway classes, bike facilities, explicit defaults per highway value
//! for the tags the roads layer lacks (max speed, lanes, one-way), and rules over
//! (facility, class, max speed, lanes per direction). [`LtsRuleset::parse`] refuses a
//! ruleset whose rules leave a combination uncovered (a gap) or cover one twice (an
//! overlap), naming the rules and the combination, so every segment gets exactly one rule.
//!
//! Slope rules (`slope`, version 2) add stress on long steep climbs where an elevation layer
//! is bound: a segment whose gradient falls in a rule's `gradient_pct` interval and whose
//! length is at least its `min_length_m` gets `add` levels, capped at LTS 4. Their gradient
//! intervals must not overlap (a segment gets at most one); gaps mean no penalty.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::EngineError;

/// The ruleset shipped with qala.
pub const DEFAULT_LTS_RULES_JSON: &str = include_str!("../../../sql/indicators/lts_rules.json");

/// The class of a highway value no class lists.
pub const OTHER_CLASS: &str = "other";
/// The facility of a street segment no bike lane runs along.
pub const NO_FACILITY: &str = "none";

/// `over < value ≤ upto`; a missing bound is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upto: Option<f64>,
}

impl Interval {
    /// ```
    /// use qala_engine::LtsInterval;
    /// let i = LtsInterval { over: Some(30.0), upto: Some(50.0) };
    /// assert!(!i.contains(30.0) && i.contains(30.5) && i.contains(50.0) && !i.contains(51.0));
    /// ```
    pub fn contains(&self, v: f64) -> bool {
        self.over.is_none_or(|o| v > o) && self.upto.is_none_or(|u| v <= u)
    }

    fn bounds(&self) -> impl Iterator<Item = f64> {
        self.over.into_iter().chain(self.upto)
    }
}

/// Values assumed for a highway value when the data has no tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LtsDefault {
    pub id: String,
    /// OSM highway values; `"*"` is every value no other row lists.
    pub highway: Vec<String>,
    pub max_speed_kmh: f64,
    /// Lanes in both directions together.
    pub lanes: f64,
    pub oneway: bool,
    #[serde(default)]
    pub why: String,
}

/// One row of the table: where it applies and the stress it gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LtsRule {
    pub id: String,
    /// Class names (or `other`); missing = every class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    /// Facilities; missing = every facility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<Vec<String>>,
    #[serde(default)]
    pub max_speed_kmh: Interval,
    #[serde(default)]
    pub lanes_per_direction: Interval,
    pub lts: u8,
    #[serde(default)]
    pub why: String,
}

impl LtsRule {
    fn applies(&self, facility: &str, class: &str, speed_kmh: f64, lanes_per_direction: f64) -> bool {
        self.facility.as_ref().is_none_or(|f| f.iter().any(|x| x == facility))
            && self.classes.as_ref().is_none_or(|c| c.iter().any(|x| x == class))
            && self.max_speed_kmh.contains(speed_kmh)
            && self.lanes_per_direction.contains(lanes_per_direction)
    }
}

/// A penalty for a long steep climb: `add` levels (capped at 4) for a segment whose
/// gradient, percent, is in `gradient_pct` and whose length is at least `min_length_m`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlopeRule {
    pub id: String,
    pub gradient_pct: Interval,
    #[serde(default)]
    pub min_length_m: f64,
    pub add: u8,
    #[serde(default)]
    pub why: String,
}

/// The gradient of a street segment: its climb over its length (see `lts_network.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gradient {
    /// 100 × climb / length.
    pub pct: f64,
    /// Height gained between the ends of its lines (each line's |Δz|, summed), metres.
    pub climb_m: f64,
    pub length_m: f64,
}

/// A versioned LTS ruleset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LtsRuleset {
    pub id: String,
    pub version: u32,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub citation: String,
    /// Class name -> OSM highway values.
    pub classes: BTreeMap<String, Vec<String>>,
    /// Facility values, `none` among them.
    pub facilities: Vec<String>,
    pub defaults: Vec<LtsDefault>,
    pub rules: Vec<LtsRule>,
    /// Penalties for long steep climbs, applied only where an elevation layer is bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slope: Vec<SlopeRule>,
}

/// The tags of one street segment; `None` where the data has no value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RoadTags<'a> {
    pub highway: Option<&'a str>,
    pub max_speed_kmh: Option<f64>,
    pub lanes: Option<f64>,
    pub oneway: Option<bool>,
    /// The facility of the bike lane matched to the segment, if any.
    pub facility: Option<&'a str>,
    /// The segment's gradient, where an elevation layer is bound and covers it.
    pub gradient: Option<Gradient>,
}

/// A segment's stress and why: the rule, the inputs used and which of them were assumed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentLts {
    pub lts: u8,
    pub rule: String,
    pub class: String,
    pub facility: String,
    pub max_speed_kmh: f64,
    pub lanes: f64,
    pub oneway: bool,
    /// Inputs taken from the default row because the data has no value.
    pub assumed: Vec<&'static str>,
    /// The default row used, when anything was assumed.
    pub default: Option<String>,
    /// Gradient in percent, where an elevation layer is bound and covers the segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gradient_pct: Option<f64>,
    /// Height gained along the segment, metres (with `gradient_pct`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub climb_m: Option<f64>,
    /// The slope rule that raised the stress, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slope_rule: Option<String>,
    /// The stress before the slope rule, when one applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lts_before_slope: Option<u8>,
}

impl SegmentLts {
    /// One line for a popup or a CSV cell.
    ///
    /// ```
    /// use qala_engine::{LtsRuleset, RoadTags};
    /// let rs = LtsRuleset::shipped().unwrap();
    /// let s = rs.classify(&RoadTags { highway: Some("residential"), ..RoadTags::default() });
    /// assert_eq!(s.lts, 2);
    /// assert_eq!(s.reason(), "mixed_local_calm; assumed max_speed_kmh=40, lanes=2, oneway=no (default_residential)");
    /// ```
    pub fn reason(&self) -> String {
        let slope = match (&self.slope_rule, self.gradient_pct, self.lts_before_slope) {
            (Some(r), Some(g), Some(before)) => format!("; {r}: {g:.1} % climb, LTS {before} -> {}", self.lts),
            _ => String::new(),
        };
        if self.assumed.is_empty() {
            return format!("{}{slope}", self.rule);
        }
        let vals: Vec<String> = self
            .assumed
            .iter()
            .map(|a| match *a {
                "max_speed_kmh" => format!("max_speed_kmh={}", self.max_speed_kmh),
                "lanes" => format!("lanes={}", self.lanes),
                _ => format!("oneway={}", if self.oneway { "yes" } else { "no" }),
            })
            .collect();
        format!(
            "{}; assumed {} ({}){slope}",
            self.rule,
            vals.join(", "),
            self.default.as_deref().unwrap_or("")
        )
    }
}

fn invalid(id: &str, why: String) -> EngineError {
    EngineError::InvalidLtsRuleset { id: id.to_owned(), why }
}

impl LtsRuleset {
    /// The ruleset shipped in `sql/indicators/lts_rules.json`.
    pub fn shipped() -> Result<LtsRuleset, EngineError> {
        LtsRuleset::parse(DEFAULT_LTS_RULES_JSON)
    }

    /// Parses and validates a ruleset.
    ///
    /// Errors (`invalid_lts_ruleset`): bad JSON or fields, an unknown class or facility in a
    /// rule, LTS outside 1–4, duplicate ids, a highway value in two classes or two default
    /// rows, no `"*"` default, an empty interval, and a gap or overlap of the rules; a slope
    /// rule without a lower gradient bound ≥ 0, with a negative or non-finite length, an
    /// `add` outside 1–3, or whose gradients overlap another's.
    pub fn parse(json: &str) -> Result<LtsRuleset, EngineError> {
        let rs: LtsRuleset = serde_json::from_str(json).map_err(|e| invalid("?", format!("not a ruleset: {e}")))?;
        rs.validate()?;
        Ok(rs)
    }

    /// Checks the ruleset (see [`LtsRuleset::parse`]).
    pub fn validate(&self) -> Result<(), EngineError> {
        let id = self.id.as_str();
        let bad = |why: String| Err(invalid(id, why));
        if id.trim().is_empty() || self.version == 0 {
            return bad("a ruleset needs an id and a version ≥ 1".into());
        }
        if self.classes.contains_key(OTHER_CLASS) {
            return bad(format!(
                "class {OTHER_CLASS:?} is reserved for highway values no class lists"
            ));
        }
        let mut seen = BTreeMap::new();
        for (class, values) in &self.classes {
            for v in values {
                if let Some(prev) = seen.insert(v.as_str(), class.as_str()) {
                    return bad(format!("highway {v:?} is in two classes, {prev:?} and {class:?}"));
                }
            }
        }
        if !self.facilities.iter().any(|f| f == NO_FACILITY) {
            return bad(format!(
                "facilities must include {NO_FACILITY:?} (a street without a bike lane)"
            ));
        }
        let mut default_ids = BTreeSet::new();
        let mut by_value = BTreeMap::new();
        for d in &self.defaults {
            if !default_ids.insert(d.id.as_str()) {
                return bad(format!("two default rows are called {:?}", d.id));
            }
            if !(d.max_speed_kmh.is_finite() && d.max_speed_kmh >= 0.0 && d.lanes.is_finite() && d.lanes >= 1.0) {
                return bad(format!("default {:?}: max_speed_kmh must be ≥ 0 and lanes ≥ 1", d.id));
            }
            for v in &d.highway {
                if let Some(prev) = by_value.insert(v.as_str(), d.id.as_str()) {
                    return bad(format!("highway {v:?} has two default rows, {prev:?} and {:?}", d.id));
                }
            }
        }
        if !by_value.contains_key("*") {
            return bad("the defaults need a row for highway \"*\" (every other value)".into());
        }
        let mut rule_ids = BTreeSet::new();
        for r in &self.rules {
            if !rule_ids.insert(r.id.as_str()) {
                return bad(format!("two rules are called {:?}", r.id));
            }
            if !(1..=4).contains(&r.lts) {
                return bad(format!("rule {:?}: lts must be 1 to 4 (got {})", r.id, r.lts));
            }
            for c in r.classes.iter().flatten() {
                if c != OTHER_CLASS && !self.classes.contains_key(c) {
                    return bad(format!("rule {:?} names an unknown class {c:?}", r.id));
                }
            }
            for f in r.facility.iter().flatten() {
                if !self.facilities.contains(f) {
                    return bad(format!("rule {:?} names an unknown facility {f:?}", r.id));
                }
            }
            for (name, i) in [
                ("max_speed_kmh", r.max_speed_kmh),
                ("lanes_per_direction", r.lanes_per_direction),
            ] {
                if i.bounds().any(|b| !b.is_finite()) || i.over.zip(i.upto).is_some_and(|(o, u)| o >= u) {
                    return bad(format!("rule {:?}: {name} is empty ({i:?})", r.id));
                }
            }
        }
        self.check_slope(&rule_ids)?;
        self.check_coverage()
    }

    fn check_slope(&self, rule_ids: &BTreeSet<&str>) -> Result<(), EngineError> {
        let bad = |why: String| Err(invalid(&self.id, why));
        let mut ids = BTreeSet::new();
        for r in &self.slope {
            if rule_ids.contains(r.id.as_str()) || !ids.insert(r.id.as_str()) {
                return bad(format!("two rules are called {:?}", r.id));
            }
            let g = r.gradient_pct;
            match g.over {
                Some(o) if o.is_finite() && o >= 0.0 => {}
                _ => {
                    return bad(format!(
                        "slope rule {:?}: gradient_pct needs a lower bound \"over\" of at least 0 (got {:?})",
                        r.id, g.over
                    ));
                }
            }
            if g.upto.is_some_and(|u| !u.is_finite()) || g.over.zip(g.upto).is_some_and(|(o, u)| o >= u) {
                return bad(format!("slope rule {:?}: gradient_pct is empty ({g:?})", r.id));
            }
            if !(r.min_length_m.is_finite() && r.min_length_m >= 0.0) {
                return bad(format!(
                    "slope rule {:?}: min_length_m must be a length ≥ 0 (got {})",
                    r.id, r.min_length_m
                ));
            }
            if !(1..=3).contains(&r.add) {
                return bad(format!("slope rule {:?}: add must be 1 to 3 (got {})", r.id, r.add));
            }
        }
        let mut by_over: Vec<&SlopeRule> = self.slope.iter().collect();
        by_over.sort_by(|a, b| {
            a.gradient_pct
                .over
                .unwrap_or(0.0)
                .total_cmp(&b.gradient_pct.over.unwrap_or(0.0))
        });
        for w in by_over.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a.gradient_pct
                .upto
                .is_none_or(|u| u > b.gradient_pct.over.unwrap_or(0.0))
            {
                return bad(format!(
                    "overlap: slope rules {} and {} both cover a gradient of {} % and more",
                    a.id,
                    b.id,
                    b.gradient_pct.over.unwrap_or(0.0)
                ));
            }
        }
        Ok(())
    }

    /// The slope rule for a segment's gradient, if any.
    pub fn slope_rule(&self, g: &Gradient) -> Option<&SlopeRule> {
        self.slope
            .iter()
            .find(|r| r.gradient_pct.contains(g.pct) && g.length_m >= r.min_length_m)
    }

    /// Every (facility, class, speed interval, lanes interval) is covered by exactly one
    /// rule. The intervals are those the rules' bounds cut the half-line ≥ 0 into; each is
    /// tested at one value inside it.
    fn check_coverage(&self) -> Result<(), EngineError> {
        let probes = |pick: fn(&LtsRule) -> Interval| -> Vec<(f64, String)> {
            let mut b: Vec<f64> = self
                .rules
                .iter()
                .flat_map(|r| pick(r).bounds().collect::<Vec<_>>())
                .filter(|b| *b >= 0.0)
                .collect();
            b.push(0.0);
            b.sort_by(f64::total_cmp);
            b.dedup();
            let mut out = vec![(0.0, "0".to_owned())];
            for w in b.windows(2) {
                out.push((w[1], format!("over {} up to {}", w[0], w[1])));
            }
            let last = b[b.len() - 1];
            out.push((last + 1.0, format!("over {last}")));
            out
        };
        let speeds = probes(|r| r.max_speed_kmh);
        let lanes = probes(|r| r.lanes_per_direction);
        let mut classes: Vec<&str> = self.classes.keys().map(String::as_str).collect();
        classes.push(OTHER_CLASS);
        for f in &self.facilities {
            for c in &classes {
                for (s, sd) in &speeds {
                    for (l, ld) in &lanes {
                        let hit: Vec<&str> = self
                            .rules
                            .iter()
                            .filter(|r| r.applies(f, c, *s, *l))
                            .map(|r| r.id.as_str())
                            .collect();
                        let at = format!("facility {f:?}, class {c:?}, max speed {sd} km/h, lanes per direction {ld}");
                        match hit.len() {
                            1 => {}
                            0 => return Err(invalid(&self.id, format!("gap: no rule covers {at}"))),
                            _ => {
                                return Err(invalid(
                                    &self.id,
                                    format!("overlap: rules {} all cover {at}", hit.join(", ")),
                                ));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The class of a highway value (`other` when no class lists it).
    pub fn class_of(&self, highway: &str) -> &str {
        self.classes
            .iter()
            .find(|(_, vs)| vs.iter().any(|v| v == highway))
            .map_or(OTHER_CLASS, |(c, _)| c.as_str())
    }

    fn default_for(&self, highway: &str) -> Option<&LtsDefault> {
        self.defaults
            .iter()
            .find(|d| d.highway.iter().any(|v| v == highway))
            .or_else(|| self.defaults.iter().find(|d| d.highway.iter().any(|v| v == "*")))
    }

    /// The stress of one segment. Missing tags come from the default row of its highway
    /// value and are listed in `assumed`; a facility the ruleset does not know counts as
    /// `none`.
    pub fn classify(&self, t: &RoadTags<'_>) -> SegmentLts {
        let highway = t.highway.unwrap_or("");
        let class = self.class_of(highway).to_owned();
        let d = self.default_for(highway);
        let mut assumed = Vec::new();
        let mut take = |name: &'static str, have: Option<f64>, dflt: f64| match have {
            Some(v) if v.is_finite() && v >= 0.0 => v,
            _ => {
                assumed.push(name);
                dflt
            }
        };
        let max_speed_kmh = take("max_speed_kmh", t.max_speed_kmh, d.map_or(50.0, |d| d.max_speed_kmh));
        let lanes = take("lanes", t.lanes.filter(|l| *l >= 1.0), d.map_or(2.0, |d| d.lanes));
        let oneway = match t.oneway {
            Some(o) => o,
            None => {
                assumed.push("oneway");
                d.is_some_and(|d| d.oneway)
            }
        };
        let facility = t
            .facility
            .filter(|f| self.facilities.iter().any(|x| x == f))
            .unwrap_or(NO_FACILITY)
            .to_owned();
        let per_direction = if oneway { lanes } else { lanes / 2.0 };
        let rule = self
            .rules
            .iter()
            .find(|r| r.applies(&facility, &class, max_speed_kmh, per_direction));
        // A validated ruleset always has a rule; an unvalidated one falls to LTS 4.
        let base = rule.map_or(4, |r| r.lts);
        let slope = t.gradient.as_ref().and_then(|g| self.slope_rule(g));
        let lts = slope.map_or(base, |s| (base + s.add).min(4));
        SegmentLts {
            lts,
            gradient_pct: t.gradient.map(|g| g.pct),
            climb_m: t.gradient.map(|g| g.climb_m),
            slope_rule: slope.map(|s| s.id.clone()),
            lts_before_slope: slope.map(|_| base),
            rule: rule.map_or_else(|| "no_rule".to_owned(), |r| r.id.clone()),
            class,
            facility,
            max_speed_kmh,
            lanes,
            oneway,
            default: (!assumed.is_empty()).then(|| d.map(|d| d.id.clone()).unwrap_or_default()),
            assumed,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn tags(highway: &str) -> RoadTags<'_> {
        RoadTags {
            highway: Some(highway),
            ..RoadTags::default()
        }
    }

    #[test]
    fn the_shipped_ruleset_is_valid_and_follows_the_table() {
        let rs = LtsRuleset::shipped().unwrap();
        assert_eq!((rs.id.as_str(), rs.version), ("lts_mekuria_2012", 2));
        let lts = |t: RoadTags<'_>| rs.classify(&t).lts;
        assert_eq!(lts(tags("living_street")), 1);
        assert_eq!(lts(tags("residential")), 2);
        assert_eq!(lts(tags("tertiary")), 3);
        assert_eq!(lts(tags("secondary")), 4);
        assert_eq!(lts(tags("primary")), 4);
        assert_eq!(lts(tags("trunk")), 4);
        assert_eq!(lts(tags("steps")), 4);
        assert_eq!(lts(tags("cycleway")), 1);
        // A painted lane on a calm two-lane street: 2; on a six-lane avenue: 3.
        let painted = |h| RoadTags {
            facility: Some("painted"),
            ..tags(h)
        };
        assert_eq!(lts(painted("tertiary")), 2);
        assert_eq!(lts(painted("primary")), 3);
        // Separated from traffic: 1 even beside a trunk road.
        assert_eq!(
            lts(RoadTags {
                facility: Some("protected"),
                ..tags("trunk")
            }),
            1
        );
        // Tags in the data win over defaults, and are not listed as assumed.
        let s = rs.classify(&RoadTags {
            max_speed_kmh: Some(30.0),
            lanes: Some(2.0),
            oneway: Some(false),
            ..tags("residential")
        });
        assert_eq!((s.lts, s.rule.as_str(), s.assumed.len()), (1, "mixed_local_slow", 0));
        assert_eq!(s.reason(), "mixed_local_slow");
        // One-way two-lane street: two lanes in one direction.
        let s = rs.classify(&RoadTags {
            lanes: Some(2.0),
            oneway: Some(true),
            ..tags("tertiary")
        });
        assert_eq!((s.lts, s.rule.as_str()), (3, "mixed_multilane_calm"));
        assert_eq!(s.assumed, vec!["max_speed_kmh"]);
        // Unknown highway values: class other, default row "*".
        let s = rs.classify(&tags("raceway"));
        assert_eq!(
            (s.class.as_str(), s.default.as_deref()),
            ("other", Some("default_other"))
        );
        // Unknown facility counts as none.
        assert_eq!(
            rs.classify(&RoadTags {
                facility: Some("hover"),
                ..tags("residential")
            })
            .facility,
            "none"
        );
    }

    #[test]
    fn slope_rules_raise_long_steep_climbs_capped_at_4() {
        let rs = LtsRuleset::shipped().unwrap();
        let on = |h: &'static str, pct: f64, length_m: f64| {
            rs.classify(&RoadTags {
                gradient: Some(Gradient {
                    pct,
                    climb_m: pct * length_m / 100.0,
                    length_m,
                }),
                ..tags(h)
            })
        };
        // residential: LTS 2. Gentle, short, long-and-moderate, steep.
        assert_eq!(
            (
                on("residential", 4.9, 500.0).lts,
                on("residential", 4.9, 500.0).slope_rule
            ),
            (2, None)
        );
        assert_eq!(on("residential", 6.0, 99.0).lts, 2, "shorter than 100 m");
        let s = on("residential", 6.0, 100.0);
        assert_eq!(
            (s.lts, s.slope_rule.as_deref(), s.lts_before_slope),
            (3, Some("climb_long"), Some(2))
        );
        assert!(
            s.reason().contains("climb_long: 6.0 % climb, LTS 2 -> 3"),
            "{}",
            s.reason()
        );
        assert_eq!(
            on("residential", 8.0, 100.0).lts,
            3,
            "8 % is the upper bound of climb_long"
        );
        let s = on("residential", 9.0, 60.0);
        assert_eq!((s.lts, s.slope_rule.as_deref()), (4, Some("climb_steep")));
        assert_eq!(on("residential", 9.0, 40.0).lts, 2, "a ramp shorter than 50 m");
        // Capped: a tertiary street (3) + 2 is 4; a cycleway (1) + 1 is 2.
        assert_eq!(on("tertiary", 12.0, 300.0).lts, 4);
        assert_eq!(on("cycleway", 6.0, 300.0).lts, 2);
        // The gradient is kept even when no rule applies; without one nothing changes.
        assert_eq!(on("residential", 2.0, 300.0).gradient_pct, Some(2.0));
        let plain = rs.classify(&tags("residential"));
        assert_eq!(
            (plain.gradient_pct, plain.slope_rule.clone(), plain.lts_before_slope),
            (None, None, None)
        );
        let json = serde_json::to_value(&plain).unwrap();
        assert!(
            json.get("gradient_pct").is_none() && json.get("slope_rule").is_none(),
            "{json}"
        );
    }

    #[test]
    fn bad_slope_rules_are_refused_with_the_reason() {
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|v| v["slope"][0]["gradient_pct"]["over"] = (-3).into()),
                "lower bound \"over\" of at least 0",
            ),
            (
                Box::new(|v| v["slope"][0]["gradient_pct"] = serde_json::json!({"upto": 8})),
                "lower bound",
            ),
            (
                Box::new(|v| v["slope"][0]["gradient_pct"]["upto"] = 4.into()),
                "gradient_pct is empty",
            ),
            (
                Box::new(|v| v["slope"][0]["min_length_m"] = (-100).into()),
                "min_length_m must be a length",
            ),
            (Box::new(|v| v["slope"][0]["add"] = 0.into()), "add must be 1 to 3"),
            (
                Box::new(|v| v["slope"][1]["gradient_pct"]["over"] = 7.into()),
                "overlap: slope rules climb_long and climb_steep",
            ),
            (
                Box::new(|v| v["slope"][1]["id"] = "mixed_fast".into()),
                "two rules are called \"mixed_fast\"",
            ),
            (Box::new(|v| v["slope"][0]["grade"] = 5.into()), "unknown field"),
        ];
        for (edit, want) in cases {
            let m = message(edited(edit));
            assert!(m.contains(want), "{want:?} not in {m}");
        }
        // No slope rules at all is a valid (version 1 style) ruleset.
        assert!(edited(|v| drop(v.as_object_mut().unwrap().remove("slope"))).is_ok());
    }

    fn edited(f: impl FnOnce(&mut serde_json::Value)) -> Result<LtsRuleset, EngineError> {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_LTS_RULES_JSON).unwrap();
        f(&mut v);
        LtsRuleset::parse(&v.to_string())
    }

    fn rule_mut<'a>(v: &'a mut serde_json::Value, id: &str) -> &'a mut serde_json::Value {
        v["rules"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|r| r["id"] == id)
            .unwrap()
    }

    fn message(r: Result<LtsRuleset, EngineError>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "invalid_lts_ruleset");
        assert_eq!(e.kind(), qala_core::ErrorKind::InvalidInput);
        e.to_string()
    }

    #[test]
    fn a_gap_names_the_uncovered_conditions() {
        // mixed_local_calm covers (30, 50]; narrowing it to (30, 40] leaves 40–50 km/h.
        let m = message(edited(|v| {
            rule_mut(v, "mixed_local_calm")["max_speed_kmh"]["upto"] = 40.into()
        }));
        assert!(m.contains("gap"), "{m}");
        assert!(m.contains("class \"local\""), "{m}");
        assert!(m.contains("over 40 up to 50"), "{m}");
        // Dropping a rule leaves its conditions bare.
        let m = message(edited(|v| {
            v["rules"]
                .as_array_mut()
                .unwrap()
                .retain(|r| r["id"] != "steps_not_rideable");
        }));
        assert!(m.contains("gap") && m.contains("class \"steps\""), "{m}");
    }

    #[test]
    fn an_overlap_names_both_rules() {
        let m = message(edited(|v| {
            rule_mut(v, "mixed_local_slow")["max_speed_kmh"]["upto"] = 35.into()
        }));
        assert!(m.contains("overlap"), "{m}");
        assert!(m.contains("mixed_local_slow") && m.contains("mixed_local_calm"), "{m}");
        // A rule for every facility and class overlaps everything.
        let m = message(edited(|v| {
            v["rules"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({"id": "everything", "lts": 1}));
        }));
        assert!(m.contains("overlap") && m.contains("everything"), "{m}");
    }

    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

    #[test]
    fn malformed_rulesets_are_refused_with_the_reason() {
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|v| rule_mut(v, "path_class")["classes"] = serde_json::json!(["paths"])),
                "unknown class \"paths\"",
            ),
            (
                Box::new(|v| rule_mut(v, "path_class")["facility"] = serde_json::json!(["bus"])),
                "unknown facility \"bus\"",
            ),
            (
                Box::new(|v| rule_mut(v, "path_class")["lts"] = 5.into()),
                "lts must be 1 to 4",
            ),
            (
                Box::new(|v| rule_mut(v, "painted_fast")["id"] = "painted_calm".into()),
                "two rules are called \"painted_calm\"",
            ),
            (
                Box::new(|v| {
                    rule_mut(v, "mixed_local_calm")["max_speed_kmh"] = serde_json::json!({"over": 50, "upto": 30})
                }),
                "is empty",
            ),
            (
                Box::new(|v| {
                    v["defaults"]
                        .as_array_mut()
                        .unwrap()
                        .retain(|d| d["id"] != "default_other")
                }),
                "highway \"*\"",
            ),
            (
                Box::new(|v| v["classes"]["local"].as_array_mut().unwrap().push("primary".into())),
                "two classes",
            ),
            (Box::new(|v| v["version"] = 0.into()), "version"),
            (Box::new(|v| v["rules"][0]["colour"] = "red".into()), "unknown field"),
        ];
        for (edit, want) in cases {
            let m = message(edited(edit));
            assert!(m.contains(want), "{want:?} not in {m}");
        }
        assert!(message(LtsRuleset::parse("{")).contains("not a ruleset"));
    }
}
