//! The load side of change sets: which key a mode uses (checked before the file is read),
//! and how a change is told to a person.

use std::fmt::Write;

use qala_core::LayerKind;
use qala_store::{ChangeMode, ChangeSample, ChangeSummary};

use crate::LoadError;

/// The kind's field named `key`; required by upsert and delete, optional otherwise (it
/// then only labels the preview's samples).
pub(crate) fn resolve_key(
    mode: ChangeMode,
    key: Option<&str>,
    kind: LayerKind,
) -> Result<Option<&'static str>, LoadError> {
    match key {
        None if mode.needs_key() => Err(LoadError::KeyRequired { mode: mode.name() }),
        None => Ok(None),
        Some(k) => match kind.field(k) {
            Some(def) => Ok(Some(def.name)),
            None => Err(LoadError::UnknownKeyField {
                key: k.to_owned(),
                kind: kind.name(),
                fields: match kind.fields() {
                    [] => "none (its attributes are untyped; use a typed kind to match by a field)".into(),
                    fields => fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
                },
            }),
        },
    }
}

/// "change set (upsert by name): 1 added, 1 changed, 0 removed" and the samples.
pub(crate) fn render_change(s: &mut String, c: &ChangeSummary) {
    let by = c.key.as_deref().map(|k| format!(" by {k}")).unwrap_or_default();
    let _ = writeln!(
        s,
        "change set ({}{by}): {} added, {} changed, {} removed",
        c.mode.name(),
        c.added,
        c.changed,
        c.removed
    );
    for (what, sample, total) in [
        ("added", &c.added_sample, c.added),
        ("changed", &c.changed_sample, c.changed),
        ("removed", &c.removed_sample, c.removed),
    ] {
        if sample.is_empty() {
            continue;
        }
        let listed: Vec<String> = sample.iter().map(describe).collect();
        let more = total.saturating_sub(sample.len() as u64);
        let tail = if more > 0 {
            format!(" … and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(s, "  {what}: {}{tail}", listed.join("; "));
    }
}

fn describe(x: &ChangeSample) -> String {
    match &x.key {
        Some(k) => format!("{k:?} (row {})", x.source_row),
        None => format!("row {}", x.source_row),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_and_delete_need_a_key_of_the_kind() {
        let e = resolve_key(ChangeMode::Upsert, None, LayerKind::BikeLane).unwrap_err();
        assert_eq!(e.code(), "key_required");
        let e = resolve_key(ChangeMode::Delete, Some("colour"), LayerKind::BikeLane).unwrap_err();
        assert_eq!(e.code(), "unknown_key_field");
        assert!(e.to_string().contains("status"), "{e}");
        assert_eq!(
            resolve_key(ChangeMode::Append, None, LayerKind::BikeLane).unwrap(),
            None
        );
        assert_eq!(
            resolve_key(ChangeMode::Upsert, Some("name"), LayerKind::BikeLane).unwrap(),
            Some("name")
        );
    }

    #[test]
    fn a_change_is_told_with_counts_and_samples() {
        let c = ChangeSummary {
            mode: ChangeMode::Upsert,
            key: Some("name".into()),
            added: 7,
            changed: 1,
            removed: 0,
            added_sample: (1..=5)
                .map(|r| ChangeSample {
                    key: Some(format!("lane {r}")),
                    source_row: r,
                })
                .collect(),
            changed_sample: vec![ChangeSample {
                key: Some("Abay".into()),
                source_row: 8,
            }],
            removed_sample: Vec::new(),
            geometries: None,
        };
        let mut s = String::new();
        render_change(&mut s, &c);
        assert!(
            s.starts_with("change set (upsert by name): 7 added, 1 changed, 0 removed"),
            "{s}"
        );
        assert!(s.contains("\"lane 5\" (row 5) … and 2 more"), "{s}");
        assert!(s.contains("changed: \"Abay\" (row 8)\n"), "{s}");
        assert!(!s.contains("removed:"), "{s}");
    }
}
