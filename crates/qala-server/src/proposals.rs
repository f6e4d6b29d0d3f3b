//! Residents' proposals, the public side: submit without an account (JSON, or multipart
//! with a photo), the public map of approved proposals (GeoJSON or CSV, paginated,
//! filtered), one proposal, its photo, "me too", and the categories.
//!
//! Nothing is public before a moderator approves it (see [`crate::proposal_moderation`]);
//! contact and client hash are never in a public response.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use qala_store::proposal::{self as store, ListFilter, NewProposal, ProposalRow};
use serde_json::{Value, json};

use crate::error::Code;
use crate::proposal_client::Client;
use crate::proposal_photo::{self, MAX_PHOTO_BYTES};
use crate::state::AppState;
use crate::{ApiError, ApiResult, Caller, Role};

/// Longest text, characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest contact, characters.
pub const MAX_CONTACT_CHARS: usize = 200;
/// Most vertices of a line or area.
pub const MAX_VERTICES: usize = 1000;
/// Proposals of one category closer than this may be duplicates.
pub const DUPLICATE_RADIUS_M: f64 = 50.0;
/// Token Jaccard similarity from which two texts are the same proposal.
pub const DUPLICATE_SIMILARITY: f64 = 0.5;
/// Largest body of `POST /proposals` (a photo and the form around it).
pub const SUBMIT_LIMIT_BYTES: usize = MAX_PHOTO_BYTES + (256 << 10);

/// What a resident sends. `website` is the honeypot: a field the web form hides from
/// people, which only robots fill.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub geometry: Value,
    pub category: String,
    pub text: String,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
}

/// `POST /proposals`: JSON `Submission`, or multipart with a `proposal` part (that JSON) and an
/// optional `photo` part (JPEG or PNG, ≤ 5 MB). 202 with the new id; nothing is public until
/// a moderator approves it.
pub async fn submit(State(state): State<AppState>, req: Request) -> ApiResult<Response> {
    let (mut parts, body) = req.into_parts();
    let client = crate::proposal_client::client_hash(&state, &parts).await?;
    state.proposal_clients.admit(&client)?;
    let multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    parts.extensions.clear();
    let req = Request::from_parts(parts, body);
    let (sub, photo) = if multipart {
        read_multipart(req, &state).await?
    } else {
        let Json(sub) = Json::<Submission>::from_request(req, &state)
            .await
            .map_err(crate::error_body::json_rejection)?;
        (sub, None)
    };
    if sub.website.as_deref().is_some_and(|w| !w.is_empty()) {
        // A robot: answered like everyone, stored nowhere.
        tracing::info!("proposal honeypot filled: dropped");
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({"received": true, "moderation": "pending"})),
        )
            .into_response());
    }
    let new = check(&state, sub, photo, &client).await?;
    if let Some(existing) = duplicate_of(&state, &new).await? {
        return Ok((
            StatusCode::CONFLICT,
            Json(json!({
                "code": Code::DuplicateProposal.as_str(),
                "message": format!("proposal {existing} of the same category within {DUPLICATE_RADIUS_M} m says much the same: support it instead (POST /proposals/{existing}/support)"),
                "existing_id": existing,
            })),
        )
            .into_response());
    }
    let id = store::insert(state.db()?, &new).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"received": true, "id": id, "moderation": "pending", "status": "received"})),
    )
        .into_response())
}

async fn read_multipart(req: Request, state: &AppState) -> ApiResult<(Submission, Option<Vec<u8>>)> {
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::bad(Code::InvalidBody, e.body_text()))?;
    let mut sub = None;
    let mut photo = None;
    let too_large = || {
        ApiError::new(
            Code::PhotoTooLarge,
            format!("a photo may be {} MB at most", MAX_PHOTO_BYTES >> 20),
        )
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(ApiError::bad(Code::InvalidBody, e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad(Code::InvalidBody, e.body_text())
            }
        })?;
        match name.as_str() {
            "proposal" => {
                sub = Some(
                    serde_json::from_slice::<Submission>(&bytes)
                        .map_err(|e| ApiError::bad(Code::InvalidBody, format!("the proposal part: {e}")))?,
                );
            }
            "photo" if bytes.is_empty() => {}
            "photo" => {
                if bytes.len() > MAX_PHOTO_BYTES {
                    return Err(too_large());
                }
                photo = Some(bytes.to_vec());
            }
            other => {
                return Err(ApiError::bad(
                    Code::InvalidBody,
                    format!("unknown part {other:?}: send `proposal` (JSON) and optionally `photo`"),
                ));
            }
        }
    }
    let sub = sub.ok_or_else(|| ApiError::bad(Code::InvalidBody, "the multipart body has no `proposal` part"))?;
    Ok((sub, photo))
}

