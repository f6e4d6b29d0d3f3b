//! The per-feature report: every problem names the feature, the field, the value and why.

pub use qala_core::ProblemCode;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The feature cannot be loaded; the whole load is refused.
    Error,
    /// Loaded, but worth a look (e.g. far outside Almaty).
    Warning,
    /// The geometry was invalid and was repaired before loading.
    Repaired,
}

/// One problem with one feature.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// 1-based feature number in the source layer (for a CSV, the data line number).
    pub row: u64,
    pub severity: Severity,
    /// The attribute concerned, or `geometry`.
    pub field: String,
    /// Why, as a stable code the web app words in kk/ru/en; `reason` says it in English
    /// with the details.
    pub code: ProblemCode,
    /// The offending value as read (shortened when long).
    pub value: String,
    pub reason: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn error(
        row: u64,
        field: &str,
        value: impl Into<String>,
        code: ProblemCode,
        reason: impl Into<String>,
    ) -> Self {
        Problem {
            row,
            severity: Severity::Error,
            field: field.to_owned(),
            code,
            value: shorten(value.into()),
            reason: reason.into(),
            hint: None,
        }
    }

    pub fn warning(
        row: u64,
        field: &str,
        value: impl Into<String>,
        code: ProblemCode,
        reason: impl Into<String>,
    ) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(row, field, value, code, reason)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl From<(u64, qala_core::FieldIssue)> for Problem {
    fn from((row, i): (u64, qala_core::FieldIssue)) -> Self {
        Problem {
            row,
            severity: Severity::Error,
            field: i.field,
            code: i.code,
            value: shorten(i.value),
            reason: i.reason,
            hint: i.hint,
        }
    }
}

/// Values in reports are cut at 120 characters: a 5 MB WKT string helps nobody.
fn shorten(s: String) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        return s;
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}
