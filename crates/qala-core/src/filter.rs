//! A feature filter already checked against a layer kind: the typed form of an OGC API
//! Features Part 3 (CQL2) expression. The server builds it from CQL2 text or JSON; the store
//! turns it into SQL with bound parameters; the server's memory path evaluates it. Both
//! paths read the same tree, so they cannot disagree on what an expression means.
//!
//! Properties are the kind's typed fields only (the queryables); literals have already been
//! converted to the field's type; geometries are WGS84 longitude/latitude.

use chrono::NaiveDate;

use crate::FieldDef;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether `ord` (left compared with right) satisfies the operator.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
}

/// A literal, already of the type of the field it is compared with (an integer field compared
/// with `2.5` gets a `Float`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
}

/// A spatial relation of DE-9IM (CQL2's `S_*` functions): the feature's geometry is the first
/// operand, the literal the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialOp {
    Intersects,
    Disjoint,
    Within,
    Contains,
    Touches,
    Crosses,
    Overlaps,
    Equals,
}

impl SpatialOp {
    /// The PostGIS function.
    pub fn postgis(self) -> &'static str {
        match self {
            SpatialOp::Intersects => "ST_Intersects",
            SpatialOp::Disjoint => "ST_Disjoint",
            SpatialOp::Within => "ST_Within",
            SpatialOp::Contains => "ST_Contains",
            SpatialOp::Touches => "ST_Touches",
            SpatialOp::Crosses => "ST_Crosses",
            SpatialOp::Overlaps => "ST_Overlaps",
            SpatialOp::Equals => "ST_Equals",
        }
    }
}

/// A temporal relation between a date field (a day) and a day or an interval of days
/// (CQL2's `T_*` functions). Days are whole: an instant on a date field is that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalOp {
    /// The day is before the start.
    Before,
    /// The day is after the end.
    After,
    /// The day is strictly inside the interval (Allen's "during").
    During,
    /// The day is inside the interval (ends included).
    Intersects,
    /// The day is outside the interval.
    Disjoint,
    /// The day equals an instant.
    Equals,
}

/// A filter on one kind's features.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Const(bool),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `field op value`; a feature without a value never passes (SQL's NULL logic).
    Compare {
        field: &'static FieldDef,
        op: CmpOp,
        value: Scalar,
    },
    /// `field LIKE pattern`: `%` any run, `_` one character, `\` escapes.
    Like {
        field: &'static FieldDef,
        pattern: String,
        case_insensitive: bool,
    },
    /// Text compared without regard to case (`CASEI(field) = CASEI('…')`).
    EqualsIgnoreCase {
        field: &'static FieldDef,
        value: String,
    },
    In {
        field: &'static FieldDef,
        values: Vec<Scalar>,
    },
    Between {
        field: &'static FieldDef,
        low: Scalar,
        high: Scalar,
    },
    IsNull(&'static FieldDef),
    /// `op(geometry, literal)`, the literal in WGS84 lon/lat.
    Spatial {
        op: SpatialOp,
        geometry: geo_types::Geometry<f64>,
    },
    /// `op(field, [start, end])`; `None` is an open end; an instant has `start == end`.
    Temporal {
        field: &'static FieldDef,
        op: TemporalOp,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    },
}

impl Filter {
    /// The fields the filter reads.
    pub fn fields(&self) -> Vec<&'static FieldDef> {
        let mut out = Vec::new();
        self.visit_fields(&mut out);
        out
    }

    fn visit_fields(&self, out: &mut Vec<&'static FieldDef>) {
        match self {
            Filter::Const(_) | Filter::Spatial { .. } => {}
            Filter::And(v) | Filter::Or(v) => v.iter().for_each(|f| f.visit_fields(out)),
            Filter::Not(f) => f.visit_fields(out),
            Filter::Compare { field, .. }
            | Filter::Like { field, .. }
            | Filter::EqualsIgnoreCase { field, .. }
            | Filter::In { field, .. }
            | Filter::Between { field, .. }
            | Filter::Temporal { field, .. }
            | Filter::IsNull(field) => out.push(field),
        }
    }
}

/// Whether `text` matches a CQL2 `LIKE` pattern (`%`, `_`, `\` escapes), as PostgreSQL's
/// `LIKE` (or `ILIKE` when `case_insensitive`) does.
pub fn like_matches(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Char(char),
    }
    let fold = |c: char| -> char {
        if case_insensitive {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Char(fold(chars.next().unwrap_or('\\'))),
            c => Tok::Char(fold(c)),
        });
    }
    let text: Vec<char> = text.chars().map(fold).collect();
    // Classic wildcard matching with backtracking on the last `%`.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p.min(toks.len())..].iter().all(|k| *k == Tok::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_sql() {
        assert!(like_matches("Ab%", "Abai avenue", false));
        assert!(!like_matches("ab%", "Abai avenue", false));
        assert!(like_matches("ab%", "Abai avenue", true));
        assert!(like_matches("%АБА%", "проспект Абая", true));
        assert!(like_matches("_bai", "Abai", false));
        assert!(!like_matches("_bai", "Abaii", false));
        assert!(like_matches("100\\%", "100%", false));
        assert!(!like_matches("100\\%", "1000", false));
        assert!(like_matches("%", "", false));
        assert!(!like_matches("_", "", false));
        assert!(like_matches("a%b%c", "axxbyyc", false));
        assert!(!like_matches("a%b%c", "axxbyy", false));
    }
}
