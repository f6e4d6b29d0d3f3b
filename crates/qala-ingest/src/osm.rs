//! Tag rules that turn an OSM PBF (GDAL's OSM driver) into qala's typed kinds:
//! `highway=*` lines → roads, `highway=cycleway` → bike lanes, `leisure=park` and other
//! green land uses → green spaces, `amenity=school|kindergarten|clinic|doctors|hospital|
//! pharmacy` and `highway=bus_stop` → services, `building=*` → buildings.

use std::path::Path;

use geo::InteriorPoint;
use serde_json::{Map, Value as Json, json};

use crate::IngestError;
use crate::reader::{RawFeature, for_each, open};

/// Which typed kind to extract from an OSM file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsmRule {
    Roads,
    Cycleways,
    GreenSpaces,
    Services,
    Buildings,
}

impl OsmRule {
    pub fn kind(self) -> qala_core::LayerKind {
        use qala_core::LayerKind as K;
        match self {
            OsmRule::Roads => K::Road,
            OsmRule::Cycleways => K::BikeLane,
            OsmRule::GreenSpaces => K::GreenSpace,
            OsmRule::Services => K::Service,
            OsmRule::Buildings => K::Building,
        }
    }

    /// The rule a kind uses when its source is an OSM file.
    pub fn for_kind(kind: qala_core::LayerKind) -> Option<OsmRule> {
        use qala_core::LayerKind as K;
        Some(match kind {
            K::Road => OsmRule::Roads,
            K::BikeLane => OsmRule::Cycleways,
            K::GreenSpace => OsmRule::GreenSpaces,
            K::Service => OsmRule::Services,
            K::Building => OsmRule::Buildings,
            _ => return None,
        })
    }
}

/// Parses GDAL's `other_tags` hstore text: `"k"=>"v","k2"=>"v2"`.
pub fn parse_other_tags(s: &str) -> Map<String, Json> {
    let mut out = Map::new();
    let mut rest = s;
    while let Some(start) = rest.find('"') {
        let Some((key, after_key)) = read_quoted(&rest[start..]) else {
            break;
        };
        let Some(arrow) = after_key.find("=>") else { break };
        let Some((value, after_value)) = read_quoted(after_key[arrow + 2..].trim_start()) else {
            break;
        };
        out.insert(key, Json::String(value));
        rest = after_value;
    }
    out
}

/// Reads a `"..."` string with backslash escapes; returns it and what follows.
fn read_quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            }
            '"' => return Some((out, &body[i + 1..])),
            _ => out.push(c),
        }
    }
    None
}

fn text<'a>(attrs: &'a Map<String, Json>, tags: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    attrs
        .get(key)
        .and_then(Json::as_str)
        .or_else(|| tags.get(key).and_then(Json::as_str))
        .filter(|s| !s.is_empty())
}

/// Extracts the features of one rule, with attributes named as the kind expects.
pub fn extract(path: &Path, rule: OsmRule) -> Result<Vec<RawFeature>, IngestError> {
    let ds = open(path, "OSM")?;
    let mut out = Vec::new();
    for layer in layers_for(rule) {
        for_each(&ds, path, Some(layer), |raw| {
            if let Some(f) = map_feature(rule, raw) {
                out.push(f);
            }
            Ok(())
        })?;
    }
    for (i, f) in out.iter_mut().enumerate() {
        f.row = i as u64 + 1;
    }
    Ok(out)
}

/// The layers of GDAL's OSM driver that hold a rule's features.
pub fn layers_for(rule: OsmRule) -> &'static [&'static str] {
    match rule {
        OsmRule::Roads | OsmRule::Cycleways => &["lines"],
        OsmRule::GreenSpaces | OsmRule::Buildings => &["multipolygons"],
        OsmRule::Services => &["points", "multipolygons"],
    }
}

/// `Some(())` when a feature with these OSM attributes belongs to the rule.
pub(crate) fn wanted(rule: OsmRule, attrs: &Map<String, Json>) -> Option<()> {
    map_attrs(rule, attrs).map(|_| ())
}

pub(crate) fn map_feature(rule: OsmRule, raw: RawFeature) -> Option<RawFeature> {
    let attrs = map_attrs(rule, &raw.attrs)?;
    let geometry = match (rule, raw.geometry?) {
        (OsmRule::Services, g @ geo_types::Geometry::Point(_)) => g,
        (OsmRule::Services, g) => geo_types::Geometry::Point(g.interior_point()?),
        (_, g) => g,
    };
    Some(RawFeature {
        row: raw.row,
        geometry: Some(geometry),
        attrs,
        repaired: raw.repaired,
    })
}

