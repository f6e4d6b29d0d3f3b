//! Moderation of residents' proposals, for the `moderator` role (and admins): the queue,
//! approve / reject with a reason, status changes with a public answer, merging duplicates.
//! Every step is logged with who and when (`proposal_moderation`).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use qala_store::proposal::{self as store, Action, Actor, ListFilter, Refusal};
use serde_json::{Value, json};

use crate::error::Code;
use crate::proposals::{MAX_PAGE, is_moderator, parse_id, public_feature};
use crate::state::AppState;
use crate::{ApiError, ApiResult, Caller};

/// 401 without a token, 403 for a token of another role.
fn require_moderator(caller: &Caller) -> ApiResult<Actor> {
    if is_moderator(caller) {
        return Ok(Actor {
            label: caller.label(),
            role: caller.role.as_str().to_owned(),
        });
    }
    if caller.token_id.is_none() {
        return Err(ApiError::new(
            Code::Unauthorized,
            "moderation needs a moderator token: send Authorization: Bearer <token>",
        ));
    }
    Err(ApiError::forbidden(format!(
        "a {} token may not moderate proposals",
        caller.role.as_str()
    )))
}

/// `GET /moderation/proposals?limit=&offset=`: proposals waiting for a decision, oldest
/// first, with the contact (moderators only).
pub async fn queue(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    require_moderator(&caller)?;
    let mut f = ListFilter {
        moderation: "pending".into(),
        limit: 100,
        ..ListFilter::default()
    };
    for (k, v) in crate::indicators::pairs(q.as_deref())? {
        let n: Option<i64> = v.parse().ok();
        match (k.as_str(), n) {
            ("limit", Some(l)) if (1..=MAX_PAGE).contains(&l) => f.limit = l,
            ("offset", Some(o)) if o >= 0 => f.offset = o,
            _ => {
                return Err(ApiError::bad(
                    Code::InvalidParameter,
                    format!("{k}={v}: use limit (1 to {MAX_PAGE}) and offset (from 0)"),
                ));
            }
        }
    }
    let (rows, total) = store::list(state.db()?, &f).await?;
    let features: Vec<Value> = rows
        .iter()
        .map(|p| {
            let mut f = public_feature(p);
            f["properties"]["moderation"] = json!(p.moderation);
            f["properties"]["contact"] = json!(p.contact);
            f
        })
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features, "numberMatched": total}),
    ))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationBody {
    /// `approve` or `reject`.
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: String,
    #[serde(default)]
    pub public_answer: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    pub into: i64,
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

async fn apply(state: &AppState, id: &str, actor: &Actor, action: Action) -> ApiResult<Json<Value>> {
    let n = parse_id(id)?;
    match store::moderate(state.db()?, n, actor, &action).await? {
        Ok(p) => {
            let mut f = public_feature(&p);
            f["properties"]["moderation"] = json!(p.moderation);
            f["properties"]["merged_into"] = json!(p.merged_into);
            Ok(Json(f))
        }
        Err(Refusal::NotFound) => Err(ApiError::new(
            Code::ProposalNotFound,
            format!("proposal {id} not found"),
        )),
        Err(Refusal::WrongModeration { moderation }) => Err(ApiError::new(
            Code::WrongModeration,
            format!("proposal {n} is {moderation}; this step is not possible from there"),
        )),
        Err(Refusal::ForbiddenTransition { from, to }) => Err(ApiError::new(
            Code::ForbiddenStatusChange,
            format!(
                "a proposal goes received → under_review → accepted → in_plan → done, or is declined before in_plan; {from} → {to} is not allowed"
            ),
        )),
        Err(Refusal::ReasonRequired) => Err(ApiError::new(
            Code::ReasonRequired,
            "rejecting or declining needs a reason",
        )),
        Err(Refusal::BadMergeTarget) => Err(ApiError::new(
            Code::InvalidMerge,
            "a proposal merges into another pending or approved proposal, not into itself",
        )),
    }
}

fn check_len(what: &str, s: Option<&str>, max: usize) -> ApiResult<()> {
    match s {
        Some(t) if t.chars().count() > max => Err(ApiError::new(
            Code::TextTooLong,
            format!("the {what} may be {max} characters at most"),
        )),
        _ => Ok(()),
    }
}

/// `POST /proposals/{id}/moderation` `{"action": "approve"|"reject", "reason"}`.
pub async fn moderate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<ModerationBody>,
) -> ApiResult<Json<Value>> {
    let actor = require_moderator(&caller)?;
    let Json(b) = body.map_err(crate::error_body::json_rejection)?;
    check_len("reason", b.reason.as_deref(), 2000)?;
    let action = match b.action.as_str() {
        "approve" => Action::Approve,
        "reject" => Action::Reject {
            reason: b.reason.unwrap_or_default(),
        },
        other => {
            return Err(ApiError::bad(
                Code::InvalidBody,
                format!("action {other:?}: use approve or reject"),
            ));
        }
    };
    apply(&state, &id, &actor, action).await
}

/// `POST /proposals/{id}/status` `{"status", "public_answer", "reason"}`.
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<StatusBody>,
) -> ApiResult<Json<Value>> {
    let actor = require_moderator(&caller)?;
    let Json(b) = body.map_err(crate::error_body::json_rejection)?;
    if !store::STATUSES.contains(&b.status.as_str()) {
        return Err(ApiError::new(
            Code::UnknownStatus,
            format!(
                "unknown status {:?}; use one of {}",
                b.status,
                store::STATUSES.join(", ")
            ),
        ));
    }
    check_len("public answer", b.public_answer.as_deref(), 4000)?;
    check_len("reason", b.reason.as_deref(), 2000)?;
    let action = Action::Status {
        to: b.status,
        public_answer: b.public_answer,
        reason: b.reason,
    };
    apply(&state, &id, &actor, action).await
}

/// `POST /proposals/{id}/merge` `{"into": ID}`: the proposal becomes part of `into`; its
/// supports (and its author) move there.
pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<MergeBody>,
) -> ApiResult<Json<Value>> {
    let actor = require_moderator(&caller)?;
    let Json(b) = body.map_err(crate::error_body::json_rejection)?;
    apply(&state, &id, &actor, Action::Merge { into: b.into }).await
}
