//! The served layers and the tile cache together: what the HTTP tile handler calls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::tile_cache::{CachedTile, TileCache};
use crate::{Encoding, LayerData, MAX_TILE_BYTES, TileBytes, TileCoord, TileError};

/// How tiles are served.
#[derive(Debug, Clone, Copy)]
pub struct TileOptions {
    /// Keep encoded tiles in memory. Off only for benchmarks and debugging.
    pub cache: bool,
    pub cache_max_bytes: usize,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            cache: true,
            cache_max_bytes: 512 << 20,
        }
    }
}

/// Every served layer, by slug, and the tiles cut from them.
pub struct TileSource {
    layers: RwLock<HashMap<String, Arc<LayerData>>>,
    cache: TileCache,
    opts: TileOptions,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl TileSource {
    pub fn new(opts: TileOptions) -> TileSource {
        TileSource {
            layers: RwLock::new(HashMap::new()),
            cache: TileCache::new(opts.cache_max_bytes),
            opts,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Serves `data` from now on (a new layer, or a new version of one). Only cached tiles
    /// of this layer that intersect its old or new extent are dropped.
    pub fn replace_layer(&self, data: LayerData) -> usize {
        let slug = data.slug.clone();
        let new_bbox = data.bbox_3857();
        let old = match self.layers.write() {
            Ok(mut l) => l.insert(slug.clone(), Arc::new(data)),
            Err(_) => return 0,
        };
        let old_bbox = old.and_then(|o| o.bbox_3857());
        let touched = match (old_bbox, new_bbox) {
            (Some(a), Some(b)) => Some([a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]),
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => return 0,
        };
        self.cache.invalidate(&slug, touched)
    }

    /// Stops serving a layer.
    pub fn remove_layer(&self, slug: &str) {
        if let Ok(mut l) = self.layers.write() {
            l.remove(slug);
        }
        self.cache.invalidate(slug, None);
    }

    pub fn layer(&self, slug: &str) -> Option<Arc<LayerData>> {
        self.layers.read().ok()?.get(slug).cloned()
    }

    /// `(slug, layer_version_id)` of every layer in memory.
    pub fn versions(&self) -> Vec<(String, i64)> {
        self.layers
            .read()
            .map(|l| l.values().map(|d| (d.slug.clone(), d.version_id)).collect())
            .unwrap_or_default()
    }

    pub fn cached_tiles(&self) -> usize {
        self.cache.len()
    }

    pub fn cached_bytes(&self) -> usize {
        self.cache.bytes()
    }

    /// The tile `coord` of the layers `slugs` (in that order) in `enc`, cut from the
    /// versions in memory now.
    pub fn tile(&self, slugs: &[&str], coord: TileCoord, enc: Encoding) -> Result<TileBytes, TileError> {
        let layers = slugs
            .iter()
            .map(|s| self.layer(s).ok_or_else(|| TileError::UnknownLayer((*s).to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.tile_of(&layers, coord, enc))
    }

    /// The tile `coord` of exactly these layer versions (as [`TileSource::layer`] handed
    /// them out), in `enc`. The cache is keyed by slug and version, so a tile of one version
    /// is never answered for another, even while a new version is being swapped in: a URL
    /// that names a version can be cached for ever.
    pub fn tile_of(&self, layers: &[Arc<LayerData>], coord: TileCoord, enc: Encoding) -> TileBytes {
        let mut name = String::new();
        for (i, l) in layers.iter().enumerate() {
            if i > 0 {
                name.push(',');
            }
            name.push_str(&l.slug);
            name.push('@');
            name.push_str(&l.version_id.to_string());
        }
        let key = (name, coord);
        if self.opts.cache
            && let Some(t) = self.cache.get(&key)
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return t.get(enc);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let tile = Arc::new(CachedTile::new(
            render(layers, coord),
            layers.iter().map(|l| l.slug.clone()).collect(),
            coord.bounds_3857(),
        ));
        let out = tile.get(enc);
        if self.opts.cache {
            // A version already replaced is not kept: nothing would ask for it again soon.
            self.cache.insert_if(key, tile, || {
                layers
                    .iter()
                    .all(|l| self.layer(&l.slug).is_some_and(|c| Arc::ptr_eq(&c, l)))
            });
        }
        out
    }
}

/// Cuts one tile from `layers`, sharing the size budget among them.
pub fn render(layers: &[Arc<LayerData>], coord: TileCoord) -> Vec<u8> {
    // Leave room for the layer framing; each layer gets an equal share.
    let budget = (MAX_TILE_BYTES * 9 / 10) / layers.len().max(1);
    let mut tile = Vec::new();
    for l in layers {
        l.cut_into(coord, budget, &mut tile);
    }
    tile
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mercator::to_3857;
    use crate::mvt_decode::decode;
    use crate::{PropValue, SourceFeature};
    use geo_types::{Geometry, LineString, Point, Polygon, polygon};

    fn square(lon: f64, lat: f64, d: f64) -> Polygon<f64> {
        polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d), (x: lon, y: lat)]
    }

    fn source() -> TileSource {
        let s = TileSource::new(TileOptions::default());
        let parks = vec![
            SourceFeature {
                id: 7,
                row: 1,
                geometry: Geometry::Polygon(square(76.94, 43.23, 0.01)),
                props: vec![
                    ("name".into(), PropValue::Str("Panfilov park".into())),
                    ("x".into(), PropValue::Null),
                ],
                extra: vec![("note".into(), PropValue::Str("items only".into()))],
            },
            // far smaller than a pixel at zoom 10: dropped there, kept at 16
            SourceFeature {
                id: 8,
                row: 2,
                extra: vec![],
                geometry: Geometry::Polygon(square(76.95, 43.24, 0.00001)),
                props: vec![],
            },
        ];
        s.replace_layer(LayerData::new("green-spaces", 1, parks));
        let stops: Vec<SourceFeature> = (0..50)
            .map(|i| SourceFeature {
                id: 100 + i,
                row: i as u64 + 1,
                geometry: Geometry::Point(Point::new(76.945 + i as f64 * 1e-6, 43.238)),
                props: vec![("category".into(), PropValue::Str("bus_stop".into()))],
                extra: vec![],
            })
            .collect();
        s.replace_layer(LayerData::new("stops", 1, stops));
        let line = LineString::from(vec![(76.0, 43.235), (78.0, 43.235)]);
        s.replace_layer(LayerData::new(
            "lanes",
            1,
            vec![SourceFeature {
                id: 1,
                row: 1,
                geometry: Geometry::LineString(line),
                props: vec![],
                extra: vec![],
            }],
        ));
        s
    }

    fn at(z: u8, lon: f64, lat: f64) -> TileCoord {
        let (x, y) = to_3857(lon, lat);
        TileCoord::containing(z, x, y)
    }

    #[test]
    fn polygon_tile_decodes_with_slug_id_and_properties() {
        let s = source();
        let t = s
            .tile(&["green-spaces"], at(14, 76.945, 43.235), Encoding::Identity)
            .unwrap();
        let layers = decode(&t.bytes).unwrap();
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0].name, "green-spaces");
        let park = layers[0].features.iter().find(|f| f.id == Some(7)).unwrap();
        assert_eq!(park.geom_type, 3);
        assert_eq!(park.props.get("id"), Some(&PropValue::Int(7)));
        assert_eq!(park.props.get("name"), Some(&PropValue::Str("Panfilov park".into())));
        assert!(!park.props.contains_key("x"), "null properties are left out");
        assert!(!park.props.contains_key("note"), "untyped attributes are items only");
        // exterior ring positive in tile coordinates (y down), as MVT 2.1 requires
        let ring: Vec<[f64; 2]> = park.parts[0]
            .iter()
            .map(|p| [f64::from(p[0]), f64::from(p[1])])
            .collect();
        assert!(crate::geom::ring_area(&ring[..ring.len() - 1]) > 0.0);
    }

    #[test]
    fn subpixel_polygons_dropped_at_low_zoom_only() {
        let s = source();
        let ids = |z| {
            let t = s
                .tile(&["green-spaces"], at(z, 76.95, 43.24), Encoding::Identity)
                .unwrap();
            decode(&t.bytes)
                .unwrap()
                .iter()
                .flat_map(|l| l.features.iter().filter_map(|f| f.id))
                .collect::<Vec<_>>()
        };
        assert!(!ids(10).contains(&8));
        assert!(ids(18).contains(&8));
    }

    #[test]
    fn points_sharing_a_pixel_thinned_at_low_zoom() {
        let s = source();
        let n = |z| {
            let t = s.tile(&["stops"], at(z, 76.945, 43.238), Encoding::Identity).unwrap();
            decode(&t.bytes).unwrap()[0].features.len()
        };
        assert_eq!(n(10), 1);
        assert_eq!(n(18), 50);
    }

    #[test]
    fn long_line_is_clipped_to_the_tile_buffer() {
        let s = source();
        let t = s.tile(&["lanes"], at(12, 76.9, 43.235), Encoding::Identity).unwrap();
        let l = decode(&t.bytes).unwrap();
        for p in l[0].features[0].parts.iter().flatten() {
            assert!(p[0] >= -64 && p[0] <= 4160, "{p:?}");
        }
    }

    #[test]
    fn cache_keeps_encodings_apart_and_invalidates_on_new_version() {
        let s = source();
        let c = at(14, 76.945, 43.235);
        let id = s.tile(&["green-spaces"], c, Encoding::Identity).unwrap();
        let gz = s.tile(&["green-spaces"], c, Encoding::Gzip).unwrap();
        assert_ne!(id.etag, gz.etag);
        assert_eq!(gz.encoding, Encoding::Gzip);
        let mut unz = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz.bytes[..]), &mut unz).unwrap();
        assert_eq!(unz, id.bytes.to_vec());
        // a tile far from the layer is not dropped by its new version (it is version 1's:
        // the new version's tiles are keyed apart)
        let far = at(14, 10.0, 10.0);
        s.tile(&["green-spaces"], far, Encoding::Identity).unwrap();
        assert_eq!(s.cached_tiles(), 2);
        s.replace_layer(green_spaces_v2());
        assert_eq!(s.cached_tiles(), 1);
        let new = s.tile(&["green-spaces"], c, Encoding::Identity).unwrap();
        assert_ne!(new.etag, id.etag);
        assert_eq!(decode(&new.bytes).unwrap()[0].features[0].id, Some(9));
    }

    /// Version 2 of the green spaces: one square, id 9.
    fn green_spaces_v2() -> LayerData {
        LayerData::new(
            "green-spaces",
            2,
            vec![SourceFeature {
                id: 9,
                row: 1,
                geometry: Geometry::Polygon(square(76.94, 43.23, 0.01)),
                props: vec![],
                extra: vec![],
            }],
        )
    }

    /// A tile asked for with a version's data (as a versioned URL pins it) is that version's,
    /// even when it was cached before and the layer has a new version since.
    #[test]
    fn a_pinned_version_never_gets_another_versions_tile() {
        let s = source();
        let c = at(14, 76.945, 43.235);
        let v1 = s.layer("green-spaces").unwrap();
        let first = s.tile_of(std::slice::from_ref(&v1), c, Encoding::Identity);
        s.replace_layer(green_spaces_v2());
        let v2 = s.layer("green-spaces").unwrap();
        let ids = |t: &TileBytes| -> Vec<Option<u64>> {
            decode(&t.bytes).unwrap()[0].features.iter().map(|f| f.id).collect()
        };
        assert_eq!(
            ids(&s.tile_of(std::slice::from_ref(&v2), c, Encoding::Identity)),
            vec![Some(9)]
        );
        // version 1 held across the swap still cuts version 1's tile, and it is not cached
        let cached = s.cached_tiles();
        let old = s.tile_of(&[v1], c, Encoding::Identity);
        assert_eq!(s.cached_tiles(), cached);
        assert_eq!(old.bytes, first.bytes);
        assert!(ids(&old).contains(&Some(7)));
        assert_eq!(ids(&s.tile_of(&[v2], c, Encoding::Identity)), vec![Some(9)]);
    }

    #[test]
    fn dense_layer_stays_under_the_size_cap() {
        let feats: Vec<SourceFeature> = (0..200_000)
            .map(|i| SourceFeature {
                id: i,
                row: i as u64 + 1,
                extra: vec![],
                geometry: Geometry::LineString(LineString::from(vec![
                    (76.8 + (i % 500) as f64 * 0.0008, 43.1 + (i / 500) as f64 * 0.0008),
                    (
                        76.8 + (i % 500) as f64 * 0.0008 + 0.004,
                        43.1 + (i / 500) as f64 * 0.0008 + 0.002,
                    ),
                ])),
                props: vec![("name".into(), PropValue::Str(format!("street {i}")))],
            })
            .collect();
        let s = TileSource::new(TileOptions::default());
        s.replace_layer(LayerData::new("roads", 1, feats));
        for z in [10, 11, 12] {
            let t = s.tile(&["roads"], at(z, 76.95, 43.25), Encoding::Identity).unwrap();
            assert!(t.bytes.len() <= MAX_TILE_BYTES, "z{z}: {} bytes", t.bytes.len());
            assert!(!decode(&t.bytes).unwrap()[0].features.is_empty());
        }
    }
}
