//! `/bindings` (which layers fill each indicator input role) and `/editions` (published,
//! frozen figures).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qala_engine::{BoundLayer, DistanceMode, INPUT_ROLES, ZoneScheme};
use serde_json::{Value, json};

use crate::error::Code;
use crate::governed::{self, GovernedError};
use crate::state::AppState;
use crate::{ApiError, ApiResult, Caller, Role};

impl From<GovernedError> for ApiError {
    fn from(e: GovernedError) -> Self {
        match e {
            GovernedError::Engine(e) => ApiError::Engine(e),
            GovernedError::Store(e) => ApiError::Store(e),
        }
    }
}

fn require_admin(caller: &Caller, what: &str) -> ApiResult<()> {
    match caller.role {
        Role::Admin => Ok(()),
        Role::Public if caller.token_id.is_none() => Err(ApiError::new(
            Code::Unauthorized,
            format!("{what} needs an admin token: send Authorization: Bearer <token>"),
        )),
        _ => Err(ApiError::forbidden(format!("only admins may {what}"))),
    }
}

/// `GET /bindings`: every role, its kind and names, and the layers bound to it (a layer
/// the caller may not read is shown as `{"hidden": true}`).
pub async fn list(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let g = state.governance();
    let roles: Vec<Value> = INPUT_ROLES
        .iter()
        .map(|r| {
            let layers: Vec<Value> = g
                .bindings
                .layers(r.id)
                .iter()
                .map(|b| match state.layer_info(&b.slug) {
                    Some(l) if caller.can_see(&l) => json!(b),
                    _ => json!({"hidden": true}),
                })
                .collect();
            json!({"role": r.id, "kind": r.kind.name(), "names": r.names(), "many": r.many,
                   "bound": !layers.is_empty(), "layers": layers})
        })
        .collect();
    Json(json!(roles))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindBody {
    pub layers: Vec<BoundLayer>,
    #[serde(default)]
    pub note: String,
}

/// `PUT /bindings/{role}` (admin): `{"layers":[{"slug":"schools-2026"}],"note":"…"}`.
pub async fn bind(
    State(state): State<AppState>,
    caller: Caller,
    Path(role): Path<String>,
    body: Result<Json<BindBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    require_admin(&caller, "bind indicator inputs")?;
    let Json(body) = body.map_err(|e| ApiError::bad(Code::InvalidBody, e.body_text()))?;
    let changed = governed::bind(state.db()?, &role, &body.layers, &caller.label(), &body.note).await?;
    if let Err(e) = state.sync().await {
        tracing::warn!(error = %crate::error::chain(&e), "reload after a binding failed; the listener will retry");
    }
    Ok(Json(json!({"role": role, "layers": body.layers, "changed": changed})))
}

/// `GET /bindings/{role}/history`: every binding of the role, newest first.
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(role): Path<String>,
) -> ApiResult<Json<Value>> {
    qala_engine::input_role(&role)?;
    let rows = qala_store::governance::binding_history(state.db()?, Some(&role)).await?;
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let visible = serde_json::from_value::<Vec<BoundLayer>>(r.layers.clone())
                .map(|ls| {
                    ls.iter()
                        .all(|b| state.layer_info(&b.slug).is_some_and(|l| caller.can_see(&l)))
                })
                .unwrap_or(false);
            json!({"input_binding_id": r.input_binding_id, "changed_by": r.changed_by,
                   "changed_at": r.changed_at, "note": r.note,
                   "layers": if visible { r.layers } else { json!([{"hidden": true}]) }})
        })
        .collect();
    Ok(Json(json!(rows)))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    #[serde(default)]
    pub title: String,
    /// The as-of date of compensation figures (default today).
    #[serde(default)]
    pub as_of: Option<chrono::NaiveDate>,
}

/// `POST /editions` (admin): freezes the figures in force.
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    body: Option<Json<PublishBody>>,
) -> ApiResult<impl IntoResponse> {
    require_admin(&caller, "publish editions")?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let as_of = body.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let id = governed::publish(state.db()?, &body.title, &caller.label(), as_of, state.engine()).await?;
    let e = qala_store::governance::edition(state.db()?, Some(id)).await?;
    Ok((StatusCode::CREATED, Json(edition_summary(&e))))
}

fn edition_summary(e: &qala_store::governance::EditionRow) -> Value {
    json!({"edition_id": e.edition_id, "title": e.title, "published_by": e.published_by,
           "published_at": e.published_at, "as_of": e.as_of, "pins": e.pins,
           "results_sha256": e.results_sha256,
           "url": format!("/editions/{}", e.edition_id)})
}

/// `GET /editions`: every edition, newest first (pins, no results).
pub async fn list_editions(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let rows = qala_store::governance::editions(state.db()?).await?;
    Ok(Json(json!(rows.iter().map(edition_summary).collect::<Vec<_>>())))
}

fn edition_id(s: &str) -> ApiResult<Option<i64>> {
    match s {
        "latest" => Ok(None),
        n => n
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::bad(Code::InvalidParameter, format!("edition {n:?}: use a number or latest"))),
    }
}

/// `GET /editions/{id|latest}`: the edition with every result the caller may see (a
/// figure read from a layer the caller may not read is withheld).
pub async fn edition(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let e = qala_store::governance::edition(state.db()?, edition_id(&id)?).await?;
    let mut out = edition_summary(&e);
    let mut results = e.results.unwrap_or(Value::Null);
    let mut withheld = 0usize;
    if let Some(schemes) = results.as_object_mut() {
        for modes in schemes.values_mut().filter_map(Value::as_object_mut) {
            for list in modes.values_mut().filter_map(Value::as_array_mut) {
                let before = list.len();
                list.retain(|r| visible_result(&state, &caller, r));
                withheld += before - list.len();
            }
        }
    }
    out["results"] = results;
    out["withheld"] = json!(withheld);
    Ok(Json(out))
}

fn visible_result(state: &AppState, caller: &Caller, r: &Value) -> bool {
    r["layer_versions"].as_object().is_some_and(|m| {
        m.keys()
            .all(|s| state.layer_info(s).is_some_and(|l| caller.can_see(&l)))
    })
}

/// One stored result of an edition (for `/indicators/{id}?edition=…`), with provenance.
pub async fn stored_result(
    state: &AppState,
    caller: &Caller,
    edition: &str,
    indicator: &str,
    scheme: &ZoneScheme,
    mode: DistanceMode,
) -> ApiResult<Value> {
    let e = qala_store::governance::edition(state.db()?, edition_id(edition)?).await?;
    let results = e.results.unwrap_or(Value::Null);
    let list = results[scheme.to_string()][mode.to_string()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(r) = list.into_iter().find(|r| r["indicator"]["id"] == indicator) else {
        return Err(ApiError::new(
            Code::NotInEdition,
            format!(
                "edition {} has no {indicator} figure for zones={scheme} distance={mode}",
                e.edition_id
            ),
        ));
    };
    if !visible_result(state, caller, &r) {
        return Err(ApiError::forbidden(
            "this figure is computed from layers your role may not read; ask a planner",
        ));
    }
    let versions: std::collections::BTreeMap<String, i64> =
        serde_json::from_value(r["layer_versions"].clone()).unwrap_or_default();
    let mut v = crate::indicators::with_provenance(state, caller, r, &versions);
    v["edition"] = json!({"edition_id": e.edition_id, "title": e.title, "published_at": e.published_at,
                          "as_of": e.as_of, "url": format!("/editions/{}", e.edition_id)});
    Ok(v)
}
