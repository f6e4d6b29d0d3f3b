//! Attribute values and their validation against a kind's [`FieldDef`]s.

use chrono::NaiveDate;
use serde_json::{Map, Value as Json};

use crate::kind::{FieldDef, FieldRule, FieldType, LayerKind};
use crate::problem_code::ProblemCode;

/// A typed attribute value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    TextList(Vec<String>),
}

/// Why one attribute of one feature was refused.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldIssue {
    pub field: String,
    /// Why, as a stable code (the reason below says it in English, with details).
    pub code: ProblemCode,
    /// The offending value as it was read, for the report.
    pub value: String,
    pub reason: String,
    pub hint: Option<String>,
}

impl FieldIssue {
    fn new(field: &str, value: &Json, code: ProblemCode, reason: impl Into<String>, hint: Option<String>) -> Self {
        // A missing value is shown as nothing, not as the word `null`.
        let value = match value {
            Json::Null => String::new(),
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        FieldIssue {
            field: field.to_owned(),
            code,
            value,
            reason: reason.into(),
            hint,
        }
    }
}

/// Typed values of one feature, in the order of its kind's fields, plus the attributes
/// the kind does not type (kept as jsonb).
#[derive(Debug, Clone, PartialEq)]
pub struct TypedAttributes {
    pub values: Vec<Value>,
    pub props: Map<String, Json>,
}

impl LayerKind {
    /// Converts raw attributes (as read from a file) to this kind's typed values, checking
    /// every rule. `today` decides what "in the future" means. All issues are returned,
    /// not just the first.
    ///
    /// ```
    /// use qala_core::LayerKind;
    /// let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    /// let attrs = serde_json::json!({"status": "maybe", "facility": "painted"});
    /// let err = LayerKind::BikeLane.typed_attributes(attrs.as_object().unwrap(), today).unwrap_err();
    /// assert_eq!(err[0].field, "status");
    /// ```
    pub fn typed_attributes(
        self,
        attrs: &Map<String, Json>,
        today: NaiveDate,
    ) -> Result<TypedAttributes, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut values = Vec::with_capacity(self.fields().len());
        for def in self.fields() {
            let raw = attrs.get(def.name).unwrap_or(&Json::Null);
            match convert(def, raw, today) {
                Ok(v) => values.push(v),
                Err(issue) => {
                    issues.push(issue);
                    values.push(Value::Null);
                }
            }
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        let props = attrs
            .iter()
            .filter(|(k, _)| self.field(k).is_none())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(TypedAttributes { values, props })
    }
}

impl LayerKind {
    /// One field's value, converted and checked as [`LayerKind::typed_attributes`] does,
    /// for a change set's key: a blank key is refused even where the field is optional.
    ///
    /// ```
    /// use qala_core::{LayerKind, Value};
    /// let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    /// let v = LayerKind::BikeLane.key_value("name", &serde_json::json!(" Abay "), today).unwrap();
    /// assert_eq!(v, Value::Text("Abay".into()));
    /// assert!(LayerKind::BikeLane.key_value("name", &serde_json::json!(""), today).is_err());
    /// ```
    pub fn key_value(self, field: &str, raw: &Json, today: NaiveDate) -> Result<Value, FieldIssue> {
        let Some(def) = self.field(field) else {
            return Err(FieldIssue::new(
                field,
                raw,
                ProblemCode::UnknownValue,
                format!("a {} layer has no field {field}", self.name()),
                None,
            ));
        };
        if is_blank(raw) {
            return Err(FieldIssue::new(
                def.name,
                raw,
                ProblemCode::Missing,
                "the key value is missing",
                Some(format!("each row names a feature to remove by its {}", def.name)),
            ));
        }
        convert(def, raw, today)
    }
}

fn is_blank(raw: &Json) -> bool {
    match raw {
        Json::Null => true,
        Json::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn convert(def: &FieldDef, raw: &Json, today: NaiveDate) -> Result<Value, FieldIssue> {
    if is_blank(raw) {
        if def.required {
            return Err(FieldIssue::new(
                def.name,
                raw,
                ProblemCode::Missing,
                "required value is missing",
                Some(missing_hint(def)),
            ));
        }
        return Ok(Value::Null);
    }
    let value = match def.ty {
        FieldType::Text => Value::Text(match raw {
            Json::String(s) => s.trim().to_owned(),
            other => other.to_string(),
        }),
        FieldType::Int => Value::Int(
            as_int(raw)
                .ok_or_else(|| FieldIssue::new(def.name, raw, ProblemCode::NotInt, "not a whole number", None))?,
        ),
        FieldType::Float => Value::Float(
            as_float(raw)
                .ok_or_else(|| FieldIssue::new(def.name, raw, ProblemCode::NotNumber, "not a finite number", None))?,
        ),
        FieldType::Bool => Value::Bool(as_bool(raw).ok_or_else(|| {
            FieldIssue::new(
                def.name,
                raw,
                ProblemCode::NotBool,
                "not a yes/no value",
                Some("use true/false, yes/no or 1/0".into()),
            )
        })?),
        FieldType::Date => Value::Date(as_date(raw).ok_or_else(|| {
            FieldIssue::new(
                def.name,
                raw,
                ProblemCode::NotDate,
                "not a date",
                Some("use ISO 8601, e.g. 2024-05-31".into()),
            )
        })?),
        FieldType::TextList => Value::TextList(as_list(raw)),
    };
    check_rule(def, raw, &value, today)?;
    Ok(value)
}

/// What to do about a missing required value: the allowed codes when there is a list, and
/// the way to give every feature the same value.
fn missing_hint(def: &FieldDef) -> String {
    match def.rule {
        FieldRule::OneOf(allowed) => format!(
            "add a '{}' attribute ({}), one of: {}; or set it for every feature with --set {}=VALUE",
            def.name,
            def.doc,
            allowed.join(", "),
            def.name
        ),
        _ => format!(
            "add a '{}' attribute ({}); or set it for every feature with --set {}=VALUE",
            def.name, def.doc, def.name
        ),
    }
}

fn check_rule(def: &FieldDef, raw: &Json, value: &Value, today: NaiveDate) -> Result<(), FieldIssue> {
    match (def.rule, value) {
        (FieldRule::OneOf(allowed), Value::Text(s)) if !allowed.contains(&s.as_str()) => Err(FieldIssue::new(
            def.name,
            raw,
            ProblemCode::UnknownValue,
            format!("unknown {}", def.name.replace('_', " ")),
            Some(format!("use one of: {}", allowed.join(", "))),
        )),
        (FieldRule::AllOf(allowed), Value::TextList(items)) => {
            if items.is_empty() {
                return Err(FieldIssue::new(
                    def.name,
                    raw,
                    ProblemCode::EmptyList,
                    "empty list",
                    Some(format!("use some of: {}", allowed.join(", "))),
                ));
            }
            match items.iter().find(|i| !allowed.contains(&i.as_str())) {
                Some(bad) => Err(FieldIssue::new(
                    def.name,
                    raw,
                    ProblemCode::UnknownValue,
                    format!("unknown code {bad:?}"),
                    Some(format!("use some of: {}", allowed.join(", "))),
                )),
                None => Ok(()),
            }
        }
        (FieldRule::Range(min, max), Value::Int(i)) if (*i as f64) < min || (*i as f64) > max => {
            Err(range_issue(def, raw, min, max))
        }
        (FieldRule::Range(min, max), Value::Float(x)) if *x < min || *x > max => Err(range_issue(def, raw, min, max)),
        (FieldRule::NotInFuture, Value::Date(d)) if *d > today => Err(FieldIssue::new(
            def.name,
            raw,
            ProblemCode::FutureDate,
            format!("date is in the future (today is {today})"),
            Some("check the year and the day/month order".into()),
        )),
        _ => Ok(()),
    }
}

fn range_issue(def: &FieldDef, raw: &Json, min: f64, max: f64) -> FieldIssue {
    let reason = if as_float(raw).is_some_and(|v| v < 0.0) && min >= 0.0 {
        "negative value".to_owned()
    } else {
        format!("out of range {min}..={max}")
    };
    FieldIssue::new(
        def.name,
        raw,
        ProblemCode::OutOfRange,
        reason,
        Some(format!("{} must be between {min} and {max}", def.name)),
    )
}

fn as_float(raw: &Json) -> Option<f64> {
    let v = match raw {
        Json::Number(n) => n.as_f64()?,
        Json::String(s) => s.trim().replace(',', ".").parse::<f64>().ok()?,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

fn as_int(raw: &Json) -> Option<i64> {
    match raw {
        Json::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
        }),
        Json::String(s) => {
            let t = s.trim();
            t.parse::<i64>().ok().or_else(|| {
                let f = t.parse::<f64>().ok()?;
                (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
            })
        }
        _ => None,
    }
}

fn as_bool(raw: &Json) -> Option<bool> {
    match raw {
        Json::Bool(b) => Some(*b),
        Json::Number(n) => match n.as_i64()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "t" | "да" | "иә" => Some(true),
            "false" | "no" | "n" | "0" | "f" | "нет" | "жоқ" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn as_date(raw: &Json) -> Option<NaiveDate> {
    let s = raw.as_str()?.trim();
    // GDAL renders date fields as "2024/05/31"; timestamps carry a time part we drop.
    let day = s.get(..10).unwrap_or(s).replace('/', "-");
    NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok()
}

fn as_list(raw: &Json) -> Vec<String> {
    match raw {
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::String(s) => s.trim().to_owned(),
                other => other.to_string(),
            })
            .filter(|s| !s.is_empty())
            .collect(),
        Json::String(s) => s
            .split([',', ';', '|'])
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
    }

    #[test]
    fn planting_negative_count_and_future_date_both_reported() {
        let attrs = json!({"trees_planted": -3, "planted_on": "2030-01-01"});
        let issues = LayerKind::TreePlanting
            .typed_attributes(attrs.as_object().unwrap(), today())
            .unwrap_err();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].field, "trees_planted");
        assert_eq!(issues[0].reason, "negative value");
        assert_eq!(issues[1].field, "planted_on");
        assert!(issues[1].reason.contains("future"));
    }

    #[test]
    fn a_missing_category_lists_the_allowed_values_and_is_not_shown_as_null() {
        let attrs = json!({"name": "City hospital No. 4"});
        let err = LayerKind::Service
            .typed_attributes(attrs.as_object().unwrap(), today())
            .unwrap_err();
        assert_eq!(err[0].field, "category");
        assert_eq!(err[0].value, "");
        let hint = err[0].hint.as_deref().unwrap();
        assert!(hint.contains("hospital") && hint.contains("pharmacy"), "{hint}");
        assert!(hint.contains("--set category=VALUE"), "{hint}");
    }

    #[test]
    fn numeric_text_becomes_a_number_where_the_field_is_numeric() {
        let attrs = json!({"category": "hospital", "capacity": " 120 "});
        let t = LayerKind::Service
            .typed_attributes(attrs.as_object().unwrap(), today())
            .unwrap();
        let i = LayerKind::Service
            .fields()
            .iter()
            .position(|f| f.name == "capacity")
            .unwrap();
        assert_eq!(t.values[i], Value::Int(120));
    }

    #[test]
    fn extra_attributes_go_to_props_and_strings_are_coerced() {
        let attrs = json!({"category": "school", "capacity": "1200", "osm_id": 42});
        let t = LayerKind::Service
            .typed_attributes(attrs.as_object().unwrap(), today())
            .unwrap();
        assert_eq!(
            t.values,
            vec![
                Value::Text("school".into()),
                Value::Null,
                Value::Int(1200),
                Value::Null,
                Value::Null,
                Value::Null
            ]
        );
        assert_eq!(t.props.get("osm_id"), Some(&json!(42)));
    }

    #[test]
    fn sign_languages_from_comma_list() {
        let attrs = json!({"sign_type": "map", "languages": "kk, ru,en"});
        let t = LayerKind::NavSign
            .typed_attributes(attrs.as_object().unwrap(), today())
            .unwrap();
        assert_eq!(
            t.values[1],
            Value::TextList(vec!["kk".into(), "ru".into(), "en".into()])
        );
        let bad = json!({"sign_type": "map", "languages": "kk,de"});
        let issues = LayerKind::NavSign
            .typed_attributes(bad.as_object().unwrap(), today())
            .unwrap_err();
        assert!(issues[0].reason.contains("\"de\""));
    }
}
