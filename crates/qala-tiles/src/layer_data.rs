//! One served layer in memory, ready to cut tiles from.

use std::borrow::Cow;
use std::collections::HashMap;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::clip::{clip_line, clip_ring};
use crate::geom::{Geom, Pt};
use crate::mvt::{GeomEncoder, GeomType, LayerBuilder};
pub use crate::mvt::{PropRef, PropValue};
use crate::simplify::{Scratch, douglas_peucker_into};
use crate::{EXTENT, TileCoord};

/// A feature as the store hands it over: WGS84 geometry, id and properties.
#[derive(Debug, Clone)]
pub struct SourceFeature {
    /// `<table>_id`: the OGC item id and the tile feature id.
    pub id: i64,
    /// 1-based row in the source file (the engine orders zones by it).
    pub row: u64,
    pub geometry: geo_types::Geometry<f64>,
    /// The kind's typed fields, in order: in tiles (but `Null`s) and in items.
    pub props: Vec<(Cow<'static, str>, PropValue)>,
    /// Untyped attributes: in items only.
    pub extra: Vec<(String, PropValue)>,
}

/// Kept small: benchmark layers have millions of features. The bounding box lives in the
/// R-tree only.
struct TileFeature {
    id: i64,
    geom: Geom,
    weight: f64,
    /// Where this feature's properties start in the layer's `props` (they end where the
    /// next feature's start).
    props_at: u32,
    /// Source row, saturated at `u32::MAX`.
    row: u32,
    /// A Multi* geometry in the store (a `Geom` holds both shapes alike).
    multi: bool,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Set in a property's key index when tiles carry it (a typed field, not null or JSON):
/// the cutter then need not look at the value itself unless it is new to the tile.
const IN_TILE: u16 = 0x8000;
/// At most this many distinct keys in a layer (the rest of the `u16` is [`IN_TILE`]).
const MAX_KEYS: usize = IN_TILE as usize;

/// Buffer around a tile, in tile units: enough for line joins and labels at the edges.
const BUFFER: f64 = 64.0;
/// Douglas–Peucker tolerance in tile units: half a pixel of a 512-px rendering.
const SIMPLIFY_TOLERANCE: f64 = 4.0;
/// Below this zoom, points sharing one pixel of a 256-px rendering are drawn once.
const POINT_THINNING_BELOW_ZOOM: u8 = 15;

/// A layer projected to EPSG:3857 and indexed; features in id order.
pub struct LayerData {
    pub slug: String,
    /// The `layer_version_id` this data comes from.
    pub version_id: i64,
    keys: Vec<String>,
    /// Per key: a typed field (in tiles) or an untyped attribute (items only).
    key_in_tiles: Vec<bool>,
    /// Every distinct property value once: species, statuses and dates repeat over
    /// millions of features, and one copy each keeps the layer small.
    values: ValueStore,
    /// Every feature's (key, value) indices into `keys` and `values`, feature after feature;
    /// the key's top bit ([`IN_TILE`]) marks a property tiles carry.
    props: Vec<(u16, u32)>,
    features: Vec<TileFeature>,
    tree: RTree<Entry>,
    bbox_3857: Option<[f64; 4]>,
    points_only: bool,
}

/// One feature of a [`LayerData`], read-only.
#[derive(Clone, Copy)]
pub struct FeatureView<'a> {
    layer: &'a LayerData,
    f: &'a TileFeature,
    /// The position of `f` in the layer.
    i: usize,
}

impl<'a> FeatureView<'a> {
    fn prop_indices(&self) -> &'a [(u16, u32)] {
        self.layer.feature_props(self.i)
    }

