//! Encoded tiles kept in memory, per compression, with their ETag.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;

/// The content coding a client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Br,
}

impl Encoding {
    /// The `Content-Encoding` header value, `None` for identity.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Br => Some("br"),
        }
    }

    fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Gzip => "-gz",
            Encoding::Br => "-br",
        }
    }

    /// Picks the best coding a client accepts from an `Accept-Encoding` header: br, then
    /// gzip, else identity. A coding with `q=0` counts as refused.
    ///
    /// ```
    /// use qala_tiles::Encoding;
    /// assert_eq!(Encoding::negotiate("gzip, deflate, br"), Encoding::Br);
    /// assert_eq!(Encoding::negotiate("gzip"), Encoding::Gzip);
    /// assert_eq!(Encoding::negotiate("br;q=0, gzip"), Encoding::Gzip);
    /// assert_eq!(Encoding::negotiate(""), Encoding::Identity);
    /// ```
    pub fn negotiate(accept_encoding: &str) -> Encoding {
        let mut gzip = false;
        let mut br = false;
        for item in accept_encoding.split(',') {
            let mut it = item.split(';');
            let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = it.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            if refused {
                continue;
            }
            match name.as_str() {
                "gzip" | "x-gzip" => gzip = true,
                "br" => br = true,
                "*" => {
                    gzip = true;
                    br = true;
                }
                _ => {}
            }
        }
        if br {
            Encoding::Br
        } else if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

/// A tile ready to send.
#[derive(Debug, Clone)]
pub struct TileBytes {
    pub bytes: Bytes,
    pub encoding: Encoding,
    /// A strong ETag, quoted, different per encoding.
    pub etag: String,
}

/// One cut tile and its compressed forms, made on first request.
pub struct CachedTile {
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    br: OnceLock<Bytes>,
    hash: u64,
    /// Slugs of the layers in the tile and the tile's bounds in EPSG:3857, to invalidate
    /// exactly the tiles a new layer version touches.
    pub(crate) slugs: Vec<String>,
    pub(crate) bounds_3857: [f64; 4],
}

impl CachedTile {
    pub fn new(identity: Vec<u8>, slugs: Vec<String>, bounds_3857: [f64; 4]) -> CachedTile {
        let mut h = std::hash::DefaultHasher::new();
        identity.hash(&mut h);
        CachedTile {
            identity: Bytes::from(identity),
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            hash: h.finish(),
            slugs,
            bounds_3857,
        }
    }

    /// The tile in `enc`, compressing it on first use. Empty tiles are never compressed.
    pub fn get(&self, enc: Encoding) -> TileBytes {
        let enc = if self.identity.is_empty() {
            Encoding::Identity
        } else {
            enc
        };
        let bytes = match enc {
            Encoding::Identity => self.identity.clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.identity)).clone(),
            Encoding::Br => self.br.get_or_init(|| brotli(&self.identity)).clone(),
        };
        TileBytes {
            bytes,
            encoding: enc,
            etag: format!("\"{:016x}{}\"", self.hash, enc.etag_suffix()),
        }
    }

    fn size(&self) -> usize {
        self.identity.len() + self.gzip.get().map_or(0, Bytes::len) + self.br.get().map_or(0, Bytes::len) + 128
    }
}

fn gzip(b: &[u8]) -> Bytes {
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(b.len() / 2), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(b);
    Bytes::from(e.finish().unwrap_or_default())
}

fn brotli(b: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(b.len() / 2);
    {
        let mut w = ::brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        let _ = w.write_all(b);
    }
    Bytes::from(out)
}

type Key = (String, crate::TileCoord);

struct Entry {
    tile: Arc<CachedTile>,
    /// Bytes counted for this tile when it went in (removed again when it goes out).
    charged: usize,
    /// The cache's clock at the last use: the smallest go first when the cache is full.
    used: AtomicU64,
}

/// When full, evict down to this share of the limit, so that evictions (a sort of the
/// entries by last use) are rare rather than once per insert.
const EVICT_TO_PERCENT: usize = 90;

/// Tiles by (layer list, coordinate), bounded in bytes: when full, the least recently used
/// tiles go first. Hits only take the read lock (the use stamp is an atomic).
pub struct TileCache {
    map: RwLock<HashMap<Key, Entry>>,
    bytes: AtomicUsize,
    max_bytes: usize,
    clock: AtomicU64,
}

impl TileCache {
    pub fn new(max_bytes: usize) -> TileCache {
        TileCache {
            map: RwLock::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
            max_bytes,
            clock: AtomicU64::new(0),
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Relaxed)
    }

    pub fn get(&self, key: &Key) -> Option<Arc<CachedTile>> {
        let map = self.map.read().ok()?;
        let e = map.get(key)?;
        e.used.store(self.tick(), Relaxed);
        Some(e.tile.clone())
    }