/// Every rule of a submission; the proposal to store, or the first rule it breaks.
async fn check(state: &AppState, sub: Submission, photo: Option<Vec<u8>>, client: &str) -> ApiResult<NewProposal> {
    let chars = sub.text.chars().count();
    if sub.text.trim().is_empty() {
        return Err(ApiError::new(
            Code::TextEmpty,
            "the text is empty: say what you propose",
        ));
    }
    if chars > MAX_TEXT_CHARS {
        return Err(ApiError::new(
            Code::TextTooLong,
            format!("the text has {chars} characters; at most {MAX_TEXT_CHARS}"),
        ));
    }
    let contact = sub.contact.filter(|c| !c.trim().is_empty());
    if contact.as_ref().is_some_and(|c| c.chars().count() > MAX_CONTACT_CHARS) {
        return Err(ApiError::new(
            Code::InvalidContact,
            format!("the contact may be {MAX_CONTACT_CHARS} characters at most"),
        ));
    }
    let pool = state.db()?;
    let cats = store::categories(pool).await?;
    if !cats.iter().any(|c| c.code == sub.category) {
        let known: Vec<&str> = cats.iter().map(|c| c.code.as_str()).collect();
        return Err(ApiError::new(
            Code::UnknownCategory,
            format!("unknown category {:?}; use one of {}", sub.category, known.join(", ")),
        ));
    }
    let geojson = check_geometry(&sub.geometry)?;
    match store::inside_city(pool, &geojson).await? {
        None => {
            return Err(ApiError::new(
                Code::InvalidGeometry,
                "the geometry is not a valid GeoJSON Point, LineString or Polygon",
            ));
        }
        Some(None) => {
            return Err(ApiError::new(
                Code::MissingLayer,
                "no city boundary is loaded, so no place can be checked: load the fixtures or a city-boundary layer",
            ));
        }
        Some(Some(false)) => {
            return Err(ApiError::new(
                Code::OutsideCity,
                "the place is outside the city boundary of Almaty",
            ));
        }
        Some(Some(true)) => {}
    }
    let photo = match photo {
        None => None,
        Some(bytes) => match proposal_photo::clean(&bytes) {
            Ok(c) => Some((c.bytes, c.mime.to_owned())),
            Err(proposal_photo::PhotoError::NotAnImage) => {
                return Err(ApiError::new(
                    Code::InvalidPhoto,
                    "the photo is not an image: send a JPEG or PNG",
                ));
            }
            Err(proposal_photo::PhotoError::Broken(why)) => {
                return Err(ApiError::new(
                    Code::InvalidPhoto,
                    format!("the photo cannot be read: {why}"),
                ));
            }
        },
    };
    Ok(NewProposal {
        geojson,
        category: sub.category,
        body: sub.text,
        photo,
        contact,
        client_hash: client.to_owned(),
        synthetic: false,
        moderation: "pending".into(),
        status: "received".into(),
        public_answer: None,
        decline_reason: None,
    })
}

/// A GeoJSON Point, LineString or Polygon of finite lon/lat numbers, as text for PostGIS.
fn check_geometry(g: &Value) -> ApiResult<String> {
    let bad = |m: &str| ApiError::new(Code::InvalidGeometry, m.to_owned());
    let kind = g.get("type").and_then(Value::as_str).unwrap_or_default();
    let coords = g
        .get("coordinates")
        .ok_or_else(|| bad("the geometry has no coordinates"))?;
    let positions: Vec<&Value> = match kind {
        "Point" => vec![coords],
        "LineString" => coords.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
        "Polygon" => coords
            .as_array()
            .map(|rings| rings.iter().filter_map(Value::as_array).flatten().collect())
            .unwrap_or_default(),
        _ => return Err(bad("the geometry must be a GeoJSON Point, LineString or Polygon")),
    };
    if positions.is_empty() || positions.len() > MAX_VERTICES {
        return Err(bad(&format!("a geometry has 1 to {MAX_VERTICES} positions")));
    }
    let lonlat_ok = positions.iter().all(|p| {
        p.as_array().is_some_and(|a| {
            a.len() >= 2
                && a.iter().all(|n| n.as_f64().is_some_and(f64::is_finite))
                && a[0].as_f64().is_some_and(|x| (-180.0..=180.0).contains(&x))
                && a[1].as_f64().is_some_and(|y| (-90.0..=90.0).contains(&y))
        })
    });
    if !lonlat_ok {
        return Err(bad("every position is [lon, lat] in degrees"));
    }
    Ok(json!({"type": kind, "coordinates": coords}).to_string())
}

/// The words of a text for comparing: lower case, letters and digits, two or more.
fn tokens(s: &str) -> std::collections::BTreeSet<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_owned)
        .collect()
}