    pub fn id(&self) -> i64 {
        self.f.id
    }
    pub fn row(&self) -> u64 {
        u64::from(self.f.row)
    }
    /// The geometry in EPSG:3857.
    pub fn geom(&self) -> &'a Geom {
        &self.f.geom
    }
    /// Whether the stored geometry is a Multi* one.
    pub fn is_multi(&self) -> bool {
        self.f.multi
    }
    /// Every property: `(key, value, typed)`, typed fields first.
    pub fn props(&self) -> impl Iterator<Item = (&'a str, PropRef<'a>, bool)> + 'a {
        let l = self.layer;
        self.prop_indices().iter().map(move |(k, v)| {
            let k = usize::from(k & !IN_TILE);
            (l.keys[k].as_str(), l.values.get(*v), l.key_in_tiles[k])
        })
    }
    pub fn prop(&self, key: &str) -> Option<PropRef<'a>> {
        self.props().find(|(k, _, _)| *k == key).map(|(_, v, _)| v)
    }
}

fn key_index(
    keys: &mut Vec<String>,
    in_tiles: &mut Vec<bool>,
    idx: &mut HashMap<String, u16>,
    k: &str,
    typed: bool,
) -> Option<u16> {
    if let Some(i) = idx.get(k) {
        return Some(*i);
    }
    if keys.len() >= MAX_KEYS {
        return None;
    }
    let i = keys.len() as u16;
    keys.push(k.to_owned());
    in_tiles.push(typed);
    idx.insert(k.to_owned(), i);
    Some(i)
}

/// Text this long or shorter is kept inside its [`Stored`] (dates, permit numbers, most
/// species and statuses): read with the value, no second cache miss.
const INLINE_TEXT: usize = 14;

/// A value as a [`ValueStore`] holds it, in 16 bytes (a `PropValue::Str` takes 32 and an
/// allocation of its own): short text inline, longer text as a span of the store's arena.
/// The rare list and over-long text are boxed so that they do not make every value 24 bytes.
#[allow(clippy::box_collection)]
enum Stored {
    /// Text of at most [`INLINE_TEXT`] bytes: `bytes[..len]`, valid UTF-8.
    Inline {
        len: u8,
        bytes: [u8; INLINE_TEXT],
    },
    Str {
        at: u32,
        len: u32,
    },
    Json {
        at: u32,
        len: u32,
    },
    Int(i64),
    Double(f64),
    Bool(bool),
    List(Box<Vec<String>>),
    /// Text past the arena's 4 GiB of offsets, on its own.
    BigStr(Box<String>),
    BigJson(Box<String>),
    Null,
}

/// Distinct property values, their text back to back in one arena, in the order first met
/// (features arrive in id order, so neighbours' values are neighbours in memory: the tile
/// cutter reads them with few cache misses).
#[derive(Default)]
struct ValueStore {
    items: Vec<Stored>,
    text: String,
}

impl ValueStore {
    fn get(&self, i: u32) -> PropRef<'_> {
        let span = |at: u32, len: u32| &self.text[at as usize..(at + len) as usize];
        match &self.items[i as usize] {
            // Made from a `&str`, so valid UTF-8: the check cannot fail.
            Stored::Inline { len, bytes } => {
                PropRef::Str(std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or(""))
            }
            Stored::Str { at, len } => PropRef::Str(span(*at, *len)),
            Stored::Json { at, len } => PropRef::Json(span(*at, *len)),
            Stored::Int(n) => PropRef::Int(*n),
            Stored::Double(d) => PropRef::Double(*d),
            Stored::Bool(b) => PropRef::Bool(*b),
            Stored::List(l) => PropRef::List(l),
            Stored::BigStr(s) => PropRef::Str(s),
            Stored::BigJson(s) => PropRef::Json(s),
            Stored::Null => PropRef::Null,
        }
    }

    fn push(&mut self, v: PropValue) -> u32 {
        let i = self.items.len() as u32;
        let mut span = |s: &str| {
            let at = u32::try_from(self.text.len()).ok()?;
            let len = u32::try_from(s.len()).ok()?;
            at.checked_add(len)?;
            self.text.push_str(s);
            Some((at, len))
        };
        let stored = match v {
            PropValue::Str(s) if s.len() <= INLINE_TEXT => {
                let mut bytes = [0u8; INLINE_TEXT];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                Stored::Inline {
                    len: s.len() as u8,
                    bytes,
                }
            }
            PropValue::Str(s) => match span(&s) {
                Some((at, len)) => Stored::Str { at, len },
                None => Stored::BigStr(Box::new(s)),
            },
            PropValue::Json(s) => match span(&s) {
                Some((at, len)) => Stored::Json { at, len },
                None => Stored::BigJson(Box::new(s)),
            },
            PropValue::Int(n) => Stored::Int(n),
            PropValue::Double(d) => Stored::Double(d),
            PropValue::Bool(b) => Stored::Bool(b),
            PropValue::List(l) => Stored::List(Box::new(l)),
            PropValue::Null => Stored::Null,
        };
        self.items.push(stored);
        i
    }

    fn shrink_to_fit(&mut self) {
        self.items.shrink_to_fit();
        self.text.shrink_to_fit();
    }
}

