//! [`LoadOptions`]: what to load where, and how the file changes the layer.

use std::sync::Arc;

use qala_core::{LayerKind, LayerSlug};
use qala_ingest::{Cancel, Limits};
use qala_store::ChangeMode;

/// Called now and then with (rows read, total rows when known).
pub type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// What to load where. Build with [`LoadOptions::new`] and set what you need.
#[derive(Clone)]
pub struct LoadOptions {
    /// The layer to load into; created when it does not exist.
    pub layer: LayerSlug,
    /// Kind of a new layer. For an existing layer it may be omitted; if given it must match.
    pub kind: Option<LayerKind>,
    /// Source CRS when the file has none or a wrong one (`EPSG:32643`, any PROJ definition).
    pub crs: Option<String>,
    /// Attribute renames `(source, target)` applied before validation.
    pub map: Vec<(String, String)>,
    /// Constant attributes `(field, value)` set on every feature before validation.
    pub set: Vec<(String, String)>,
    /// How the file changes the layer: replace it (default), append, upsert or delete.
    pub mode: ChangeMode,
    /// The field that matches file features to served ones (upsert, delete).
    pub key: Option<String>,
    /// Upsert and delete name one served feature by its id instead of matching a key
    /// (OGC API Features Part 4), with the ETags the client accepts.
    pub edit: Option<qala_store::FeatureEdit>,
    /// Report the ids the file's features get (`LoadReport::feature_ids`).
    pub report_ids: bool,
    /// Compute and report the change, then write nothing.
    pub dry_run: bool,
    /// Load the valid features and report the invalid ones as skipped, instead of
    /// refusing the file.
    pub skip_invalid: bool,
    /// Layer of a multi-layer file (GeoPackage, KML).
    pub gpkg_layer: Option<String>,
    /// Refuse invalid polygons instead of repairing them.
    pub strict: bool,
    /// Who loads (a user name, `cli`), kept in the layer's history.
    pub created_by: String,
    /// The file's original name (uploads arrive as temp files); decides the format
    /// together with the content. Defaults to the path's file name.
    pub source_name: Option<String>,
    /// Title of a new layer (all three languages until translated); defaults to the slug.
    pub title: Option<String>,
    /// What one file may cost; `limits.max_seconds` bounds the whole load.
    pub limits: Limits,
    /// Cancel it to stop the load (client gone, server shutting down): the reader stops
    /// within one feature or raster block and nothing is written. Pass a child of a
    /// longer-lived signal to stop many loads at once.
    pub cancel: Cancel,
    /// What "today" is for date rules; defaults to the current UTC date.
    pub today: Option<chrono::NaiveDate>,
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("layer", &self.layer)
            .field("kind", &self.kind)
            .field("crs", &self.crs)
            .field("map", &self.map)
            .field("set", &self.set)
            .field("mode", &self.mode)
            .field("key", &self.key)
            .field("dry_run", &self.dry_run)
            .field("skip_invalid", &self.skip_invalid)
            .field("gpkg_layer", &self.gpkg_layer)
            .field("strict", &self.strict)
            .field("created_by", &self.created_by)
            .field("source_name", &self.source_name)
            .field("limits", &self.limits)
            .field("cancelled", &self.cancel.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl LoadOptions {
    pub fn new(layer: LayerSlug) -> Self {
        LoadOptions {
            layer,
            kind: None,
            crs: None,
            map: Vec::new(),
            set: Vec::new(),
            mode: ChangeMode::Replace,
            key: None,
            edit: None,
            report_ids: false,
            dry_run: false,
            skip_invalid: false,
            gpkg_layer: None,
            strict: false,
            created_by: "cli".into(),
            source_name: None,
            title: None,
            limits: Limits::default(),
            cancel: Cancel::new(),
            today: None,
            progress: None,
        }
    }
}
