//! Loading features already in memory and in WGS84 (the fixtures: real Almaty layers and
//! synthetic ones): validate each against the kind, load all-or-nothing. Files from users
//! go through [`crate::load_file`] instead.

use qala_core::ProblemCode;
use qala_core::{Feature, LayerKind};
use qala_ingest::RawFeature;
use qala_store::load::Begin;
use qala_store::{LayerLoad, LayerMeta, LoadOutcome, VersionSource};
use sqlx::PgPool;

use crate::{LoadError, Problem};

/// Validates every raw feature; returns the typed features or every problem found.
pub fn validate(
    kind: LayerKind,
    raws: Vec<RawFeature>,
    today: chrono::NaiveDate,
) -> Result<Vec<Feature>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut features = Vec::with_capacity(raws.len());
    for raw in raws {
        let Some(geometry) = raw.geometry else {
            problems.push(
                Problem::error(
                    raw.row,
                    "geometry",
                    "",
                    ProblemCode::NoGeometry,
                    "feature has no geometry",
                )
                .with_hint(qala_ingest::source::NO_GEOMETRY_HINT),
            );
            continue;
        };
        match kind.typed_attributes(&raw.attrs, today) {
            Ok(t) => features.push(Feature {
                row: raw.row,
                geometry,
                values: t.values,
                props: t.props,
            }),
            Err(issues) => problems.extend(issues.into_iter().map(|i| Problem::from((raw.row, i)))),
        }
    }
    if problems.is_empty() {
        Ok(features)
    } else {
        Err(problems)
    }
}

/// Loads validated features as a new version of the layer `meta` describes.
pub async fn load(
    pool: &PgPool,
    meta: &LayerMeta,
    source: &VersionSource,
    features: &[Feature],
) -> Result<LoadOutcome, LoadError> {
    let layer_id = qala_store::catalogue::ensure_layer(pool, meta).await?;
    let mut load = match LayerLoad::begin(pool, layer_id, meta.kind, source).await? {
        Begin::Done(outcome) => return Ok(outcome),
        Begin::Load(load) => load,
    };
    for f in features {
        load.write(f).await?;
    }
    let report = serde_json::json!({"features": features.len(), "problems": []});
    Ok(load.finish(report).await?)
}
