//! `numberMatched` of recent items queries. A served layer version never changes (a change
//! set is a new version, with a new id), so the count of a query on one version stays right
//! for as long as that version exists: the next pages of a query (`after=`), another output
//! CRS or the same box asked again reuse it instead of counting again. Bounded; the oldest
//! count is forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use qala_store::features::ItemsQuery;
use sha2::{Digest, Sha256};

/// At most this many counts are kept (~100 bytes each).
pub const MAX_COUNTS: usize = 4096;

/// What a count depends on: the version and every condition, not the page (`after`,
/// `limit`) nor the output CRS.
type Key = (i64, [u8; 32]);

#[derive(Default)]
pub struct CountCache {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    map: HashMap<Key, i64>,
    order: VecDeque<Key>,
}

/// The key of `q`'s count: the version and a SHA-256 of its conditions as parsed (so that
/// `76.88` and `76.880` are the same box).
pub fn key(q: &ItemsQuery) -> Key {
    let filters: Vec<(&str, &str)> = q.filters.iter().map(|(f, v)| (f.name, v.as_str())).collect();
    let conditions = format!("{:?}|{:?}|{:?}|{:?}", q.bbox, filters, q.datetime, q.filter);
    (q.layer_version_id, Sha256::digest(conditions.as_bytes()).into())
}

impl CountCache {
    pub fn get(&self, key: &Key) -> Option<i64> {
        self.inner.lock().ok()?.map.get(key).copied()
    }

    pub fn insert(&self, key: Key, n: i64) {
        let Ok(mut c) = self.inner.lock() else { return };
        if c.map.insert(key, n).is_none() {
            c.order.push_back(key);
            while c.order.len() > MAX_COUNTS {
                if let Some(old) = c.order.pop_front() {
                    c.map.remove(&old);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|c| c.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use qala_core::{Bbox, LayerKind};

    use super::*;

    fn query(version: i64, bbox: Option<Bbox>, after: Option<i64>, srid: i32) -> ItemsQuery {
        ItemsQuery {
            kind: LayerKind::Building,
            layer_version_id: version,
            bbox: bbox.map(|b| (b, 4326)),
            after,
            limit: 1000,
            filters: Vec::new(),
            datetime: None,
            filter: None,
            srid,
            lat_lon: false,
        }
    }

    #[test]
    fn the_key_is_the_version_and_the_conditions_not_the_page() {
        let b = Bbox::new(76.88, 43.22, 76.98, 43.28).ok();
        let other = Bbox::new(76.88, 43.22, 76.98, 43.29).ok();
        assert_eq!(key(&query(6, b, None, 4326)), key(&query(6, b, Some(123), 3857)));
        assert_ne!(key(&query(6, b, None, 4326)), key(&query(7, b, None, 4326)));
        assert_ne!(key(&query(6, b, None, 4326)), key(&query(6, other, None, 4326)));
        assert_ne!(key(&query(6, b, None, 4326)), key(&query(6, None, None, 4326)));
    }

    #[test]
    fn bounded_oldest_forgotten_first() {
        let c = CountCache::default();
        for v in 0..(MAX_COUNTS as i64 + 10) {
            c.insert(key(&query(v, None, None, 4326)), v);
        }
        assert_eq!(c.len(), MAX_COUNTS);
        assert_eq!(c.get(&key(&query(0, None, None, 4326))), None);
        assert_eq!(c.get(&key(&query(9, None, None, 4326))), None);
        assert_eq!(c.get(&key(&query(10, None, None, 4326))), Some(10));
        let last = MAX_COUNTS as i64 + 9;
        assert_eq!(c.get(&key(&query(last, None, None, 4326))), Some(last));
    }
}