/// Distinct values, each stored once, found again by hash (a table of indices: 4 bytes and a
/// control byte per value while a layer loads).
#[derive(Default)]
struct ValueDict {
    store: ValueStore,
    by_hash: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

fn value_hash(hasher: &foldhash::fast::FixedState, v: PropRef<'_>) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = hasher.build_hasher();
    match v {
        PropRef::Str(s) => (0u8, s).hash(&mut h),
        PropRef::Json(s) => (1u8, s).hash(&mut h),
        PropRef::Int(i) => (2u8, i).hash(&mut h),
        PropRef::Double(d) => (3u8, d.to_bits()).hash(&mut h),
        PropRef::Bool(b) => (4u8, b).hash(&mut h),
        PropRef::List(l) => (5u8, l).hash(&mut h),
        PropRef::Null => 6u8.hash(&mut h),
    }
    h.finish()
}

impl ValueDict {
    fn index(&mut self, v: PropValue) -> u32 {
        let hash = value_hash(&self.hasher, v.borrowed());
        let store = &self.store;
        if let Some(&i) = self.by_hash.find(hash, |&i| store.get(i) == v.borrowed()) {
            return i;
        }
        let i = self.store.push(v);
        let (store, hasher) = (&self.store, &self.hasher);
        self.by_hash
            .insert_unique(hash, i, |&j| value_hash(hasher, store.get(j)));
        i
    }
}

/// Builds a [`LayerData`] feature by feature, so that a layer can be indexed while its rows
/// still arrive and no second copy of them is ever held.
pub struct LayerDataBuilder {
    slug: String,
    version_id: i64,
    keys: Vec<String>,
    key_in_tiles: Vec<bool>,
    key_idx: HashMap<String, u16>,
    values: ValueDict,
    props: Vec<(u16, u32)>,
    out: Vec<TileFeature>,
    /// Per feature (as pushed), its bounding box in EPSG:3857.
    bboxes: Vec<[f64; 4]>,
    bbox: Option<[f64; 4]>,
}

impl LayerDataBuilder {
    pub fn new(slug: &str, version_id: i64) -> LayerDataBuilder {
        LayerDataBuilder {
            slug: slug.to_owned(),
            version_id,
            keys: Vec::new(),
            key_in_tiles: Vec::new(),
            key_idx: HashMap::new(),
            values: ValueDict::default(),
            props: Vec::new(),
            out: Vec::new(),
            bboxes: Vec::new(),
            bbox: None,
        }
    }

