//! Governed indicator inputs, shared by `qala serve` and the `qala` CLI so that both compute
//! from the same path: the definitions and the input bindings in force (from the database),
//! checking and storing them, and editions — publishing frozen figures from pinned layer
//! versions and recomputing them from those pins.

use std::collections::BTreeMap;

use qala_core::LayerKind;
use qala_engine::{
    Bindings, BoundLayer, DistanceMode, Engine, EngineError, EngineOptions, IndicatorDef, IndicatorResult, ZoneScheme,
};
use qala_store::StoreError;
use qala_store::governance as gov;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// Errors of this module: the engine's (bad definitions, bindings) or the store's.
#[derive(Debug, thiserror::Error)]
pub enum GovernedError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The definitions and bindings in force.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Governance {
    pub definitions: Vec<IndicatorDef>,
    pub bindings: Bindings,
}

impl Governance {
    /// Engine options computing exactly the governed figures.
    pub fn engine_options(&self, as_of: Option<chrono::NaiveDate>) -> EngineOptions {
        let mut o = EngineOptions::default();
        if let Some(d) = as_of {
            o.as_of = d;
        }
        o.indicators = self.definitions.clone();
        o.bindings = Some(self.bindings.clone());
        o
    }

    /// The definition in force, with `norm` (a norm variant id) applied when given.
    pub fn definition(&self, id: &str, norm: Option<&str>) -> Result<IndicatorDef, EngineError> {
        let d = self.definitions.iter().find(|d| d.id == id).cloned().ok_or_else(|| {
            let known: Vec<&str> = self.definitions.iter().map(|d| d.id.as_str()).collect();
            EngineError::UnknownIndicator(id.to_owned(), known.join(", "))
        })?;
        match norm {
            Some(n) => d.with_norm_variant(n),
            None => Ok(d),
        }
    }
}

/// Reads the definitions and bindings in force.
pub async fn load(pool: &PgPool) -> Result<Governance, GovernedError> {
    let mut definitions = Vec::new();
    for row in gov::current_definitions(pool).await? {
        let def: IndicatorDef = serde_json::from_value(row.definition).map_err(|e| EngineError::InvalidDefinition {
            id: row.indicator_id.clone(),
            why: format!("stored definition does not parse: {e}"),
        })?;
        definitions.push(def);
    }
    definitions.sort_by_key(|d| order_of(&d.id));
    let mut bindings = Bindings::default();
    for row in gov::current_bindings(pool).await? {
        let layers: Vec<BoundLayer> = serde_json::from_value(row.layers).map_err(|e| EngineError::InvalidBinding {
            role: row.role.clone(),
            why: format!("stored binding does not parse: {e}"),
        })?;
        bindings.0.insert(row.role, layers);
    }
    Ok(Governance { definitions, bindings })
}

/// The shipped definitions' order (then new ids alphabetically), so lists read the same
/// everywhere.
fn order_of(id: &str) -> (usize, String) {
    // The shipped file is parsed once, not once per comparison of every reload.
    static SHIPPED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let shipped = SHIPPED.get_or_init(|| qala_engine::default_indicators().into_iter().map(|d| d.id).collect());
    let pos = shipped.iter().position(|s| s == id).unwrap_or(usize::MAX);
    (pos, id.to_owned())
}

/// Parses and checks a definitions file (a JSON array): every definition valid, ids unique.
pub fn parse_definitions(text: &str) -> Result<Vec<IndicatorDef>, EngineError> {
    let raw: Vec<Json> = serde_json::from_str(text).map_err(|e| EngineError::InvalidDefinition {
        id: "(file)".into(),
        why: format!("not a JSON array of definitions: {e}"),
    })?;
    let mut out: Vec<IndicatorDef> = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let id = r.get("id").and_then(Json::as_str).unwrap_or("?").to_owned();
        let def: IndicatorDef = serde_json::from_value(r).map_err(|e| EngineError::InvalidDefinition {
            id: id.clone(),
            why: format!(
                "definition #{} does not parse (an unknown formula type or field?): {e}",
                i + 1
            ),
        })?;
        def.validate()?;
        if out.iter().any(|o| o.id == def.id) {
            return Err(EngineError::InvalidDefinition {
                id: def.id,
                why: "the id appears twice in the file".into(),
            });
        }
        out.push(def);
    }
    Ok(out)
}

