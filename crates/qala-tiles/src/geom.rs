//! Geometries in EPSG:3857, in the simple shape the tile cutter works on.

use crate::mercator::to_3857;

pub type Pt = [f64; 2];

/// A feature's geometry, projected to EPSG:3857 metres.
#[derive(Debug, Clone, PartialEq)]
pub enum Geom {
    /// One point, held inline: point layers have millions of them.
    Point(Pt),
    Points(Vec<Pt>),
    /// Line parts.
    Lines(Vec<Vec<Pt>>),
    /// Polygons, each a list of closed rings: exterior first, then holes.
    Polygons(Vec<Vec<Vec<Pt>>>),
    /// A geometry collection (a `generic` layer may hold them), kept whole: each member
    /// with whether it is a Multi* shape. Never nested (members of a nested collection are
    /// taken in order) and never empty. Tiles draw the members of the first member's kind
    /// (MVT has one geometry type per feature); items and the engine get them all.
    Collection(Vec<(Geom, bool)>),
}

impl Geom {
    /// Projects a WGS84 (lon/lat) geometry. Collections are kept whole, flattened (see
    /// [`Geom::Collection`]); their empty members are left out.
    pub fn from_wgs84(g: &geo_types::Geometry<f64>) -> Option<Geom> {
        use geo_types::Geometry as G;
        let p = |c: &geo_types::Coord<f64>| {
            let (x, y) = to_3857(c.x, c.y);
            [x, y]
        };
        let line = |l: &geo_types::LineString<f64>| l.0.iter().map(p).collect::<Vec<_>>();
        let poly = |pg: &geo_types::Polygon<f64>| {
            std::iter::once(pg.exterior())
                .chain(pg.interiors())
                .map(line)
                .collect::<Vec<_>>()
        };
        let out = match g {
            G::Point(pt) => Geom::Point(p(&pt.0)),
            G::MultiPoint(mp) => Geom::Points(mp.0.iter().map(|pt| p(&pt.0)).collect()),
            G::Line(l) => Geom::Lines(vec![vec![p(&l.start), p(&l.end)]]),
            G::LineString(l) => Geom::Lines(vec![line(l)]),
            G::MultiLineString(m) => Geom::Lines(m.0.iter().map(line).collect()),
            G::Polygon(pg) => Geom::Polygons(vec![poly(pg)]),
            G::MultiPolygon(m) => Geom::Polygons(m.0.iter().map(poly).collect()),
            G::Rect(r) => Geom::Polygons(vec![poly(&r.to_polygon())]),
            G::Triangle(t) => Geom::Polygons(vec![poly(&t.to_polygon())]),
            G::GeometryCollection(c) => {
                let mut members = Vec::new();
                flatten_into(c, &mut members);
                Geom::Collection(members)
            }
        };
        (!out.is_empty()).then_some(out)
    }

    /// Back to a `geo_types` geometry, each point mapped by `f` (e.g. to lon/lat with
    /// [`crate::mercator::to_4326`]); `multi` picks Multi* over the single shape.
    pub fn to_geo(&self, multi: bool, f: impl Fn(Pt) -> Pt) -> geo_types::Geometry<f64> {
        self.to_geo_with(multi, &f)
    }