    /// Projects one feature; one without a usable geometry is skipped.
    pub fn push(&mut self, f: SourceFeature) {
        let Some(geom) = Geom::from_wgs84(&f.geometry) else {
            return;
        };
        let multi = matches!(
            f.geometry,
            geo_types::Geometry::MultiPoint(_)
                | geo_types::Geometry::MultiLineString(_)
                | geo_types::Geometry::MultiPolygon(_)
        );
        drop(f.geometry);
        let b = geom.bbox();
        self.bbox = Some(match self.bbox {
            None => b,
            Some(a) => [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])],
        });
        let start = self.props.len();
        // A layer with more than 32,768 distinct keys keeps the first ones only.
        for (k, v) in f.props {
            let Some(ki) = key_index(&mut self.keys, &mut self.key_in_tiles, &mut self.key_idx, &k, true) else {
                continue;
            };
            let flag = if self.key_in_tiles[usize::from(ki)] && v.in_tiles() {
                IN_TILE
            } else {
                0
            };
            let p = (ki | flag, self.values.index(v));
            self.props.push(p);
        }
        for (k, v) in f.extra {
            let Some(ki) = key_index(&mut self.keys, &mut self.key_in_tiles, &mut self.key_idx, &k, false) else {
                continue;
            };
            // A typed field wins over an untyped attribute of the same name.
            if !self.props[start..].iter().any(|(pk, _)| pk & !IN_TILE == ki) {
                let p = (ki, self.values.index(v));
                self.props.push(p);
            }
        }
        self.out.push(TileFeature {
            id: f.id,
            weight: geom.weight(),
            geom,
            props_at: u32::try_from(start).unwrap_or(u32::MAX),
            row: u32::try_from(f.row).unwrap_or(u32::MAX),
            multi,
        });
        self.bboxes.push(b);
    }

    /// Orders the features by id and indexes them.
    pub fn finish(self) -> LayerData {
        let (mut out, mut bboxes, mut props) = (self.out, self.bboxes, self.props);
        if !out.is_sorted_by_key(|f| f.id) {
            // Rows come in id order from the store; otherwise sort, keeping each feature's
            // box and properties with it.
            let ends: Vec<usize> = (0..out.len())
                .map(|i| out.get(i + 1).map_or(props.len(), |n| n.props_at as usize))
                .collect();
            let mut order: Vec<usize> = (0..out.len()).collect();
            order.sort_by_key(|&i| out[i].id);
            let mut sorted_props = Vec::with_capacity(props.len());
            let mut slots: Vec<Option<TileFeature>> = out.into_iter().map(Some).collect();
            out = Vec::with_capacity(slots.len());
            bboxes = order.iter().map(|&i| bboxes[i]).collect();
            for &i in &order {
                if let Some(mut f) = slots[i].take() {
                    let range = f.props_at as usize..ends[i];
                    f.props_at = sorted_props.len() as u32;
                    sorted_props.extend_from_slice(&props[range]);
                    out.push(f);
                }
            }
            props = sorted_props;
        }
        out.shrink_to_fit();
        props.shrink_to_fit();
        let entries = bboxes
            .iter()
            .enumerate()
            .map(|(i, b)| GeomWithData::new(Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]), i as u32))
            .collect();
        drop(bboxes);
        let points_only = out.iter().all(|f| f.geom.points().is_some());
        let mut values = self.values.store;
        values.shrink_to_fit();
        LayerData {
            points_only,
            slug: self.slug,
            version_id: self.version_id,
            keys: self.keys,
            key_in_tiles: self.key_in_tiles,
            values,
            props,
            features: out,
            tree: RTree::bulk_load(entries),
            bbox_3857: self.bbox,
        }
    }
}

impl LayerData {
    /// Projects and indexes `features`. Features without a usable geometry are skipped.
    pub fn new(slug: &str, version_id: i64, features: impl IntoIterator<Item = SourceFeature>) -> LayerData {
        let mut b = LayerDataBuilder::new(slug, version_id);
        for f in features {
            b.push(f);
        }
        b.finish()
    }

    /// The (key, value) indices of feature `i`'s properties.
    fn feature_props(&self, i: usize) -> &[(u16, u32)] {
        let end = self
            .features
            .get(i + 1)
            .map_or(self.props.len(), |n| n.props_at as usize);
        &self.props[self.features[i].props_at as usize..end]
    }