/// Stores definitions: each changed one becomes a new version; nothing is stored when any
/// is invalid.
pub async fn store_definitions(
    pool: &PgPool,
    defs: &[IndicatorDef],
    by: &str,
) -> Result<Vec<gov::DefinitionChange>, GovernedError> {
    let rows: Vec<(String, Json)> = defs
        .iter()
        .map(|d| (d.id.clone(), serde_json::to_value(d).unwrap_or(Json::Null)))
        .collect();
    Ok(gov::store_definitions(pool, &rows, by).await?)
}

/// slug → kind of every layer in the catalogue.
async fn kinds(pool: &PgPool) -> Result<BTreeMap<String, LayerKind>, GovernedError> {
    Ok(qala_store::catalogue::list_layers(pool)
        .await?
        .into_iter()
        .filter_map(|l| l.kind.parse().ok().map(|k| (l.slug, k)))
        .collect())
}

/// Binds `role` to `layers` after checking them against the roles and the catalogue.
/// Returns whether the binding in force changed.
pub async fn bind(
    pool: &PgPool,
    role: &str,
    layers: &[BoundLayer],
    by: &str,
    note: &str,
) -> Result<bool, GovernedError> {
    let kinds = kinds(pool).await?;
    Bindings::check_role(role, layers, |s| kinds.get(s).copied())?;
    let json = serde_json::to_value(layers).unwrap_or(Json::Null);
    Ok(gov::bind(pool, role, &json, by, note).await?)
}

/// Binds each role that was never bound to its default layers (see
/// [`qala_engine::default_bindings`]) once all of them exist with the right kind. An
/// admin's binding is never replaced, and an upload under another name binds nothing.
pub async fn bind_defaults(pool: &PgPool, by: &str) -> Result<Vec<String>, GovernedError> {
    let kinds = kinds(pool).await?;
    let bound: Vec<String> = gov::binding_history(pool, None)
        .await?
        .into_iter()
        .map(|b| b.role)
        .collect();
    let mut done = Vec::new();
    for (role, layers) in qala_engine::default_bindings().0 {
        if bound.contains(&role) || Bindings::check_role(&role, &layers, |s| kinds.get(s).copied()).is_err() {
            continue;
        }
        let json = serde_json::to_value(&layers).unwrap_or(Json::Null);
        if gov::bind(pool, &role, &json, by, "default binding of the shipped layers").await? {
            done.push(role);
        }
    }
    Ok(done)
}

/// The zone schemes and distance modes an edition freezes.
pub fn edition_schemes() -> Vec<ZoneScheme> {
    vec![ZoneScheme::Districts, ZoneScheme::default_rings(), ZoneScheme::Historic]
}

