//! Mapbox Vector Tile 2.1 encoding, written by hand: the protobuf subset MVT needs is a
//! handful of varints and length-delimited fields.

use std::collections::HashMap;

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
        !matches!(self, PropValue::Json(_) | PropValue::Null)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

#[derive(Hash, PartialEq, Eq)]
enum ValueKey {
    Str(String),
    Int(i64),
    Double(u64),
    Bool(bool),
}

fn value_key(v: &PropValue) -> ValueKey {
    match v {
        PropValue::Str(s) => ValueKey::Str(s.clone()),
        PropValue::Int(i) => ValueKey::Int(*i),
        PropValue::Double(d) => ValueKey::Double(d.to_bits()),
        PropValue::Bool(b) => ValueKey::Bool(*b),
        PropValue::List(l) => ValueKey::Str(l.join(",")),
        PropValue::Json(s) => ValueKey::Str(s.clone()),
        PropValue::Null => ValueKey::Str(String::new()),
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
    pub fn into_commands(self) -> Vec<u32> {
        self.cmds
    }
}

/// One MVT layer being written.
pub struct LayerBuilder {
    name: String,
    keys: Vec<String>,
    key_idx: HashMap<String, u32>,
    values: Vec<u8>,
    value_idx: HashMap<ValueKey, u32>,
    features: Vec<u8>,
    count: usize,
    scratch: Vec<u8>,
}

impl LayerBuilder {
    pub fn new(name: &str) -> Self {
        LayerBuilder {
            name: name.to_owned(),
            keys: Vec::new(),
            key_idx: HashMap::new(),
            values: Vec::new(),
            value_idx: HashMap::new(),
            features: Vec::new(),
            count: 0,
            scratch: Vec::new(),
        }
    }

    fn key(&mut self, k: &str) -> u32 {
        if let Some(&i) = self.key_idx.get(k) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(k.to_owned());
        self.key_idx.insert(k.to_owned(), i);
        i
    }

    fn value(&mut self, v: &PropValue) -> u32 {
        let vk = value_key(v);
        if let Some(&i) = self.value_idx.get(&vk) {
            return i;
        }
        let i = self.value_idx.len() as u32;
        let mut msg = Vec::new();
        match v {
            PropValue::Str(s) | PropValue::Json(s) => put_bytes(&mut msg, 1, s.as_bytes()),
            PropValue::List(l) => put_bytes(&mut msg, 1, l.join(",").as_bytes()),
            PropValue::Null => put_bytes(&mut msg, 1, b""),
            PropValue::Double(d) => {
                put_key(&mut msg, 3, 1);
                msg.extend_from_slice(&d.to_le_bytes());
            }
            PropValue::Int(n) => {
                put_key(&mut msg, 4, 0);
                put_varint(&mut msg, *n as u64);
            }
            PropValue::Bool(b) => {
                put_key(&mut msg, 7, 0);
                put_varint(&mut msg, u64::from(*b));
            }
        }
        put_bytes(&mut self.values, 4, &msg);
        self.value_idx.insert(vk, i);
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
        let mut tags = Vec::new();
        for (k, v) in props {
            let ki = self.key(k);
            let vi = self.value(v);
            tags.push(ki);
            tags.push(vi);
        }
        let mut msg = std::mem::take(&mut self.scratch);
        msg.clear();
        put_key(&mut msg, 1, 0);
        put_varint(&mut msg, id);
        if !tags.is_empty() {
            let mut packed = Vec::with_capacity(tags.len() * 2);
            for t in tags {
                put_varint(&mut packed, u64::from(t));
            }
            put_bytes(&mut msg, 2, &packed);
        }
        put_key(&mut msg, 3, 0);
        put_varint(&mut msg, ty as u64);
        let mut packed = Vec::with_capacity(commands.len() * 2);
        for c in commands {
            put_varint(&mut packed, u64::from(*c));
        }
        put_bytes(&mut msg, 4, &packed);
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
