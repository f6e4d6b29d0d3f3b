//! Roles and bearer tokens.
//!
//! A request without `Authorization` is public. `Authorization: Bearer <token>` is looked up
//! by its sha256; tokens are never accepted in URLs.

use axum::Json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use sha2::{Digest, Sha256};

use crate::error::Code;
use crate::state::{AppState, LayerInfo};
use crate::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Public,
    Mapper,
    Planner,
    Admin,
    /// Moderates residents' proposals (issue 13).
    Moderator,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "public" => Some(Role::Public),
            "mapper" => Some(Role::Mapper),
            "planner" => Some(Role::Planner),
            "admin" => Some(Role::Admin),
            "moderator" => Some(Role::Moderator),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Mapper => "mapper",
            Role::Planner => "planner",
            Role::Admin => "admin",
            Role::Moderator => "moderator",
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    /// Layers granted to a mapper.
    pub layers: Vec<String>,
    pub token_id: Option<i64>,
}

impl Caller {
    pub fn public() -> Caller {
        Caller {
            role: Role::Public,
            layers: Vec::new(),
            token_id: None,
        }
    }

    /// Public layers for everyone; internal layers for planners and admins.
    pub fn can_see(&self, layer: &LayerInfo) -> bool {
        layer.is_public() || matches!(self.role, Role::Planner | Role::Admin)
    }

    /// Uploads and rollbacks: admins, and tokens granted the layer.
    pub fn can_write(&self, slug: &str) -> bool {
        self.role == Role::Admin || (self.role != Role::Public && self.layers.iter().any(|l| l == slug))
    }

    /// Refuses writes: 401 without a token, 403 for a token without the grant.
    pub fn require_write(&self, slug: &str) -> ApiResult<()> {
        if self.can_write(slug) {
            return Ok(());
        }
        if self.token_id.is_none() {
            return Err(ApiError::new(
                Code::Unauthorized,
                "this needs a token: send Authorization: Bearer <token> (qala token create)",
            ));
        }
        Err(ApiError::forbidden(format!(
            "a {} token may not change layer {slug:?}",
            self.role.as_str()
        )))
    }

    /// The layer, if it exists and this caller may see it; otherwise the same 404 as a
    /// missing layer, so hidden layers are not revealed.
    pub fn visible_layer(&self, state: &AppState, slug: &str) -> ApiResult<LayerInfo> {
        state
            .layer_info(slug)
            .filter(|l| self.can_see(l))
            .ok_or_else(|| ApiError::layer_not_found(slug))
    }

    /// Label stored as `created_by` of a version.
    pub fn label(&self) -> String {
        match self.token_id {
            Some(id) => format!("token:{id}"),
            None => "public".into(),
        }
    }
}

/// sha256 of a token, lower-case hex: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: `qala_` and 64 hex digits (256 bits).
pub fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    format!("qala_{}", hex::encode(b))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(h) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Caller::public());
        };
        // Requests without ConnectInfo (in-process tests) share one address.
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        state.auth_throttle.check(ip)?;
        let invalid = |m: &str| {
            state.auth_throttle.record_failure(ip);
            ApiError::new(Code::InvalidToken, m.to_owned())
        };
        let h = h.to_str().map_err(|_| invalid("malformed Authorization header"))?;
        let Some(token) = h.strip_prefix("Bearer ").map(str::trim) else {
            return Err(invalid("use Authorization: Bearer <token>"));
        };
        let hash = token_hash(token);
        let rec = match state.db() {
            Ok(pool) => match qala_store::features::find_token(pool, &hash).await {
                Ok(rec) => {
                    state.remember_token(&hash, rec.as_ref());
                    rec
                }
                // Every connection busy: the database is not down, and a token checked
                // before still reads.
                Err(e) if crate::error::pool_busy(&e) => {
                    Some(state.known_token(&hash).ok_or_else(ApiError::server_busy)?)
                }
                Err(e) if e.kind() == qala_core::ErrorKind::Unavailable => {
                    state.mark_db_down(&e);
                    Some(state.known_token(&hash).ok_or_else(ApiError::database_unavailable)?)
                }
                Err(e) => return Err(e.into()),
            },
            // A token checked while the database was up still reads the public and internal
            // layers during an outage (nothing can revoke it while the database is down).
            Err(down) => Some(state.known_token(&hash).ok_or(down)?),
        };
        match rec {
            Some(r) if !r.revoked => Ok(Caller {
                role: Role::parse(&r.role).unwrap_or(Role::Public),
                layers: r.layers,
                token_id: Some(r.api_token_id),
            }),
            Some(_) => Err(invalid("this token was revoked")),
            None => Err(invalid("unknown token")),
        }
    }
}

/// The rule for a new token, the same for `qala token create` and `POST /tokens`: a known
/// role, layer slugs, and at least one layer for a mapper (a mapper without layers could do
/// nothing a public caller cannot).
pub fn check_new_token(role: &str, layers: &[String]) -> ApiResult<Role> {
    let role = Role::parse(role).ok_or_else(|| {
        ApiError::bad(
            Code::InvalidRole,
            format!("unknown role {role:?}: use public, mapper, planner, admin or moderator"),
        )
    })?;
    for l in layers {
        qala_core::LayerSlug::parse(l)?;
    }
    if role == Role::Mapper && layers.is_empty() {
        return Err(ApiError::bad(
            Code::InvalidGrant,
            "a mapper token needs at least one layer it may upload to",
        ));
    }
    Ok(role)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub role: String,
    #[serde(default)]
    pub layers: Vec<String>,
    #[serde(default)]
    pub label: String,
}

/// `POST /tokens` (admin): creates a token and returns it once.
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    match caller.role {
        Role::Admin => {}
        // No token at all: authenticate first. A token of another role: authenticated,
        // not allowed.
        _ if caller.token_id.is_none() => {
            return Err(ApiError::new(
                Code::Unauthorized,
                "creating tokens needs an admin token",
            ));
        }
        _ => return Err(ApiError::forbidden("only admins create tokens")),
    }
    let Json(body) = body.map_err(crate::error_body::json_rejection)?;
    let role = check_new_token(&body.role, &body.layers)?;
    let token = new_token();
    let rec = qala_store::features::create_token(
        state.db()?,
        &token_hash(&token),
        role.as_str(),
        &body.layers,
        &body.label,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"token": token, "id": rec.api_token_id, "role": rec.role, "layers": rec.layers})),
    ))
}
