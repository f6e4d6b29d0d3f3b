//! The small preview map of the HTML pages: an inline SVG drawn on the server from GeoJSON
//! geometries in lon/lat, so that a page shows its data without JavaScript, tiles or a CDN.
//!
//! Projection: equirectangular with x scaled by cos(mid latitude) — at Almaty's 43° N the
//! shapes look right and no PROJ call is needed. Vertices closer than [`MIN_STEP_PX`] to
//! the last one drawn are dropped, which keeps a city's polygons to a few kB.

use std::fmt::Write;

use serde_json::Value;

use crate::html_page::esc;

pub const WIDTH: f64 = 480.0;
pub const HEIGHT: f64 = 320.0;
const PAD: f64 = 8.0;
const MIN_STEP_PX: f64 = 0.75;
/// Most features a preview draws.
pub const MAX_FEATURES: usize = 2_000;

/// Lon/lat bounds of GeoJSON geometries.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

fn positions<'a>(g: &'a Value, out: &mut Vec<&'a [Value]>) {
    // Positions are arrays of numbers; anything deeper is walked.
    match g {
        Value::Array(a) if a.first().is_some_and(Value::is_number) => out.push(a),
        Value::Array(a) => a.iter().for_each(|c| positions(c, out)),
        _ => {}
    }
}

fn xy(p: &[Value]) -> Option<(f64, f64)> {
    let x = p.first()?.as_f64()?;
    let y = p.get(1)?.as_f64()?;
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

fn bounds<'a>(geoms: impl Iterator<Item = &'a Value>) -> Option<Bounds> {
    let mut b: Option<Bounds> = None;
    let mut ps = Vec::new();
    for g in geoms {
        all_coordinates(g, &mut ps);
    }
    for (x, y) in ps.iter().filter_map(|p| xy(p)) {
        let n = b.get_or_insert(Bounds {
            min_x: x,
            min_y: y,
            max_x: x,
            max_y: y,
        });
        n.min_x = n.min_x.min(x);
        n.min_y = n.min_y.min(y);
        n.max_x = n.max_x.max(x);
        n.max_y = n.max_y.max(y);
    }
    b
}

fn all_coordinates<'a>(g: &'a Value, out: &mut Vec<&'a [Value]>) {
    if g["type"] == "GeometryCollection" {
        for m in g["geometries"].as_array().into_iter().flatten() {
            all_coordinates(m, out);
        }
    } else {
        positions(&g["coordinates"], out);
    }
}

/// Lon/lat to the viewBox.
struct Projection {
    b: Bounds,
    kx: f64,
    scale: f64,
    off_x: f64,
    off_y: f64,
}

impl Projection {
    fn new(mut b: Bounds) -> Projection {
        // A single point (or a vertical or horizontal line) is shown in a box around it.
        const AROUND_DEG: f64 = 0.005;
        if b.max_x - b.min_x < 1e-9 {
            (b.min_x, b.max_x) = (b.min_x - AROUND_DEG, b.max_x + AROUND_DEG);
        }
        if b.max_y - b.min_y < 1e-9 {
            (b.min_y, b.max_y) = (b.min_y - AROUND_DEG, b.max_y + AROUND_DEG);
        }
        let kx = ((b.min_y + b.max_y) / 2.0).to_radians().cos().max(0.01);
        let w = (b.max_x - b.min_x) * kx;
        let h = b.max_y - b.min_y;
        let scale = ((WIDTH - 2.0 * PAD) / w).min((HEIGHT - 2.0 * PAD) / h);
        Projection {
            b,
            kx,
            scale,
            off_x: (WIDTH - w * scale) / 2.0,
            off_y: (HEIGHT - h * scale) / 2.0,
        }
    }

    fn px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            self.off_x + (x - self.b.min_x) * self.kx * self.scale,
            HEIGHT - self.off_y - (y - self.b.min_y) * self.scale,
        )
    }
}

/// One path of `parts` (each a line or a ring), closed with `Z` for rings.
fn path(p: &Projection, parts: &[&Value], close: bool, d: &mut String) {
    for part in parts {
        let mut ps = Vec::new();
        positions(part, &mut ps);
        let pts: Vec<(f64, f64)> = ps.iter().filter_map(|q| xy(q)).map(|q| p.px(q)).collect();
        let Some((&first, rest)) = pts.split_first() else {
            continue;
        };
        let _ = write!(d, "M{:.1} {:.1}", first.0, first.1);
        let mut last = first;
        for (i, &q) in rest.iter().enumerate() {
            let is_end = i + 1 == rest.len();
            if !is_end && (q.0 - last.0).hypot(q.1 - last.1) < MIN_STEP_PX {
                continue;
            }
            let _ = write!(d, "L{:.1} {:.1}", q.0, q.1);
            last = q;
        }
        if close {
            d.push('Z');
        }
    }
}