    /// Inserts a tile if `still_current()` holds while the cache is locked (the layers it
    /// was cut from have not been replaced meanwhile).
    pub fn insert_if(&self, key: Key, tile: Arc<CachedTile>, still_current: impl FnOnce() -> bool) {
        let Ok(mut map) = self.map.write() else { return };
        if !still_current() {
            return;
        }
        // Compressed forms are added later; count them generously now.
        let charged = tile.size() + tile.identity.len();
        if charged > self.max_bytes {
            return;
        }
        if let Some(old) = map.remove(&key) {
            self.bytes.fetch_sub(old.charged, Relaxed);
        }
        if self.bytes.load(Relaxed) + charged > self.max_bytes {
            self.evict(
                &mut map,
                (self.max_bytes * EVICT_TO_PERCENT / 100).saturating_sub(charged),
            );
        }
        self.bytes.fetch_add(charged, Relaxed);
        map.insert(
            key,
            Entry {
                tile,
                charged,
                used: AtomicU64::new(self.tick()),
            },
        );
    }

    /// Drops least recently used tiles until at most `target` bytes are left.
    fn evict(&self, map: &mut HashMap<Key, Entry>, target: usize) {
        let mut by_use: Vec<(u64, Key)> = map.iter().map(|(k, e)| (e.used.load(Relaxed), k.clone())).collect();
        by_use.sort_unstable_by_key(|(u, _)| *u);
        for (_, k) in by_use {
            if self.bytes.load(Relaxed) <= target {
                break;
            }
            if let Some(e) = map.remove(&k) {
                self.bytes.fetch_sub(e.charged, Relaxed);
            }
        }
    }

    /// Drops the tiles that include `slug` and intersect `bbox_3857` (every tile of the
    /// layer when `None`). Returns how many were dropped.
    pub fn invalidate(&self, slug: &str, bbox_3857: Option<[f64; 4]>) -> usize {
        let Ok(mut map) = self.map.write() else { return 0 };
        let before = map.len();
        map.retain(|_, e| {
            let t = &e.tile;
            let touches = t.slugs.iter().any(|s| s == slug)
                && bbox_3857.is_none_or(|b| {
                    let c = t.bounds_3857;
                    b[0] <= c[2] && c[0] <= b[2] && b[1] <= c[3] && c[1] <= b[3]
                });
            if touches {
                self.bytes.fetch_sub(e.charged, Relaxed);
            }
            !touches
        });
        before - map.len()
    }

    pub fn len(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes counted for the cached tiles (an upper bound of what they hold).
    pub fn bytes(&self) -> usize {
        self.bytes.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TileCoord;

    fn key(x: u32) -> Key {
        ("roads".to_owned(), TileCoord { z: 14, x, y: 0 })
    }

    fn tile(n: usize) -> Arc<CachedTile> {
        Arc::new(CachedTile::new(vec![7; n], vec!["roads".into()], [0.0, 0.0, 1.0, 1.0]))
    }

    #[test]
    fn full_cache_evicts_the_least_recently_used_tiles_only() {
        // Each tile is charged 2 × 1000 + 128 bytes: ten fit in 22,000.
        let c = TileCache::new(22_000);
        for x in 0..10 {
            c.insert_if(key(x), tile(1000), || true);
        }
        assert_eq!(c.len(), 10);
        // Tiles 0..5 are used again; 5..10 are now the least recently used.
        for x in 0..5 {
            assert!(c.get(&key(x)).is_some());
        }
        c.insert_if(key(10), tile(1000), || true);
        assert!(c.bytes() <= 22_000);
        for x in 0..5 {
            assert!(c.get(&key(x)).is_some(), "tile {x} was used recently and stays");
        }
        assert!(c.get(&key(10)).is_some(), "the new tile is in");
        let evicted: Vec<u32> = (5..10).filter(|&x| c.get(&key(x)).is_none()).collect();
        assert!(!evicted.is_empty() && evicted.len() < 5, "{evicted:?}");
        assert_eq!(evicted[0], 5, "the oldest goes first: {evicted:?}");
        // The byte count follows what is in the cache.
        assert_eq!(c.bytes(), c.len() * 2128);
        let n = c.len();
        assert_eq!(c.invalidate("roads", None), n);
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn a_tile_larger_than_the_cache_is_not_kept_and_clears_nothing() {
        let c = TileCache::new(5_000);
        c.insert_if(key(0), tile(1000), || true);
        c.insert_if(key(1), tile(10_000), || true);
        assert!(c.get(&key(0)).is_some());
        assert!(c.get(&key(1)).is_none());
    }
}
