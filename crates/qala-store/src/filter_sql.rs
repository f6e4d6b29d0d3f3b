//! A [`Filter`] as a SQL condition on the alias `t`: columns come from the kind's field
//! definitions (fixed by the project), every value is a bind parameter.

use chrono::NaiveDate;
use geozero::{CoordDimensions, ToWkb};
use qala_core::FieldType;
use qala_core::filter::{Filter, Scalar, TemporalOp};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;

use crate::StoreError;

/// One bind parameter.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    Bytes(Vec<u8>),
}

impl From<&Scalar> for Bind {
    fn from(s: &Scalar) -> Bind {
        match s {
            Scalar::Int(v) => Bind::Int(*v),
            Scalar::Float(v) => Bind::Float(*v),
            Scalar::Text(v) => Bind::Text(v.clone()),
            Scalar::Bool(v) => Bind::Bool(*v),
            Scalar::Date(v) => Bind::Date(*v),
        }
    }
}

/// SQL text with its parameters, numbered from `offset + 1`.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
    offset: usize,
}

impl Sql {
    pub fn starting_after(offset: usize) -> Sql {
        Sql {
            offset,
            ..Sql::default()
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub fn param(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.offset + self.binds.len())
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
}

/// Binds `binds` in order.
pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Postgres, PgArguments>,
    binds: &'q [Bind],
) -> Query<'q, Postgres, PgArguments> {
    for b in binds {
        q = match b {
            Bind::Int(v) => q.bind(*v),
            Bind::Float(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.as_str()),
            Bind::Bool(v) => q.bind(*v),
            Bind::Date(v) => q.bind(*v),
            Bind::Bytes(v) => q.bind(v.as_slice()),
        };
    }
    q
}

/// The condition `f` as SQL, its values added to `sql`'s parameters.
pub(crate) fn condition(f: &Filter, sql: &mut Sql) -> Result<String, StoreError> {
    let col = |name: &str| format!("t.\"{name}\"");
    Ok(match f {
        Filter::Const(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Filter::And(v) | Filter::Or(v) => {
            let (join, empty) = if matches!(f, Filter::And(_)) {
                (" AND ", "TRUE")
            } else {
                (" OR ", "FALSE")
            };
            if v.is_empty() {
                return Ok(empty.to_owned());
            }
            let parts = v.iter().map(|c| condition(c, sql)).collect::<Result<Vec<_>, _>>()?;
            format!("({})", parts.join(join))
        }
        Filter::Not(c) => format!("(NOT {})", condition(c, sql)?),
        Filter::Compare { field, op, value } => {
            let p = sql.param(value.into());
            if field.ty == FieldType::TextList {
                // A list "equals" a code when it contains it.
                let any = format!("({p} = ANY({}))", col(field.name));
                match op {
                    qala_core::filter::CmpOp::Ne => format!("(NOT {any})"),
                    _ => any,
                }
            } else {
                format!("({} {} {p})", col(field.name), op.sql())
            }
        }
        Filter::Like {
            field,
            pattern,
            case_insensitive,
        } => {
            let p = sql.param(Bind::Text(pattern.clone()));
            let op = if *case_insensitive { "ILIKE" } else { "LIKE" };
            format!("({} {op} {p})", col(field.name))
        }
        Filter::EqualsIgnoreCase { field, value } => {
            let p = sql.param(Bind::Text(value.clone()));
            format!("(lower({}) = lower({p}))", col(field.name))
        }
        Filter::In { field, values } => {
            if values.is_empty() {
                // Unknown for a missing value, false otherwise, like `x IN ()` would be.
                return Ok(format!("({0} <> {0})", col(field.name)));
            }
            let ps: Vec<String> = values.iter().map(|v| sql.param(v.into())).collect();
            if field.ty == FieldType::TextList {
                let any: Vec<String> = ps.iter().map(|p| format!("{p} = ANY({})", col(field.name))).collect();
                format!("({})", any.join(" OR "))
            } else {
                format!("({} IN ({}))", col(field.name), ps.join(", "))
            }
        }
        Filter::Between { field, low, high } => {
            let (a, b) = (sql.param(low.into()), sql.param(high.into()));
            format!("({} BETWEEN {a} AND {b})", col(field.name))
        }
        Filter::IsNull(field) => format!("({} IS NULL)", col(field.name)),
        Filter::Spatial { op, geometry } => {
            let wkb = geometry.to_wkb(CoordDimensions::xy()).map_err(StoreError::Wkb)?;
            let p = sql.param(Bind::Bytes(wkb));
            format!("{}(t.geom, ST_GeomFromWKB({p}, 4326))", op.postgis())
        }
        Filter::Temporal { field, op, start, end } => {
            let c = col(field.name);
            // `c <> c` is unknown where the date is missing and false elsewhere: "never".
            let never = format!("({c} <> {c})");
            match op {
                TemporalOp::Before => match start {
                    Some(s) => format!("({c} < {})", sql.param(Bind::Date(*s))),
                    None => never,
                },
                TemporalOp::After => match end {
                    Some(e) => format!("({c} > {})", sql.param(Bind::Date(*e))),
                    None => never,
                },
                TemporalOp::Equals => match (start, end) {
                    (Some(s), Some(e)) if s == e => format!("({c} = {})", sql.param(Bind::Date(*s))),
                    _ => never,
                },
                TemporalOp::During => {
                    let mut parts = vec![format!("({c} = {c})")];
                    if let Some(s) = start {
                        parts.push(format!("{c} > {}", sql.param(Bind::Date(*s))));
                    }
                    if let Some(e) = end {
                        parts.push(format!("{c} < {}", sql.param(Bind::Date(*e))));
                    }
                    format!("({})", parts.join(" AND "))
                }
                TemporalOp::Intersects | TemporalOp::Disjoint => {
                    let mut parts = vec![format!("({c} = {c})")];
                    if let Some(s) = start {
                        parts.push(format!("{c} >= {}", sql.param(Bind::Date(*s))));
                    }
                    if let Some(e) = end {
                        parts.push(format!("{c} <= {}", sql.param(Bind::Date(*e))));
                    }
                    let inside = format!("({})", parts.join(" AND "));
                    if *op == TemporalOp::Disjoint {
                        format!("(NOT {inside})")
                    } else {
                        inside
                    }
                }
            }
        }
    })
}