fn arr(v: &Value) -> Vec<&Value> {
    v.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

fn draw(p: &Projection, g: &Value, out: &mut String) {
    let coords = &g["coordinates"];
    let mut d = String::new();
    match g["type"].as_str().unwrap_or("") {
        "Point" | "MultiPoint" => {
            let mut ps = Vec::new();
            positions(coords, &mut ps);
            for (x, y) in ps.iter().filter_map(|q| xy(q)).map(|q| p.px(q)) {
                let _ = write!(out, r#"<circle cx="{x:.1}" cy="{y:.1}" r="3"/>"#);
            }
            return;
        }
        "LineString" => path(p, &[coords], false, &mut d),
        "MultiLineString" => path(p, &arr(coords), false, &mut d),
        "Polygon" => path(p, &arr(coords), true, &mut d),
        "MultiPolygon" => {
            for poly in arr(coords) {
                path(p, &arr(poly), true, &mut d);
            }
        }
        "GeometryCollection" => {
            for m in g["geometries"].as_array().into_iter().flatten() {
                draw(p, m, out);
            }
            return;
        }
        _ => return,
    }
    if d.is_empty() {
        return;
    }
    let class = if d.ends_with('Z') { "a" } else { "l" };
    let _ = write!(out, r#"<path class="{class}" d="{d}"/>"#);
}

/// An SVG of the geometries (the first [`MAX_FEATURES`]), titled `label`; `None` when
/// there is no coordinate to draw.
pub fn svg<'a>(geoms: impl Iterator<Item = &'a Value> + Clone, label: &str) -> Option<String> {
    let geoms = geoms.take(MAX_FEATURES);
    let p = Projection::new(bounds(geoms.clone())?);
    let mut body = String::new();
    for g in geoms {
        draw(&p, g, &mut body);
    }
    let label = esc(label);
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="preview" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{label}"><title>{label}</title><rect width="100%" height="100%" fill="#f4f1ea"/><g fill="#2f7d4f" fill-opacity="0.35" fill-rule="evenodd" stroke="#1f5a8a" stroke-width="1.2" stroke-linejoin="round" stroke-linecap="round">{body}</g></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn nums(svg: &str) -> Vec<f64> {
        svg.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    #[test]
    fn shapes_fit_the_view_box() {
        let g = [
            json!({"type": "Point", "coordinates": [76.9, 43.2]}),
            json!({"type": "LineString", "coordinates": [[76.8, 43.1], [77.0, 43.3]]}),
            json!({"type": "MultiPolygon", "coordinates": [[[[76.85, 43.15], [76.95, 43.15], [76.95, 43.25], [76.85, 43.15]]]]}),
        ];
        let s = svg(g.iter(), "a <map>").unwrap();
        assert!(s.contains(r#"role="img""#) && s.contains("<title>a &lt;map&gt;</title>"));
        assert_eq!(s.matches("<circle").count(), 1);
        assert_eq!(s.matches("<path").count(), 2);
        assert!(s.contains(r#"class="a""#) && s.contains(r#"class="l""#));
        let body = &s[s.find("<g").unwrap()..];
        assert!(nums(body).iter().all(|&n| n <= WIDTH), "{body}");
        // The line spans the whole height: the extent fits the view box, padded.
        assert!(body.contains(&format!("{:.1}", HEIGHT - PAD)) && body.contains(&format!("{PAD:.1}")));
    }

    #[test]
    fn nothing_to_draw_is_none_and_one_point_is_centred() {
        assert!(svg([json!({"type": "Point", "coordinates": []})].iter(), "x").is_none());
        assert!(svg([].iter(), "x").is_none());
        let s = svg([json!({"type": "Point", "coordinates": [76.9, 43.2]})].iter(), "x").unwrap();
        assert!(s.contains(r#"cx="240.0" cy="160.0""#), "{s}");
    }

    #[test]
    fn close_vertices_are_dropped() {
        let line: Vec<Value> = (0..1000).map(|i| json!([76.9 + f64::from(i) * 1e-6, 43.2])).collect();
        let far = json!({"type": "LineString", "coordinates": [[76.0, 43.0], [77.0, 44.0]]});
        let g = [json!({"type": "LineString", "coordinates": line}), far];
        let s = svg(g.iter(), "x").unwrap();
        assert!(s.matches('L').count() < 10, "{}", s.len());
    }
}