/// The kind's attributes of an OSM feature, or `None` when the rule does not take it.
fn map_attrs(rule: OsmRule, raw_attrs: &Map<String, Json>) -> Option<Map<String, Json>> {
    let tags = raw_attrs
        .get("other_tags")
        .and_then(Json::as_str)
        .map(parse_other_tags)
        .unwrap_or_default();
    let a = raw_attrs;
    let osm_id = text(a, &tags, "osm_id")
        .or_else(|| text(a, &tags, "osm_way_id"))
        .unwrap_or("")
        .to_owned();
    let name = text(a, &tags, "name").map(str::to_owned);
    let mut attrs = match rule {
        OsmRule::Roads => {
            let highway = text(a, &tags, "highway")?;
            let mut o = json!({"highway": highway, "name": name});
            // The step-free profile's barrier tags (walk_profiles.json), where a way has them.
            for k in ["wheelchair", "kerb"] {
                if let (Some(v), Some(obj)) = (text(a, &tags, k), o.as_object_mut()) {
                    obj.insert(k.into(), Json::String(v.to_owned()));
                }
            }
            o
        }
        OsmRule::Cycleways => {
            (text(a, &tags, "highway")? == "cycleway").then_some(())?;
            json!({"name": name, "status": "existing", "facility": "off_street_path"})
        }
        OsmRule::GreenSpaces => {
            let leisure = text(a, &tags, "leisure").unwrap_or("");
            let landuse = text(a, &tags, "landuse").unwrap_or("");
            let natural = text(a, &tags, "natural").unwrap_or("");
            let category = match (leisure, landuse, natural) {
                ("park", _, _) => "park",
                ("garden" | "recreation_ground", _, _) => "other",
                (_, "grass" | "recreation_ground" | "village_green" | "forest" | "meadow", _) => "other",
                (_, _, "wood" | "scrub") => "other",
                _ => return None,
            };
            let private = matches!(text(a, &tags, "access"), Some("private" | "no"));
            let public =
                !private && (matches!(leisure, "park" | "garden" | "recreation_ground") || landuse == "village_green");
            json!({"name": name, "category": category, "public_access": public})
        }
        OsmRule::Services => {
            let amenity = text(a, &tags, "amenity").unwrap_or("");
            let highway = text(a, &tags, "highway").unwrap_or("");
            let category = match (amenity, highway) {
                ("school", _) => "school",
                ("kindergarten", _) => "kindergarten",
                ("clinic" | "doctors", _) => "clinic",
                ("hospital", _) => "hospital",
                ("pharmacy", _) => "pharmacy",
                (_, "bus_stop") => "bus_stop",
                _ => return None,
            };
            json!({"category": category, "name": name})
        }
        OsmRule::Buildings => {
            let building = text(a, &tags, "building")?;
            let levels = text(a, &tags, "building:levels").and_then(|l| l.trim().parse::<i64>().ok());
            json!({"building": building, "levels": levels})
        }
    };
    if let Some(obj) = attrs.as_object_mut() {
        obj.insert("osm_id".into(), Json::String(osm_id));
        // Names in the city's three languages, where OSM has them (roads, places, parks).
        if matches!(rule, OsmRule::Roads | OsmRule::Services | OsmRule::GreenSpaces) {
            for lang in ["kk", "ru", "en"] {
                if let Some(n) = text(a, &tags, &format!("name:{lang}")) {
                    obj.insert(format!("name_{lang}"), Json::String(n.to_owned()));
                }
            }
        }
    }
    attrs.as_object().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_other_tags_with_escapes() {
        let t = parse_other_tags(r#""amenity"=>"school","name:en"=>"School \"No. 5\"""#);
        assert_eq!(t.get("amenity"), Some(&json!("school")));
        assert_eq!(t.get("name:en"), Some(&json!("School \"No. 5\"")));
    }

    #[test]
    fn keeps_names_in_three_languages() {
        let raw = json!({"osm_id": "7", "name": "Абая", "other_tags": r#""highway"=>"primary","name:kk"=>"Абай даңғылы","name:ru"=>"проспект Абая","name:en"=>"Abay Avenue","name:de"=>"Abai-Prospekt""#});
        let a = map_attrs(OsmRule::Roads, raw.as_object().unwrap()).unwrap();
        assert_eq!(a.get("name_kk"), Some(&json!("Абай даңғылы")));
        assert_eq!(a.get("name_ru"), Some(&json!("проспект Абая")));
        assert_eq!(a.get("name_en"), Some(&json!("Abay Avenue")));
        assert_eq!(a.get("name"), Some(&json!("Абая")));
        assert!(!a.contains_key("name_de"), "only the city's languages are kept");
        // Buildings keep no names.
        let b = json!({"osm_id": "8", "other_tags": r#""building"=>"yes","name:ru"=>"дом""#});
        assert!(
            !map_attrs(OsmRule::Buildings, b.as_object().unwrap())
                .unwrap()
                .contains_key("name_ru")
        );
    }
}