/// Jaccard similarity of the word sets of two texts (1 for two texts without words that are
/// equal).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (tokens(a), tokens(b));
    if ta.is_empty() && tb.is_empty() {
        return if a.trim() == b.trim() { 1.0 } else { 0.0 };
    }
    let common = ta.intersection(&tb).count() as f64;
    common / ta.union(&tb).count() as f64
}

/// An approved proposal (or one of this client's own pending ones) of the same category
/// nearby with a similar text.
async fn duplicate_of(state: &AppState, p: &NewProposal) -> ApiResult<Option<i64>> {
    let near = store::nearby(state.db()?, &p.geojson, &p.category, DUPLICATE_RADIUS_M, &p.client_hash).await?;
    Ok(near
        .into_iter()
        .find(|(_, body)| similarity(body, &p.body) >= DUPLICATE_SIMILARITY)
        .map(|(id, _)| id))
}

/// A proposal as the public sees it: no contact, no client hash.
pub fn public_feature(p: &ProposalRow) -> Value {
    let geometry: Value = serde_json::from_str(&p.geometry).unwrap_or(Value::Null);
    json!({
        "type": "Feature",
        "id": p.id,
        "geometry": geometry,
        "properties": {
            "id": p.id,
            "category": p.category,
            "text": p.body,
            "status": p.status,
            "public_answer": p.public_answer,
            "decline_reason": p.decline_reason,
            "supports": p.supports,
            "photo": if p.has_photo { Value::from(format!("/proposals/{}/photo", p.id)) } else { Value::Null },
            "created_at": p.created_at,
            "synthetic": p.synthetic,
        }
    })
}

pub(crate) fn is_moderator(caller: &Caller) -> bool {
    matches!(caller.role, Role::Moderator | Role::Admin)
}

/// Query of `GET /proposals`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: ListFilter,
    pub csv: bool,
}

/// Most proposals on one page.
pub const MAX_PAGE: i64 = 5000;

impl ListQuery {
    /// Parses `category`, `status`, `bbox=minlon,minlat,maxlon,maxlat`, `limit`, `offset`,
    /// `format=geojson|csv`.
    pub fn from_params(q: Option<&str>) -> ApiResult<ListQuery> {
        let mut f = ListFilter {
            moderation: "approved".into(),
            limit: 500,
            ..ListFilter::default()
        };
        let mut csv = false;
        let bad = |m: String| ApiError::bad(Code::InvalidParameter, m);
        for (k, v) in crate::indicators::pairs(q)? {
            match k.as_str() {
                "category" => f.category = Some(v),
                "status" if store::STATUSES.contains(&v.as_str()) => f.status = Some(v),
                "status" => return Err(bad(format!("status={v}: use one of {}", store::STATUSES.join(", ")))),
                "bbox" => {
                    let n: Vec<f64> = v.split(',').filter_map(|s| s.trim().parse().ok()).collect();
                    match n.as_slice() {
                        [a, b, c, d] if n.iter().all(|x| x.is_finite()) && a <= c && b <= d => {
                            f.bbox = Some([*a, *b, *c, *d]);
                        }
                        _ => {
                            return Err(ApiError::bad(
                                Code::InvalidBbox,
                                format!("bbox={v}: use minlon,minlat,maxlon,maxlat"),
                            ));
                        }
                    }
                }
                "limit" => {
                    f.limit =
                        v.parse().ok().filter(|l| (1..=MAX_PAGE).contains(l)).ok_or_else(|| {
                            ApiError::bad(Code::InvalidLimit, format!("limit={v}: use 1 to {MAX_PAGE}"))
                        })?;
                }
                "offset" => {
                    f.offset = v
                        .parse()
                        .ok()
                        .filter(|o: &i64| *o >= 0 && *o <= 10_000_000)
                        .ok_or_else(|| bad(format!("offset={v}: use a whole number from 0")))?;
                }
                "format" => {
                    csv = match v.as_str() {
                        "geojson" | "json" => false,
                        "csv" => true,
                        _ => return Err(bad(format!("format={v}: use geojson or csv"))),
                    };
                }
                _ => {
                    return Err(ApiError::bad(
                        Code::UnknownParameter,
                        format!("unknown parameter {k:?}; use category, status, bbox, limit, offset, format"),
                    ));
                }
            }
        }
        Ok(ListQuery { filter: f, csv })
    }
}

/// `GET /proposals`: approved proposals, public fields only, as GeoJSON (or CSV).
pub async fn list(State(state): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let q = ListQuery::from_params(q.as_deref())?;
    let (rows, total) = store::list(state.db()?, &q.filter).await?;
    if q.csv {
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], to_csv(&rows)).into_response());
    }
    let features: Vec<Value> = rows.iter().map(public_feature).collect();
    let synthetic = rows.iter().filter(|r| r.synthetic).count();
    let next = (q.filter.offset + (rows.len() as i64) < total).then(|| q.filter.offset + rows.len() as i64);
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(json!({
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": total,
            "numberReturned": rows.len(),
            "next_offset": next,
            "synthetic_count": synthetic,
        })),
    )
        .into_response())
}

