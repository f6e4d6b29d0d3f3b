//! `GET /proposals/tiles/{z}/{x}/{y}.mvt`: the public proposals as vector tiles (layer
//! `proposals`), so the public map draws 100,000 of them without downloading them: clusters
//! per grid cell below zoom 14 (`point_count`, `supports`, the commonest `category`), each
//! proposal from 13 on (`id`, `category`, `status`, `supports`, `synthetic`). Approved
//! proposals only, public fields only. Tiles are kept in memory while the public set is
//! unchanged (the same generation as the per-zone counts).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use qala_store::proposal as store;

use crate::error::Code;
use crate::state::AppState;
use crate::tiles::MVT_CONTENT_TYPE;
use crate::{ApiError, ApiResult};

/// Tiles kept per generation of the public set; beyond it the memory starts again empty.
const CACHED_TILES: usize = 4096;

/// Tiles by (z, x, y).
type Tiles = HashMap<(u32, u32, u32), Bytes>;

/// Proposal tiles of one generation of the public set.
#[derive(Default)]
pub struct ProposalTileCache {
    inner: Mutex<(String, Tiles)>,
    /// The public set's generation as last read, and when: tiles trust it for a moment
    /// rather than counting 100,000 rows on every tile.
    generation: Mutex<Option<(String, std::time::Instant)>>,
}

/// How long a read generation is trusted (tiles are cached 30 s by clients anyway).
const GENERATION_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl ProposalTileCache {
    async fn generation(&self, pool: &sqlx::PgPool) -> Result<String, qala_store::StoreError> {
        if let Some((g, at)) = self
            .generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            && at.elapsed() < GENERATION_TTL
        {
            return Ok(g);
        }
        let g = store::public_generation(pool).await?;
        *self
            .generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((g.clone(), std::time::Instant::now()));
        Ok(g)
    }

    fn get(&self, generation: &str, key: (u32, u32, u32)) -> Option<Bytes> {
        let g = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (g.0 == generation).then(|| g.1.get(&key).cloned()).flatten()
    }

    fn put(&self, generation: &str, key: (u32, u32, u32), tile: Bytes) {
        let mut g = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if g.0 != generation || g.1.len() >= CACHED_TILES {
            g.1.clear();
            g.0 = generation.to_owned();
        }
        g.1.insert(key, tile);
    }
}

fn coord(z: &str, x: &str, y_mvt: &str) -> ApiResult<(u32, u32, u32)> {
    let bad = || {
        ApiError::bad(
            Code::InvalidTile,
            format!(
                "{z}/{x}/{y_mvt}: expected /proposals/tiles/Z/X/Y.mvt with whole numbers, Z at most 22 and X, Y below 2^Z"
            ),
        )
    };
    let y = y_mvt.strip_suffix(".mvt").ok_or_else(bad)?;
    let (z, x, y) = (
        z.parse::<u32>().map_err(|_| bad())?,
        x.parse::<u32>().map_err(|_| bad())?,
        y.parse::<u32>().map_err(|_| bad())?,
    );
    if z > 22 || x >= 1 << z || y >= 1 << z {
        return Err(bad());
    }
    Ok((z, x, y))
}

/// `GET /proposals/tiles/{z}/{x}/{y}.mvt`
pub async fn tile(
    State(state): State<AppState>,
    Path((z, x, y_mvt)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let key = coord(&z, &x, &y_mvt)?;
    let pool = state.db()?;
    let generation = state.proposal_tiles.generation(pool).await?;
    let etag = format!("\"p{}-{}-{}-{}\"", generation.replace('/', "."), key.0, key.1, key.2);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let tile = match state.proposal_tiles.get(&generation, key) {
        Some(t) => t,
        None => {
            let t = Bytes::from(store::public_tile(pool, key.0, key.1, key.2).await?);
            state.proposal_tiles.put(&generation, key, t.clone());
            t
        }
    };
    let status = if unchanged {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let body = if unchanged { Body::empty() } else { Body::from(tile) };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, HeaderValue::from_static(MVT_CONTENT_TYPE))
        .header(header::ETAG, etag)
        // Moderation changes what is public: a short life, then revalidation by ETag.
        .header(header::CACHE_CONTROL, "public, max-age=30")
        .body(body)
        .map_err(|e| ApiError::internal("building a proposal tile", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_coordinates_are_checked() {
        assert_eq!(coord("13", "5924", "3000.mvt").unwrap(), (13, 5924, 3000));
        for (z, x, y) in [
            ("23", "0", "0.mvt"),
            ("2", "4", "0.mvt"),
            ("2", "0", "4.mvt"),
            ("a", "0", "0.mvt"),
            ("1", "0", "0.png"),
        ] {
            assert!(coord(z, x, y).is_err(), "{z}/{x}/{y}");
        }
    }

    #[test]
    fn the_cache_forgets_an_older_generation() {
        let c = ProposalTileCache::default();
        c.put("1/1/0", (1, 0, 0), Bytes::from_static(b"a"));
        assert_eq!(c.get("1/1/0", (1, 0, 0)).as_deref(), Some(&b"a"[..]));
        assert!(
            c.get("2/2/0", (1, 0, 0)).is_none(),
            "a moderation step makes a new generation"
        );
        c.put("2/2/0", (1, 0, 0), Bytes::from_static(b"b"));
        assert!(c.get("1/1/0", (1, 0, 0)).is_none());
    }
}
