//! The engine's input (served layers in WGS84, as `qala_store::read` returns them) and
//! their in-memory form: geometry in UTM 43N behind an R-tree, attributes in columns.

use chrono::NaiveDate;
use geo::Area;
use geo_types::Geometry;
use qala_core::{Feature, FieldType, LayerKind, Value};
use serde_json::{Map, Value as Json};

use crate::indicator_def::FeatureFilter;
use crate::project::Projector;
use crate::{EngineError, SpatialIndex};

/// One served layer, as read from the store: WGS84 lon/lat geometry and the kind's typed
/// values in field order (`Feature::values`), extra attributes in `Feature::props`.
#[derive(Debug)]
pub struct SourceLayer {
    pub slug: String,
    pub kind: LayerKind,
    /// The `layer_version_id` served; results name it so a figure can be traced.
    pub layer_version_id: i64,
    pub features: Features,
}

/// A layer's features in source row order: held in a vector, or made one at a time from
/// another copy of the layer (the server's memory), so that the engine indexes a layer
/// without its whole input ever existing at once.
pub struct Features {
    len: usize,
    iter: Box<dyn Iterator<Item = Feature> + Send>,
}

impl Features {
    /// `len` features made by `iter`, in source row order.
    pub fn made(len: usize, iter: impl Iterator<Item = Feature> + Send + 'static) -> Features {
        Features {
            len,
            iter: Box::new(iter),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl From<Vec<Feature>> for Features {
    fn from(v: Vec<Feature>) -> Features {
        Features::made(v.len(), v.into_iter())
    }
}

impl IntoIterator for Features {
    type Item = Feature;
    type IntoIter = Box<dyn Iterator<Item = Feature> + Send>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter
    }
}

impl std::fmt::Debug for Features {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Features({})", self.len)
    }
}

/// A typed attribute column. Compact on purpose: benchmark layers have millions of rows.
/// Text is dictionary-coded (species, statuses and permit numbers repeat), numbers keep a
/// separate null mask instead of an `Option` twice their size.
pub(crate) enum Column {
    Text {
        codes: Vec<u32>,
        dict: Vec<Box<str>>,
        by_text: std::collections::HashMap<Box<str>, u32>,
    },
    Int(Nullable<i64>),
    Float(Nullable<f64>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<NaiveDate>>),
    TextList(Vec<Vec<String>>),
}

/// The code of a null text.
const NO_TEXT: u32 = u32::MAX;

/// Values and whether each is present.
pub(crate) struct Nullable<T> {
    values: Vec<T>,
    present: Vec<bool>,
}

impl<T: Copy + Default> Nullable<T> {
    fn with_capacity(n: usize) -> Self {
        Nullable {
            values: Vec::with_capacity(n),
            present: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, v: Option<T>) {
        self.values.push(v.unwrap_or_default());
        self.present.push(v.is_some());
    }

    fn get(&self, i: usize) -> Option<T> {
        self.present[i].then(|| self.values[i])
    }
}

impl Column {
    fn new(ty: FieldType, n: usize) -> Column {
        match ty {
            FieldType::Text => Column::Text {
                codes: Vec::with_capacity(n),
                dict: Vec::new(),
                by_text: Default::default(),
            },
            FieldType::Int => Column::Int(Nullable::with_capacity(n)),
            FieldType::Float => Column::Float(Nullable::with_capacity(n)),
            FieldType::Bool => Column::Bool(Vec::with_capacity(n)),
            FieldType::Date => Column::Date(Vec::with_capacity(n)),
            FieldType::TextList => Column::TextList(Vec::with_capacity(n)),
        }
    }