    /// The `i`-th feature in id order (`i < feature_count()`).
    pub fn at(&self, i: usize) -> FeatureView<'_> {
        self.view(i)
    }

    fn view(&self, i: usize) -> FeatureView<'_> {
        FeatureView {
            layer: self,
            f: &self.features[i],
            i,
        }
    }

    /// The feature with this id.
    pub fn get(&self, id: i64) -> Option<FeatureView<'_>> {
        self.features
            .binary_search_by_key(&id, |f| f.id)
            .ok()
            .map(|i| self.view(i))
    }

    /// Features in id order, those with an id above `after` only.
    pub fn iter_after(&self, after: Option<i64>) -> impl Iterator<Item = FeatureView<'_>> + '_ {
        let start = after.map_or(0, |a| self.features.partition_point(|f| f.id <= a));
        (start..self.features.len()).map(move |i| self.view(i))
    }

    /// Features whose bounding box meets `bbox_3857`, in id order, ids above `after` only.
    pub fn in_bbox_after(&self, bbox_3857: [f64; 4], after: Option<i64>) -> Vec<FeatureView<'_>> {
        let never = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        self.in_bbox_after_marked(bbox_3857, never, after)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    /// [`LayerData::in_bbox_after`], each feature with whether its bounding box lies
    /// within `inner_3857`: such a feature meets any shape that covers that box, with no
    /// need to test its geometry.
    pub fn in_bbox_after_marked(
        &self,
        bbox_3857: [f64; 4],
        inner_3857: [f64; 4],
        after: Option<i64>,
    ) -> Vec<(FeatureView<'_>, bool)> {
        let env = AABB::from_corners([bbox_3857[0], bbox_3857[1]], [bbox_3857[2], bbox_3857[3]]);
        let i = inner_3857;
        let mut idx: Vec<(u32, bool)> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .filter(|e| after.is_none_or(|a| self.features[e.data as usize].id > a))
            .map(|e| {
                let (lo, hi) = (e.geom().lower(), e.geom().upper());
                (e.data, lo[0] >= i[0] && lo[1] >= i[1] && hi[0] <= i[2] && hi[1] <= i[3])
            })
            .collect();
        idx.sort_unstable_by_key(|(i, _)| *i);
        idx.into_iter()
            .map(|(i, inside)| (self.view(i as usize), inside))
            .collect()
    }

    pub fn feature_count(&self) -> usize {
        self.features.len()
    }

    /// The extent of the layer in EPSG:3857, `None` when empty.
    pub fn bbox_3857(&self) -> Option<[f64; 4]> {
        self.bbox_3857
    }

    /// Cuts this layer's part of tile `coord` and appends it (an MVT layer named after the
    /// slug) to `tile`, using at most about `budget` bytes: when the data is denser than
    /// that, the most visible features (largest area or length) are kept.
    pub fn cut_into(&self, coord: TileCoord, budget: usize, tile: &mut Vec<u8>) {
        let b = coord.bounds_3857();
        let size = coord.size_m();
        let buf_m = size * BUFFER / f64::from(EXTENT);
        let env = AABB::from_corners([b[0] - buf_m, b[1] - buf_m], [b[2] + buf_m, b[3] + buf_m]);
        let pixel_m = size / 256.0;
        let mut cands: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .filter(|e| {
                let (lo, hi) = (e.geom().lower(), e.geom().upper());
                self.points_only
                    || (hi[0] - lo[0]).max(hi[1] - lo[1]) >= pixel_m
                    || self.features[e.data as usize].geom.points().is_some()
            })
            .map(|e| e.data)
            .collect();
        if cands.is_empty() {
            return;
        }
        if self.points_only {
            // Points all weigh the same: take them in id order, which reads the layer's
            // arrays front to back (far fewer cache misses than the R-tree's order).
            cands.sort_unstable();
        } else {
            cands.sort_unstable_by(|&a, &c| {
                let (fa, fc) = (&self.features[a as usize], &self.features[c as usize]);
                fc.weight.total_cmp(&fa.weight).then(fa.id.cmp(&fc.id))
            });
        }
        let scale = f64::from(EXTENT) / size;
        let to_tile = |p: &Pt| [(p[0] - b[0]) * scale, (b[3] - p[1]) * scale];
        let clip_rect = [-BUFFER, -BUFFER, f64::from(EXTENT) + BUFFER, f64::from(EXTENT) + BUFFER];
        let inside =
            |t: &Pt| t[0] >= clip_rect[0] && t[0] <= clip_rect[2] && t[1] >= clip_rect[1] && t[1] <= clip_rect[3];
        let mut layer = LayerBuilder::new(&self.slug);
        let mut seen_pixels: foldhash::HashSet<(i32, i32)> = foldhash::HashSet::default();
        // Tile key and value indices of this layer's keys and values, found once per tile.
        let mut tile_key: Vec<Option<u32>> = vec![None; self.keys.len()];
        let mut tile_value: foldhash::HashMap<u32, u32> = foldhash::HashMap::default();
        let id_key = layer.key("id");
        // Buffers reused from feature to feature.
        let mut enc = GeomEncoder::default();
        let mut tags: Vec<u32> = Vec::new();
        let mut q: Vec<[i32; 2]> = Vec::new();
        let mut t: Vec<Pt> = Vec::new();
        let mut simplified: Vec<Pt> = Vec::new();
        let mut dp = Scratch::default();
        for i in cands {
            let f = &self.features[i as usize];
            enc.clear();
            // A collection draws the members of its first member's kind.
            let Some(first) = f.geom.tile_parts().next() else {
                continue;
            };
            let ty = match first {
                Geom::Point(_) | Geom::Points(_) | Geom::Collection(_) => {
                    q.clear();
                    for p in f.geom.tile_parts().filter_map(Geom::points).flatten() {
                        let t = to_tile(p);
                        if !inside(&t) {
                            continue;
                        }
                        let r = [t[0].round() as i32, t[1].round() as i32];
                        if coord.z < POINT_THINNING_BELOW_ZOOM && !seen_pixels.insert((r[0] >> 4, r[1] >> 4)) {
                            continue;
                        }
                        q.push(r);
                    }
                    enc.points(&q);
                    GeomType::Point
                }
                Geom::Lines(_) => {
                    let lines = f.geom.tile_parts().filter_map(|g| match g {
                        Geom::Lines(l) => Some(l),
                        _ => None,
                    });
                    for l in lines.flatten() {
                        t.clear();
                        t.extend(l.iter().map(to_tile));
                        for part in clip_line(&t, clip_rect) {
                            douglas_peucker_into(&part, SIMPLIFY_TOLERANCE, &mut dp, &mut simplified);
                            quantize_into(&simplified, &mut q);
                            if q.len() >= 2 {
                                enc.line(&q);
                            }
                        }
                    }
                    GeomType::LineString
                }
                Geom::Polygons(_) => {
                    let polys = f.geom.tile_parts().filter_map(|g| match g {
                        Geom::Polygons(p) => Some(p),
                        _ => None,
                    });
                    for rings in polys.flatten() {
                        for (ri, ring) in rings.iter().enumerate() {
                            t.clear();
                            t.extend(ring.iter().map(to_tile));
                            // A closed ring inside the clip rectangle is its own clipped ring.
                            let clipped;
                            let c: &[Pt] = if t.len() > 1 && t.first() == t.last() && t.iter().all(inside) {
                                &t
                            } else {
                                clipped = clip_ring(&t, clip_rect);
                                &clipped
                            };
                            douglas_peucker_into(c, SIMPLIFY_TOLERANCE, &mut dp, &mut simplified);
                            quantize_into(&simplified, &mut q);
                            if q.len() > 1 && q.first() == q.last() {
                                q.pop();
                            }
                            let area = ring_area_i32(&q);
                            if q.len() < 3 || area == 0 {
                                if ri == 0 {
                                    break; // no exterior left: the holes go with it
                                }
                                continue;
                            }
                            // MVT: exteriors have positive area in tile coordinates (y down), holes negative.
                            if (ri == 0) != (area > 0) {
                                q.reverse();
                            }
                            enc.ring(&q);
                        }
                    }
                    GeomType::Polygon
                }
            };
            if enc.is_empty() {
                continue;
            }
            tags.clear();
            tags.push(id_key);
            tags.push(layer.value(&PropValue::Int(f.id)));
            for &(k, v) in self.feature_props(i as usize) {
                if k & IN_TILE == 0 {
                    continue;
                }
                let k = usize::from(k & !IN_TILE);
                let ki = match tile_key[k] {
                    Some(ki) => ki,
                    None => {
                        let ki = layer.key(&self.keys[k]);
                        tile_key[k] = Some(ki);
                        ki
                    }
                };
                let vi = *tile_value
                    .entry(v)
                    .or_insert_with(|| layer.value_ref(self.values.get(v)));
                tags.push(ki);
                tags.push(vi);
            }
            layer.add_feature_tags(f.id.max(0) as u64, ty, enc.commands(), &tags);
            if layer.encoded_len() >= budget {
                break;
            }
        }
        layer.finish_into(tile);
    }
}