/// A CSV field: quoted, and a leading formula character defused for spreadsheets.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn to_csv(rows: &[ProposalRow]) -> String {
    let mut out = String::from("id,category,status,supports,synthetic,created_at,geometry,text,public_answer\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            r.id,
            r.category,
            r.status,
            r.supports,
            r.synthetic,
            r.created_at.to_rfc3339(),
            csv_field(&r.geometry),
            csv_field(&r.body),
            csv_field(r.public_answer.as_deref().unwrap_or_default()),
        ));
    }
    out
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(Code::ProposalNotFound, format!("proposal {id} not found"))
}

pub(crate) fn parse_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| not_found(id))
}

/// `GET /proposals/{id}`: an approved proposal; moderators see any, with contact and log.
pub async fn one(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let n = parse_id(&id)?;
    let pool = state.db()?;
    let p = store::get(pool, n).await?.ok_or_else(|| not_found(&id))?;
    if is_moderator(&caller) {
        let mut f = public_feature(&p);
        f["properties"]["moderation"] = json!(p.moderation);
        f["properties"]["merged_into"] = json!(p.merged_into);
        f["properties"]["contact"] = json!(p.contact);
        f["properties"]["log"] = json!(store::log(pool, n).await?);
        return Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(f)).into_response());
    }
    if p.moderation != "approved" {
        return Err(not_found(&id));
    }
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(public_feature(&p)),
    )
        .into_response())
}

/// `GET /proposals/{id}/photo`: the photo without its metadata.
pub async fn photo(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let n = parse_id(&id)?;
    let (bytes, mime, moderation) = store::photo(state.db()?, n).await?.ok_or_else(|| not_found(&id))?;
    if moderation != "approved" && !is_moderator(&caller) {
        return Err(not_found(&id));
    }
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'".to_owned()),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// `POST /proposals/{id}/support`: "me too", once per client.
pub async fn support(
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let n = parse_id(&id)?;
    match store::support(state.db()?, n, &client).await? {
        store::Support::NotFound => Err(not_found(&id)),
        store::Support::Already(count) => Err(ApiError::new(
            Code::AlreadySupported,
            format!("you already support proposal {n} ({count} supports)"),
        )),
        store::Support::Added(count) => {
            Ok((StatusCode::CREATED, Json(json!({"id": n, "supports": count}))).into_response())
        }
    }
}

/// `GET /proposals/categories`: the categories with kk/ru/en names.
pub async fn categories(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(store::categories(state.db()?).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_texts_are_near_duplicates() {
        let a = "Нужен пешеходный переход у школы 25";
        assert!(similarity(a, "нужен пешеходный переход у школы №25!") >= DUPLICATE_SIMILARITY);
        assert!(similarity(a, "посадить деревья во дворе") < DUPLICATE_SIMILARITY);
        assert!((similarity("a b", "a b") - 1.0).abs() < 1e-9);
        assert!((similarity("one two three four", "one two five six") - 2.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn list_query_parses_and_refuses() {
        let q = ListQuery::from_params(Some(
            "category=safety&status=done&bbox=76.8,43.2,77.0,43.3&limit=10&offset=20&format=csv",
        ))
        .unwrap();
        assert_eq!(q.filter.category.as_deref(), Some("safety"));
        assert_eq!(q.filter.bbox, Some([76.8, 43.2, 77.0, 43.3]));
        assert_eq!((q.filter.limit, q.filter.offset, q.csv), (10, 20, true));
        assert_eq!(q.filter.moderation, "approved");
        for bad in [
            "status=nope",
            "bbox=1,2,3",
            "limit=0",
            "limit=99999",
            "offset=-1",
            "format=xml",
            "x=1",
        ] {
            assert!(ListQuery::from_params(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn geometry_rules() {
        assert!(check_geometry(&json!({"type": "Point", "coordinates": [76.9, 43.2]})).is_ok());
        assert!(check_geometry(&json!({"type": "LineString", "coordinates": [[76.9, 43.2], [76.91, 43.2]]})).is_ok());
        assert!(check_geometry(&json!({"type": "MultiPoint", "coordinates": [[76.9, 43.2]]})).is_err());
        assert!(check_geometry(&json!({"type": "Point", "coordinates": [200, 43.2]})).is_err());
        assert!(check_geometry(&json!({"type": "Point", "coordinates": ["x", 43.2]})).is_err());
        assert!(check_geometry(&json!({"type": "Point"})).is_err());
    }

    #[test]
    fn csv_defuses_formulas_and_quotes() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("plain"), "\"plain\"");
    }
}
