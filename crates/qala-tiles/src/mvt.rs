//! Mapbox Vector Tile 2.1 encoding, written by hand: the protobuf subset MVT needs is a
//! handful of varints and length-delimited fields.

use foldhash::HashMap;

/// A property value of a feature. Tiles carry the scalar ones (a list as comma-joined
/// text); `Null` and `Json` (an object or array attribute, as JSON text) are kept for the
/// OGC items served from memory and left out of tiles.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    List(Vec<String>),
    Json(String),
    Null,
}

impl PropValue {
    /// Whether tiles carry this value.
    pub fn in_tiles(&self) -> bool {
        self.borrowed().in_tiles()
    }

    /// This value, borrowed.
    pub fn borrowed(&self) -> PropRef<'_> {
        match self {
            PropValue::Str(s) => PropRef::Str(s),
            PropValue::Int(i) => PropRef::Int(*i),
            PropValue::Double(d) => PropRef::Double(*d),
            PropValue::Bool(b) => PropRef::Bool(*b),
            PropValue::List(l) => PropRef::List(l),
            PropValue::Json(s) => PropRef::Json(s),
            PropValue::Null => PropRef::Null,
        }
    }
}

/// A [`PropValue`] borrowed from where it is held: a served layer keeps its text in one
/// contiguous arena, not one allocation per value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropRef<'a> {
    Str(&'a str),
    Int(i64),
    Double(f64),
    Bool(bool),
    List(&'a [String]),
    Json(&'a str),
    Null,
}

impl PropRef<'_> {
    /// Whether tiles carry this value.
    pub fn in_tiles(&self) -> bool {
        !matches!(self, PropRef::Json(_) | PropRef::Null)
    }

    /// An owned copy.
    pub fn to_value(&self) -> PropValue {
        match *self {
            PropRef::Str(s) => PropValue::Str(s.to_owned()),
            PropRef::Int(i) => PropValue::Int(i),
            PropRef::Double(d) => PropValue::Double(d),
            PropRef::Bool(b) => PropValue::Bool(b),
            PropRef::List(l) => PropValue::List(l.to_vec()),
            PropRef::Json(s) => PropValue::Json(s.to_owned()),
            PropRef::Null => PropValue::Null,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

/// Writes `v` as an MVT `Value` message (without its length prefix). Values equal in a
/// tile (a list and its comma-joined text, a JSON text and the same string) write the same
/// bytes, so the bytes are the key values are deduplicated by.
fn encode_value(msg: &mut Vec<u8>, v: PropRef<'_>) {
    match v {
        PropRef::Str(s) | PropRef::Json(s) => put_bytes(msg, 1, s.as_bytes()),
        PropRef::List(l) => put_bytes(msg, 1, l.join(",").as_bytes()),
        PropRef::Null => put_bytes(msg, 1, b""),
        PropRef::Double(d) => {
            put_key(msg, 3, 1);
            msg.extend_from_slice(&d.to_le_bytes());
        }
        PropRef::Int(n) => {
            put_key(msg, 4, 0);
            put_varint(msg, n as u64);
        }
        PropRef::Bool(b) => {
            put_key(msg, 7, 0);
            put_varint(msg, u64::from(b));
        }
    }
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, field: u32, wire: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(out, field, 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

/// Builds the command stream of one feature's geometry (tile coordinates, integers).
#[derive(Default)]
pub struct GeomEncoder {
    cmds: Vec<u32>,
    cx: i32,
    cy: i32,
}

impl GeomEncoder {
    fn command(&mut self, id: u32, count: usize) {
        self.cmds.push((id & 7) | ((count as u32) << 3));
    }
    fn params(&mut self, pts: &[[i32; 2]]) {
        for p in pts {
            self.cmds.push(zigzag(p[0] - self.cx));
            self.cmds.push(zigzag(p[1] - self.cy));
            self.cx = p[0];
            self.cy = p[1];
        }
    }
    /// All points of a (multi)point feature.
    pub fn points(&mut self, pts: &[[i32; 2]]) {
        if pts.is_empty() {
            return;
        }
        self.command(1, pts.len());
        self.params(pts);
    }
    /// One line part (at least 2 points).
    pub fn line(&mut self, pts: &[[i32; 2]]) {
        self.command(1, 1);
        self.params(&pts[..1]);
        self.command(2, pts.len() - 1);
        self.params(&pts[1..]);
    }
    /// One ring, without its closing point (at least 3 points).
    pub fn ring(&mut self, pts: &[[i32; 2]]) {
        self.line(pts);
        self.command(7, 1);
    }
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }
    /// Starts the next feature, keeping the buffer.
    pub fn clear(&mut self) {
        self.cmds.clear();
        self.cx = 0;
        self.cy = 0;
    }
    pub fn commands(&self) -> &[u32] {
        &self.cmds
    }
    pub fn into_commands(self) -> Vec<u32> {
        self.cmds
    }
}

/// One MVT layer being written.
pub struct LayerBuilder {
    name: String,
    keys: Vec<String>,
    key_idx: HashMap<String, u32>,
    /// The encoded `values` entries (field 4), one after another.
    values: Vec<u8>,
    /// Per value index, where its `Value` message lies in `values`.
    value_spans: Vec<(u32, u32)>,
    /// `(hash of the message, value index)`: finds a value already written, by its bytes.
    value_table: hashbrown::HashTable<(u64, u32)>,
    value_hasher: foldhash::fast::RandomState,
    value_scratch: Vec<u8>,
    features: Vec<u8>,
    count: usize,
    scratch: Vec<u8>,
    /// Reused per feature: its tags, and the packed tags and commands.
    tags: Vec<u32>,
    packed_tags: Vec<u8>,
    packed_cmds: Vec<u8>,
}

impl LayerBuilder {
    pub fn new(name: &str) -> Self {
        LayerBuilder {
            name: name.to_owned(),
            keys: Vec::new(),
            key_idx: HashMap::default(),
            values: Vec::new(),
            value_spans: Vec::new(),
            value_table: hashbrown::HashTable::new(),
            value_hasher: foldhash::fast::RandomState::default(),
            value_scratch: Vec::new(),
            features: Vec::new(),
            count: 0,
            scratch: Vec::new(),
            tags: Vec::new(),
            packed_tags: Vec::new(),
            packed_cmds: Vec::new(),
        }
    }

    /// The index of key `k` in this layer's keys, added if new.
    pub fn key(&mut self, k: &str) -> u32 {
        if let Some(&i) = self.key_idx.get(k) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(k.to_owned());
        self.key_idx.insert(k.to_owned(), i);
        i
    }

    /// The index of value `v` in this layer's values, added if new.
    pub fn value(&mut self, v: &PropValue) -> u32 {
        self.value_ref(v.borrowed())
    }

    /// [`LayerBuilder::value`] of a borrowed value.
    pub fn value_ref(&mut self, v: PropRef<'_>) -> u32 {
        use std::hash::BuildHasher;
        let mut msg = std::mem::take(&mut self.value_scratch);
        msg.clear();
        encode_value(&mut msg, v);
        let hash = self.value_hasher.hash_one(&msg[..]);
        let (values, spans) = (&self.values, &self.value_spans);
        let found = self.value_table.find(hash, |&(h, i)| {
            let (start, len) = spans[i as usize];
            h == hash && values[start as usize..(start + len) as usize] == msg[..]
        });
        if let Some(&(_, i)) = found {
            self.value_scratch = msg;
            return i;
        }
        let i = self.value_spans.len() as u32;
        put_key(&mut self.values, 4, 2);
        put_varint(&mut self.values, msg.len() as u64);
        let start = self.values.len() as u32;
        self.values.extend_from_slice(&msg);
        self.value_spans.push((start, msg.len() as u32));
        self.value_table.insert_unique(hash, (hash, i), |e| e.0);
        self.value_scratch = msg;
        i
    }

    /// Adds one feature. `commands` come from a [`GeomEncoder`].
    pub fn add_feature<'a>(
        &mut self,
        id: u64,
        ty: GeomType,
        commands: &[u32],
        props: impl IntoIterator<Item = (&'a str, &'a PropValue)>,
    ) {
        let mut tags = std::mem::take(&mut self.tags);
        tags.clear();
        for (k, v) in props {
            tags.push(self.key(k));
            tags.push(self.value(v));
        }
        self.add_feature_tags(id, ty, commands, &tags);
        self.tags = tags;
    }

    /// Adds one feature whose tags (key index, value index, …) are already known, from
    /// [`LayerBuilder::key`] and [`LayerBuilder::value`].
    pub fn add_feature_tags(&mut self, id: u64, ty: GeomType, commands: &[u32], tags: &[u32]) {
        let mut msg = std::mem::take(&mut self.scratch);
        msg.clear();
        put_key(&mut msg, 1, 0);
        put_varint(&mut msg, id);
        if !tags.is_empty() {
            let packed = &mut self.packed_tags;
            packed.clear();
            for t in tags {
                put_varint(packed, u64::from(*t));
            }
            put_bytes(&mut msg, 2, packed);
        }
        put_key(&mut msg, 3, 0);
        put_varint(&mut msg, ty as u64);
        let packed = &mut self.packed_cmds;
        packed.clear();
        for c in commands {
            put_varint(packed, u64::from(*c));
        }
        put_bytes(&mut msg, 4, packed);
        put_bytes(&mut self.features, 2, &msg);
        self.scratch = msg;
        self.count += 1;
    }

    /// Bytes the layer would take if finished now.
    pub fn encoded_len(&self) -> usize {
        self.features.len() + self.values.len() + self.keys.iter().map(|k| k.len() + 3).sum::<usize>() + 32
    }

    pub fn feature_count(&self) -> usize {
        self.count
    }

    /// Appends the finished layer to a tile. Layers without features are left out.
    pub fn finish_into(self, tile: &mut Vec<u8>) {
        if self.count == 0 {
            return;
        }
        let mut msg = Vec::with_capacity(self.encoded_len());
        put_key(&mut msg, 15, 0);
        put_varint(&mut msg, 2);
        put_bytes(&mut msg, 1, self.name.as_bytes());
        msg.extend_from_slice(&self.features);
        for k in &self.keys {
            put_bytes(&mut msg, 3, k.as_bytes());
        }
        msg.extend_from_slice(&self.values);
        put_key(&mut msg, 5, 0);
        put_varint(&mut msg, u64::from(crate::EXTENT));
        put_bytes(tile, 3, &msg);
    }
}