/// Rounds to integer tile coordinates into `out` (cleared first) and drops repeated points.
fn quantize_into(pts: &[Pt], out: &mut Vec<[i32; 2]>) {
    out.clear();
    for p in pts {
        let q = [p[0].round() as i32, p[1].round() as i32];
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
}

/// Twice the signed area of a ring of tile coordinates (shoelace, exact in integers).
fn ring_area_i32(r: &[[i32; 2]]) -> i64 {
    if r.len() < 3 {
        return 0;
    }
    let mut s = 0i64;
    for (i, a) in r.iter().enumerate() {
        let b = r[(i + 1) % r.len()];
        s += i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(id: i64, props: Vec<(&'static str, PropValue)>, extra: Vec<(&str, PropValue)>) -> SourceFeature {
        SourceFeature {
            id,
            row: id as u64,
            geometry: geo_types::Geometry::Point(geo_types::Point::new(76.9 + id as f64 * 1e-4, 43.2)),
            props: props.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect(),
            extra: extra.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    #[test]
    fn every_value_reads_back_as_it_was_given_and_repeats_are_stored_once() {
        let values = [
            PropValue::Str("Ulmus pumila".into()),
            PropValue::Str(String::new()),
            PropValue::Str("Қарағаш — вяз".into()),
            PropValue::Json("{\"a\":1}".into()),
            PropValue::Int(-7),
            PropValue::Double(2.5),
            PropValue::Bool(true),
            PropValue::List(vec!["a".into(), "b".into()]),
            PropValue::Null,
        ];
        // Each value twice, on features in reverse id order (the builder sorts them), and the
        // same text once as a string and once as JSON: two distinct values.
        let mut feats = Vec::new();
        for (i, v) in values.iter().enumerate() {
            for copy in 0..2 {
                let id = 100 - (2 * i + copy) as i64;
                feats.push(point(
                    id,
                    vec![("v", v.clone())],
                    vec![("note", PropValue::Json("x".into()))],
                ));
            }
        }
        feats.push(point(1, vec![("v", PropValue::Str("x".into()))], vec![]));
        let d = LayerData::new("t", 1, feats);
        for (i, v) in values.iter().enumerate() {
            for copy in 0..2 {
                let f = d.get(100 - (2 * i + copy) as i64).expect("feature");
                assert_eq!(f.prop("v").map(|p| p.to_value()).as_ref(), Some(v));
                assert_eq!(f.prop("note"), Some(PropRef::Json("x")));
            }
        }
        assert_eq!(d.get(1).and_then(|f| f.prop("v")), Some(PropRef::Str("x")));
        // 9 values + "x" as JSON + "x" as text.
        assert_eq!(d.values.items.len(), values.len() + 2);
        assert_eq!(std::mem::size_of::<Stored>(), 16);
        // Text at, under and over the inline length.
        let texts = [
            "abcdefghijklm".to_owned(),
            "abcdefghijklmn".into(),
            "abcdefghijklmno".into(),
            "ә".repeat(7),
            "ә".repeat(8),
        ];
        let d = LayerData::new(
            "t",
            1,
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| point(i as i64 + 1, vec![("v", PropValue::Str(t.to_string()))], vec![])),
        );
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(
                d.get(i as i64 + 1).and_then(|f| f.prop("v")),
                Some(PropRef::Str(t.as_str()))
            );
        }
    }
}