/// JSON with object keys sorted at every level: the byte form an edition's sha256 is taken
/// of, whatever order a JSON library or jsonb keeps keys in.
pub fn canonical_json(v: &Json) -> String {
    fn sort(v: &Json) -> Json {
        match v {
            Json::Object(m) => {
                let sorted: BTreeMap<&String, Json> = m.iter().map(|(k, v)| (k, sort(v))).collect();
                Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Json::Array(a) => Json::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Computed figures of an edition: results by scheme then distance mode, and their sha256.
#[derive(Debug, Clone)]
pub struct EditionFigures {
    pub pins: Json,
    pub results: Json,
    pub sha256: String,
}

/// Computes every governed figure from the layers at `pins` (slug → layer_version_id) read
/// from the database — the one path both publishing and recomputing take.
pub async fn compute_figures(
    pool: &PgPool,
    g: &Governance,
    layer_pins: &BTreeMap<String, i64>,
    as_of: chrono::NaiveDate,
) -> Result<EditionFigures, GovernedError> {
    let kinds = gov::pinned_kinds(pool, layer_pins).await?;
    let layers = crate::state::read_engine_layers(pool, &kinds).await?;
    let options = g.engine_options(Some(as_of));
    let engine = tokio::task::spawn_blocking(move || Engine::from_layers(layers, options))
        .await
        .map_err(|e| EngineError::InvalidDefinition {
            id: "(edition)".into(),
            why: format!("building the engine failed: {e}"),
        })??;
    figures_of(std::sync::Arc::new(engine), g, layer_pins).await
}

/// Whether `engine` computes exactly the figures of `g` at `pins` and `as_of`: the same
/// definitions and bindings, the pinned versions, the as-of date.
pub fn engine_matches(engine: &Engine, g: &Governance, pins: &BTreeMap<String, i64>, as_of: chrono::NaiveDate) -> bool {
    engine.bindings() == Some(&g.bindings)
        && engine.definitions() == g.definitions.as_slice()
        && engine.as_of() == as_of
        && pins.iter().all(|(s, v)| engine.layer_versions().get(s) == Some(v))
}

/// Every governed figure of `engine` (which [`engine_matches`] `g` and `layer_pins`).
pub async fn figures_of(
    engine: std::sync::Arc<Engine>,
    g: &Governance,
    layer_pins: &BTreeMap<String, i64>,
) -> Result<EditionFigures, GovernedError> {
    let with_roads = !g.bindings.layers("roads").is_empty();
    let results = tokio::task::spawn_blocking(move || -> Result<Json, EngineError> {
        let mut by_scheme = serde_json::Map::new();
        for scheme in edition_schemes() {
            let mut by_mode = serde_json::Map::new();
            let mut modes = vec![DistanceMode::Straight];
            if with_roads {
                modes.push(DistanceMode::Network);
            }
            for mode in modes {
                let rs: Vec<IndicatorResult> = engine.compute_all_in(&scheme, mode)?;
                let rs: Vec<IndicatorResult> = match mode {
                    // Network mode only changes access indicators; the rest are under straight.
                    DistanceMode::Network => rs.into_iter().filter(|r| r.distance.is_some()).collect(),
                    DistanceMode::Straight => rs,
                };
                by_mode.insert(mode.to_string(), serde_json::to_value(rs).unwrap_or(Json::Null));
            }
            by_scheme.insert(scheme.to_string(), Json::Object(by_mode));
        }
        Ok(Json::Object(by_scheme))
    })
    .await
    .map_err(|e| EngineError::InvalidDefinition {
        id: "(edition)".into(),
        why: format!("the computation failed: {e}"),
    })??;
    let definitions: BTreeMap<&str, u32> = g.definitions.iter().map(|d| (d.id.as_str(), d.version)).collect();
    let pins = json!({
        "layers": layer_pins,
        "definitions": definitions,
        "bindings": g.bindings,
        "schemes": edition_schemes().iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    let sha256 = sha256_hex(&canonical_json(&results));
    Ok(EditionFigures { pins, results, sha256 })
}

/// Publishes an edition of the figures in force: pins the served versions of every bound
/// layer (refused while one is loading), computes, stores. Returns the new edition id.
/// `engine`: a server's engine, used when it holds exactly the pinned inputs (the figures
/// are then computed in memory; they equal a computation from the pins, which
/// `qala indicators editions --verify` repeats from the database).
pub async fn publish(
    pool: &PgPool,
    title: &str,
    by: &str,
    as_of: chrono::NaiveDate,
    engine: Option<std::sync::Arc<Engine>>,
) -> Result<i64, GovernedError> {
    let g = load(pool).await?;
    let slugs: Vec<String> = g.bindings.slugs().into_iter().map(str::to_owned).collect();
    let pins = gov::served_versions_for_publish(pool, &slugs).await?;
    let f = match engine {
        Some(e) if engine_matches(&e, &g, &pins, as_of) => figures_of(e, &g, &pins).await?,
        _ => compute_figures(pool, &g, &pins, as_of).await?,
    };
    // A load may have switched a bound layer meanwhile: the pins must still be served.
    let after = gov::served_versions_for_publish(pool, &slugs).await?;
    if after != pins {
        let moved = pins
            .iter()
            .find(|(s, v)| after.get(*s) != Some(v))
            .map_or_else(String::new, |(s, _)| s.clone());
        return Err(StoreError::LayerLoading(moved).into());
    }
    let id = gov::insert_edition(
        pool,
        &gov::NewEdition {
            title,
            published_by: by,
            as_of,
            pins: &f.pins,
            results: &f.results,
            results_sha256: &f.sha256,
        },
    )
    .await?;
    Ok(id)
}

/// An edition's pins as they were, for recomputing it.
pub async fn pinned_governance(
    pool: &PgPool,
    pins: &Json,
) -> Result<(Governance, BTreeMap<String, i64>), GovernedError> {
    let bad = |why: &str| EngineError::InvalidDefinition {
        id: "(edition pins)".into(),
        why: why.to_owned(),
    };
    let layers: BTreeMap<String, i64> =
        serde_json::from_value(pins["layers"].clone()).map_err(|_| bad("layers do not parse"))?;
    let def_pins: BTreeMap<String, i32> =
        serde_json::from_value(pins["definitions"].clone()).map_err(|_| bad("definitions do not parse"))?;
    let bindings: Bindings =
        serde_json::from_value(pins["bindings"].clone()).map_err(|_| bad("bindings do not parse"))?;
    let mut definitions = Vec::new();
    for d in gov::definitions_at(pool, &def_pins).await? {
        definitions.push(serde_json::from_value::<IndicatorDef>(d).map_err(|_| bad("a definition does not parse"))?);
    }
    definitions.sort_by_key(|d| order_of(&d.id));
    Ok((Governance { definitions, bindings }, layers))
}

/// Recomputes edition `id` from its pins: `(stored sha256, recomputed sha256)`.
pub async fn recompute(pool: &PgPool, id: i64) -> Result<(String, String), GovernedError> {
    let e = gov::edition(pool, Some(id)).await?;
    let (g, layers) = pinned_governance(pool, &e.pins).await?;
    let f = compute_figures(pool, &g, &layers, e.as_of).await?;
    Ok((e.results_sha256, f.sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a: Json = serde_json::from_str(r#"{"b":1,"a":{"d":[{"y":1,"x":2}],"c":null}}"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":{"c":null,"d":[{"x":2,"y":1}]},"b":1}"#);
    }

    #[test]
    fn bad_definition_files_are_refused_with_the_reason() {
        let shipped = serde_json::to_string(&qala_engine::default_indicators()).unwrap();
        assert_eq!(parse_definitions(&shipped).unwrap().len(), 39);
        let mut v: Vec<Json> = serde_json::from_str(&shipped).unwrap();
        v[1]["measure"]["type"] = json!("teleport");
        let e = parse_definitions(&serde_json::to_string(&v).unwrap()).unwrap_err();
        assert_eq!(e.code(), "invalid_definition");
        assert!(e.to_string().contains("green_300m_who"), "{e}");
        let mut v: Vec<Json> = serde_json::from_str(&shipped).unwrap();
        v[1]["measure"]["radius_m"] = json!(-300.0);
        assert!(
            parse_definitions(&serde_json::to_string(&v).unwrap())
                .unwrap_err()
                .to_string()
                .contains("radius_m")
        );
        let mut v: Vec<Json> = serde_json::from_str(&shipped).unwrap();
        v[0]["norm_variants"][1]["source"] = json!(" ");
        assert!(
            parse_definitions(&serde_json::to_string(&v).unwrap())
                .unwrap_err()
                .to_string()
                .contains("no source")
        );
        let mut v: Vec<Json> = serde_json::from_str(&shipped).unwrap();
        v[2]["id"] = v[3]["id"].clone();
        assert!(
            parse_definitions(&serde_json::to_string(&v).unwrap())
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        assert!(parse_definitions("{").is_err());
    }
}