    fn push(&mut self, v: Option<&Value>) {
        match (self, v) {
            (Column::Text { codes, dict, by_text }, Some(Value::Text(s))) => {
                let code = match by_text.get(s.as_str()) {
                    Some(&c) => c,
                    None => {
                        let c = dict.len() as u32;
                        dict.push(s.as_str().into());
                        by_text.insert(s.as_str().into(), c);
                        c
                    }
                };
                codes.push(code);
            }
            (Column::Text { codes, .. }, _) => codes.push(NO_TEXT),
            (Column::Int(c), Some(Value::Int(i))) => c.push(Some(*i)),
            (Column::Int(c), Some(Value::Float(f))) => c.push(Some(*f as i64)),
            (Column::Int(c), _) => c.push(None),
            (Column::Float(c), Some(Value::Float(f))) => c.push(Some(*f)),
            (Column::Float(c), Some(Value::Int(i))) => c.push(Some(*i as f64)),
            (Column::Float(c), _) => c.push(None),
            (Column::Bool(c), Some(Value::Bool(b))) => c.push(Some(*b)),
            (Column::Bool(c), _) => c.push(None),
            (Column::Date(c), Some(Value::Date(d))) => c.push(Some(*d)),
            (Column::Date(c), _) => c.push(None),
            (Column::TextList(c), Some(Value::TextList(l))) => c.push(l.clone()),
            (Column::TextList(c), _) => c.push(Vec::new()),
        }
    }

    /// Drops what was only needed while pushing.
    fn finish(&mut self) {
        if let Column::Text { by_text, dict, .. } = self {
            *by_text = Default::default();
            dict.shrink_to_fit();
        }
    }

    fn str_at(&self, i: usize) -> Option<&str> {
        match self {
            Column::Text { codes, dict, .. } => dict.get(codes[i] as usize).map(|s| &**s),
            _ => None,
        }
    }

    /// The value as text, for filters (`true`, `park`, `2027`); `None` for null.
    fn text(&self, i: usize) -> Option<String> {
        match self {
            Column::Text { .. } => self.str_at(i).map(str::to_owned),
            Column::Int(c) => c.get(i).map(|v| v.to_string()),
            Column::Float(c) => c.get(i).map(|v| v.to_string()),
            Column::Bool(c) => c[i].map(|v| v.to_string()),
            Column::Date(c) => c[i].map(|v| v.to_string()),
            Column::TextList(c) => Some(c[i].join(",")),
        }
    }
}

/// The extra attributes kept for roads (see [`LayerData::extras`]).
const EXTRA_FIELDS: [&str; 2] = ["wheelchair", "kerb"];

/// Whether the engine reads the untyped attribute `key` of a feature of `kind`
/// (`qala_core::Feature::props`): every one of a generic layer, a road's `wheelchair` and `kerb`, no
/// other. A caller may leave the others out of its features (they are dropped unread).
pub fn reads_untyped_attribute(kind: LayerKind, key: &str) -> bool {
    match kind {
        LayerKind::Generic => true,
        LayerKind::Road => EXTRA_FIELDS.contains(&key),
        _ => false,
    }
}

/// One layer in memory.
pub(crate) struct LayerData {
    pub slug: String,
    pub kind: LayerKind,
    pub rows: Vec<u64>,
    pub columns: Vec<Column>,
    /// Untyped attributes; kept for generic layers only (the typed kinds' extras are not
    /// used by any indicator, and benchmark layers have millions of rows).
    pub props: Vec<Map<String, Json>>,
    /// The extra attributes an indicator reads from a typed kind: a road's OSM `wheelchair`
    /// and `kerb` (the step-free profile's barriers), per feature, empty for other kinds.
    pub extras: Vec<[Option<Box<str>>; 2]>,
    pub index: SpatialIndex,
}

impl LayerData {
    pub fn build(src: SourceLayer, fwd: &Projector) -> Result<LayerData, EngineError> {
        let fields = src.kind.fields();
        let n = src.features.len();
        let mut columns: Vec<Column> = fields.iter().map(|f| Column::new(f.ty, n)).collect();
        let mut rows = Vec::with_capacity(n);
        let mut geoms = Vec::with_capacity(n);
        let mut props = Vec::new();
        let keep_props = src.kind == LayerKind::Generic;
        let keep_extras = src.kind == LayerKind::Road;
        let mut extras = Vec::new();
        for f in src.features {
            if keep_extras {
                let get = |k: &str| f.props.get(k).and_then(Json::as_str).map(Box::from);
                extras.push([get(EXTRA_FIELDS[0]), get(EXTRA_FIELDS[1])]);
            }
            rows.push(f.row);
            geoms.push(fwd.geometry(&f.geometry)?);
            for (i, col) in columns.iter_mut().enumerate() {
                col.push(f.values.get(i));
            }
            if keep_props {
                props.push(f.props);
            }
        }
        columns.iter_mut().for_each(Column::finish);
        Ok(LayerData {
            slug: src.slug,
            kind: src.kind,
            rows,
            columns,
            props,
            extras,
            index: SpatialIndex::new(geoms),
        })
    }

