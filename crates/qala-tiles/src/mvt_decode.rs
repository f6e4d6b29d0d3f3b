//! A small MVT decoder, so that tests (and anyone checking a tile) can look at what a tile
//! says rather than at its bytes.

use std::collections::BTreeMap;

use crate::mvt::PropValue;

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedLayer {
    pub name: String,
    pub extent: u32,
    pub features: Vec<DecodedFeature>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFeature {
    pub id: Option<u64>,
    /// 1 point, 2 line string, 3 polygon.
    pub geom_type: u32,
    pub props: BTreeMap<String, PropValue>,
    /// Parts in tile coordinates: points (one part), line parts, or rings (closed).
    pub parts: Vec<Vec<[i32; 2]>>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("not a valid vector tile: {0}")]
pub struct DecodeError(&'static str);

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.i).ok_or(DecodeError("truncated varint"))?;
            self.i += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(v);
            }
        }
        Err(DecodeError("varint too long"))
    }
    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.varint()? as usize;
        let s = self.b.get(self.i..self.i + n).ok_or(DecodeError("truncated field"))?;
        self.i += n;
        Ok(s)
    }
    fn skip(&mut self, wire: u64) -> Result<(), DecodeError> {
        match wire {
            0 => self.varint().map(|_| ()),
            1 => {
                self.i += 8;
                Ok(())
            }
            2 => self.bytes().map(|_| ()),
            5 => {
                self.i += 4;
                Ok(())
            }
            _ => Err(DecodeError("unknown wire type")),
        }
    }
    fn packed(&mut self) -> Result<Vec<u32>, DecodeError> {
        let mut r = Reader { b: self.bytes()?, i: 0 };
        let mut out = Vec::new();
        while !r.done() {
            out.push(r.varint()? as u32);
        }
        Ok(out)
    }
}

/// Decodes a whole (uncompressed) tile.
pub fn decode(tile: &[u8]) -> Result<Vec<DecodedLayer>, DecodeError> {
    let mut r = Reader { b: tile, i: 0 };
    let mut layers = Vec::new();
    while !r.done() {
        let key = r.varint()?;
        if key >> 3 == 3 && key & 7 == 2 {
            layers.push(decode_layer(r.bytes()?)?);
        } else {
            r.skip(key & 7)?;
        }
    }
    Ok(layers)
}

fn decode_layer(b: &[u8]) -> Result<DecodedLayer, DecodeError> {
    let mut r = Reader { b, i: 0 };
    let (mut name, mut extent) = (String::new(), 4096);
    let (mut keys, mut values, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    while !r.done() {
        let key = r.varint()?;
        match (key >> 3, key & 7) {
            (1, 2) => name = String::from_utf8_lossy(r.bytes()?).into_owned(),
            (2, 2) => raw.push(r.bytes()?),
            (3, 2) => keys.push(String::from_utf8_lossy(r.bytes()?).into_owned()),
            (4, 2) => values.push(decode_value(r.bytes()?)?),
            (5, 0) => extent = r.varint()? as u32,
            (_, w) => r.skip(w)?,
        }
    }
    let mut features = Vec::new();
    for fb in raw {
        let mut r = Reader { b: fb, i: 0 };
        let mut f = DecodedFeature {
            id: None,
            geom_type: 0,
            props: BTreeMap::new(),
            parts: Vec::new(),
        };
        let mut cmds = Vec::new();
        while !r.done() {
            let key = r.varint()?;
            match (key >> 3, key & 7) {
                (1, 0) => f.id = Some(r.varint()?),
                (2, 2) => {
                    let tags = r.packed()?;
                    for kv in tags.chunks(2) {
                        let (Some(k), Some(v)) = (
                            keys.get(kv[0] as usize),
                            kv.get(1).and_then(|i| values.get(*i as usize)),
                        ) else {
                            return Err(DecodeError("tag index out of range"));
                        };
                        f.props.insert(k.clone(), v.clone());
                    }
                }
                (3, 0) => f.geom_type = r.varint()? as u32,
                (4, 2) => cmds = r.packed()?,
                (_, w) => r.skip(w)?,
            }
        }
        f.parts = decode_geometry(&cmds)?;
        features.push(f);
    }
    Ok(DecodedLayer { name, extent, features })
}

fn decode_value(b: &[u8]) -> Result<PropValue, DecodeError> {
    let mut r = Reader { b, i: 0 };
    let mut v = PropValue::Bool(false);
    while !r.done() {
        let key = r.varint()?;
        v = match (key >> 3, key & 7) {
            (1, 2) => PropValue::Str(String::from_utf8_lossy(r.bytes()?).into_owned()),
            (2, 5) => {
                let s = r.b.get(r.i..r.i + 4).ok_or(DecodeError("truncated float"))?;
                r.i += 4;
                PropValue::Double(f64::from(f32::from_le_bytes([s[0], s[1], s[2], s[3]])))
            }
            (3, 1) => {
                let s = r.b.get(r.i..r.i + 8).ok_or(DecodeError("truncated double"))?;
                r.i += 8;
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                PropValue::Double(f64::from_le_bytes(a))
            }
            (4, 0) | (5, 0) => PropValue::Int(r.varint()? as i64),
            (6, 0) => {
                let u = r.varint()?;
                PropValue::Int(((u >> 1) as i64) ^ -((u & 1) as i64))
            }
            (7, 0) => PropValue::Bool(r.varint()? != 0),
            (_, w) => {
                r.skip(w)?;
                continue;
            }
        };
    }
    Ok(v)
}

fn decode_geometry(cmds: &[u32]) -> Result<Vec<Vec<[i32; 2]>>, DecodeError> {
    let (mut x, mut y) = (0i32, 0i32);
    let mut parts: Vec<Vec<[i32; 2]>> = Vec::new();
    let mut i = 0;
    let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
    while i < cmds.len() {
        let (id, count) = (cmds[i] & 7, (cmds[i] >> 3) as usize);
        i += 1;
        match id {
            1 | 2 => {
                for _ in 0..count {
                    let (dx, dy) = (
                        *cmds.get(i).ok_or(DecodeError("truncated geometry"))?,
                        *cmds.get(i + 1).ok_or(DecodeError("truncated geometry"))?,
                    );
                    i += 2;
                    x += unzig(dx);
                    y += unzig(dy);
                    if id == 1 {
                        parts.push(vec![[x, y]]);
                    } else {
                        parts
                            .last_mut()
                            .ok_or(DecodeError("LineTo before MoveTo"))?
                            .push([x, y]);
                    }
                }
            }
            7 => {
                let p = parts.last_mut().ok_or(DecodeError("ClosePath before MoveTo"))?;
                let first = p[0];
                p.push(first);
            }
            _ => return Err(DecodeError("unknown command")),
        }
    }
    Ok(parts)
}
