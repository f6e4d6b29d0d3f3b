//! Encoded tiles kept in memory, per compression, with their ETag.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
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

/// Tiles by (layer list, coordinate). Bounded: when full it starts again empty, which is
/// crude but keeps memory flat and costs only re-cutting.
pub struct TileCache {
    map: RwLock<HashMap<(String, crate::TileCoord), Arc<CachedTile>>>,
    bytes: std::sync::atomic::AtomicUsize,
    max_bytes: usize,
}

impl TileCache {
    pub fn new(max_bytes: usize) -> TileCache {
        TileCache {
            map: RwLock::new(HashMap::new()),
            bytes: std::sync::atomic::AtomicUsize::new(0),
            max_bytes,
        }
    }

    pub fn get(&self, key: &(String, crate::TileCoord)) -> Option<Arc<CachedTile>> {
        self.map.read().ok()?.get(key).cloned()
    }

    /// Inserts a tile if `still_current()` holds while the cache is locked (the layers it
    /// was cut from have not been replaced meanwhile).
    pub fn insert_if(
        &self,
        key: (String, crate::TileCoord),
        tile: Arc<CachedTile>,
        still_current: impl FnOnce() -> bool,
    ) {
        let Ok(mut map) = self.map.write() else { return };
        if !still_current() {
            return;
        }
        use std::sync::atomic::Ordering::Relaxed;
        // Compressed forms are added later; count them generously now.
        let size = tile.size() + tile.identity.len();
        if self.bytes.load(Relaxed) + size > self.max_bytes {
            map.clear();
            self.bytes.store(0, Relaxed);
        }
        self.bytes.fetch_add(size, Relaxed);
        map.insert(key, tile);
    }

    /// Drops the tiles that include `slug` and intersect `bbox_3857` (every tile of the
    /// layer when `None`). Returns how many were dropped.
    pub fn invalidate(&self, slug: &str, bbox_3857: Option<[f64; 4]>) -> usize {
        let Ok(mut map) = self.map.write() else { return 0 };
        let before = map.len();
        map.retain(|_, t| {
            let touches = t.slugs.iter().any(|s| s == slug)
                && bbox_3857.is_none_or(|b| {
                    let c = t.bounds_3857;
                    b[0] <= c[2] && c[0] <= b[2] && b[1] <= c[3] && c[1] <= b[3]
                });
            if touches {
                self.bytes.fetch_sub(
                    t.size().min(self.bytes.load(std::sync::atomic::Ordering::Relaxed)),
                    std::sync::atomic::Ordering::Relaxed,
                );
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

    pub fn bytes(&self) -> usize {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }
}