    /// An extra attribute of a typed kind kept in [`LayerData::extras`] (`wheelchair`,
    /// `kerb` of a road), `None` when the feature has none.
    pub fn extra_ref(&self, field: &str, i: usize) -> Option<&str> {
        let k = EXTRA_FIELDS.iter().position(|f| *f == field)?;
        self.extras.get(i)?[k].as_deref()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    fn column(&self, field: &str) -> Option<&Column> {
        let pos = self.kind.fields().iter().position(|f| f.name == field)?;
        self.columns.get(pos)
    }

    /// The names a filter may use on this layer.
    pub fn field_names(&self) -> Vec<String> {
        if self.kind == LayerKind::Generic {
            let mut keys: Vec<String> = self.props.iter().flat_map(|p| p.keys().cloned()).collect();
            keys.sort();
            keys.dedup();
            keys
        } else {
            self.kind.fields().iter().map(|f| f.name.to_owned()).collect()
        }
    }

    /// Checks that every field a filter names exists on this layer.
    pub fn check_filter(&self, filter: &FeatureFilter) -> Result<(), EngineError> {
        let known = self.field_names();
        for eq in &filter.equals {
            if !known.contains(&eq.field) {
                return Err(EngineError::UnknownField {
                    slug: self.slug.clone(),
                    field: eq.field.clone(),
                    known: known.join(", "),
                });
            }
        }
        Ok(())
    }

    pub fn text(&self, field: &str, i: usize) -> Option<String> {
        if self.kind == LayerKind::Generic {
            return self.props.get(i).and_then(|p| p.get(field)).and_then(|v| match v {
                Json::Null => None,
                Json::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            });
        }
        self.column(field).and_then(|c| c.text(i))
    }

    /// A text attribute without copying it (typed kinds only).
    pub fn str_ref(&self, field: &str, i: usize) -> Option<&str> {
        self.column(field)?.str_at(i)
    }

    pub fn int(&self, field: &str, i: usize) -> Option<i64> {
        match self.column(field)? {
            Column::Int(c) => c.get(i),
            _ => None,
        }
    }

    pub fn float(&self, field: &str, i: usize) -> Option<f64> {
        match self.column(field)? {
            Column::Float(c) => c.get(i),
            Column::Int(c) => c.get(i).map(|v| v as f64),
            _ => None,
        }
    }

    pub fn date(&self, field: &str, i: usize) -> Option<NaiveDate> {
        match self.column(field)? {
            Column::Date(c) => c[i],
            _ => None,
        }
    }

    /// Whether feature `i` passes `filter`.
    pub fn passes(&self, filter: &FeatureFilter, i: usize) -> bool {
        for eq in &filter.equals {
            match self.text(&eq.field, i) {
                Some(v) if eq.any_of.iter().any(|a| a == &v) => {}
                _ => return false,
            }
        }
        if let Some(min) = filter.min_area_m2 {
            let area = self.index.geometry(i).map(|g| g.unsigned_area()).unwrap_or(0.0);
            if area < min {
                return false;
            }
        }
        true
    }

    /// The features passing `filter`, as a bitmap.
    pub fn mask(&self, filter: &FeatureFilter) -> Vec<bool> {
        (0..self.len()).map(|i| self.passes(filter, i)).collect()
    }
}

/// Whether `g` has area (for zone layers and area measures).
pub(crate) fn is_areal(g: &Geometry<f64>) -> bool {
    matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_) | Geometry::Rect(_))
}