    fn to_geo_with(&self, multi: bool, f: &dyn Fn(Pt) -> Pt) -> geo_types::Geometry<f64> {
        use geo_types::{Coord, Geometry as G, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
        let c = |p: &Pt| {
            let q = f(*p);
            Coord { x: q[0], y: q[1] }
        };
        let line = |l: &Vec<Pt>| LineString(l.iter().map(c).collect());
        let poly = |rings: &Vec<Vec<Pt>>| {
            let mut it = rings.iter().map(line);
            let ext = it.next().unwrap_or_else(|| LineString(Vec::new()));
            Polygon::new(ext, it.collect())
        };
        match self {
            Geom::Collection(m) => G::GeometryCollection(geo_types::GeometryCollection(
                m.iter().map(|(g, multi)| g.to_geo_with(*multi, f)).collect(),
            )),
            Geom::Point(p) if !multi => G::Point(Point(c(p))),
            Geom::Point(p) => G::MultiPoint(MultiPoint(vec![Point(c(p))])),
            Geom::Points(p) if !multi && p.len() == 1 => G::Point(Point(c(&p[0]))),
            Geom::Points(p) => G::MultiPoint(MultiPoint(p.iter().map(|q| Point(c(q))).collect())),
            Geom::Lines(l) if !multi && l.len() == 1 => G::LineString(line(&l[0])),
            Geom::Lines(l) => G::MultiLineString(MultiLineString(l.iter().map(line).collect())),
            Geom::Polygons(p) if !multi && p.len() == 1 => G::Polygon(poly(&p[0])),
            Geom::Polygons(p) => G::MultiPolygon(MultiPolygon(p.iter().map(poly).collect())),
        }
    }

    /// The points of a point geometry (one or several), `None` for lines and polygons.
    pub fn points(&self) -> Option<&[Pt]> {
        match self {
            Geom::Point(p) => Some(std::slice::from_ref(p)),
            Geom::Points(p) => Some(p),
            _ => None,
        }
    }

    /// What a tile draws of this geometry: itself, or for a collection the members of the
    /// first member's kind (points, lines or polygons), in order.
    pub fn tile_parts(&self) -> impl Iterator<Item = &Geom> {
        let (all, one): (&[(Geom, bool)], Option<&Geom>) = match self {
            Geom::Collection(m) => (m, None),
            g => (&[], Some(g)),
        };
        let first = all.first().map(|(g, _)| g.dimension());
        one.into_iter()
            .chain(all.iter().map(|(g, _)| g).filter(move |g| Some(g.dimension()) == first))
    }

    /// 0 for points, 1 for lines, 2 for polygons (3 for a collection, never a member).
    fn dimension(&self) -> u8 {
        match self {
            Geom::Point(_) | Geom::Points(_) => 0,
            Geom::Lines(_) => 1,
            Geom::Polygons(_) => 2,
            Geom::Collection(_) => 3,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Geom::Point(_) => false,
            Geom::Points(p) => p.is_empty(),
            Geom::Lines(l) => l.iter().all(|p| p.len() < 2),
            Geom::Polygons(p) => p.iter().all(|rings| rings.first().is_none_or(|r| r.len() < 4)),
            Geom::Collection(m) => m.iter().all(|(g, _)| g.is_empty()),
        }
    }

    /// `[min_x, min_y, max_x, max_y]`.
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        let mut add = |q: &Pt| {
            b[0] = b[0].min(q[0]);
            b[1] = b[1].min(q[1]);
            b[2] = b[2].max(q[0]);
            b[3] = b[3].max(q[1]);
        };
        self.each_outer_point(&mut add);
        b
    }

    /// Every point of the geometry but those of polygon holes.
    fn each_outer_point(&self, add: &mut impl FnMut(&Pt)) {
        match self {
            Geom::Point(p) => add(p),
            Geom::Points(p) => p.iter().for_each(add),
            Geom::Lines(l) => l.iter().flatten().for_each(add),
            Geom::Polygons(p) => p.iter().filter_map(|r| r.first()).flatten().for_each(add),
            Geom::Collection(m) => m.iter().for_each(|(g, _)| g.each_outer_point(add)),
        }
    }

    /// A measure of visual weight used to keep the most visible features when a tile is
    /// full: area for polygons, length for lines, 0 for points (square metres / metres of
    /// EPSG:3857, only compared within a layer).
    pub fn weight(&self) -> f64 {
        match self {
            Geom::Point(_) | Geom::Points(_) => 0.0,
            Geom::Lines(l) => l.iter().map(|p| length(p)).sum(),
            Geom::Polygons(p) => p.iter().filter_map(|r| r.first()).map(|r| ring_area(r).abs()).sum(),
            Geom::Collection(m) => m.iter().map(|(g, _)| g.weight()).sum(),
        }
    }
}

/// The non-empty members of `c` (and of the collections in it) into `out`.
fn flatten_into(c: &geo_types::GeometryCollection<f64>, out: &mut Vec<(Geom, bool)>) {
    use geo_types::Geometry as G;
    for g in &c.0 {
        match g {
            G::GeometryCollection(inner) => flatten_into(inner, out),
            g => {
                if let Some(m) = Geom::from_wgs84(g) {
                    out.push((
                        m,
                        matches!(g, G::MultiPoint(_) | G::MultiLineString(_) | G::MultiPolygon(_)),
                    ));
                }
            }
        }
    }
}

pub fn length(p: &[Pt]) -> f64 {
    p.windows(2)
        .map(|w| ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt())
        .sum()
}

/// Signed shoelace area (positive when counter-clockwise with y up).
pub fn ring_area(r: &[Pt]) -> f64 {
    if r.len() < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..r.len() {
        let a = r[i];
        let b = r[(i + 1) % r.len()];
        s += a[0] * b[1] - b[0] * a[1];
    }
    s / 2.0
}
