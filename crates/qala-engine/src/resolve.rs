//! Turning a [`ZoneScheme`] into zones: districts, rings, historic centre vs rest, or the
//! polygons of a layer; then every population cell into its zone.

use geo::{BooleanOps, BoundingRect};
use geo_types::{Coord, MultiPolygon, Point};
use qala_core::LayerKind;

use crate::engine::Engine;
use crate::indicator_def::Names;
use crate::layer::{LayerData, is_areal};
use crate::project::Projector;
use crate::zone_set::{Zone, ZoneSet, as_multipolygon, layer_union, ring_circle};
use crate::{EngineError, ZoneRole, ZoneScheme};

/// Overlap tolerated between zones of a layer scheme (float noise on shared borders).
const OVERLAP_TOLERANCE_M2: f64 = 1.0;

pub(crate) fn resolve(engine: &Engine, scheme: &ZoneScheme) -> Result<ZoneSet, EngineError> {
    let name = scheme.to_string();
    let missing = |kind: LayerKind| EngineError::MissingLayer {
        scheme: name.clone(),
        kind: kind.name().to_owned(),
    };
    let mut centre = engine.centre_utm;
    let (zones, fixed_roles) = match scheme {
        ZoneScheme::Districts => {
            let layer = engine
                .role_layer("districts", LayerKind::District, "districts")
                .ok_or_else(|| missing(LayerKind::District))?;
            let mut order: Vec<usize> = (0..layer.len()).collect();
            order.sort_by_key(|&i| (layer.int("akimat_id", i), layer.rows[i]));
            let zones = order
                .into_iter()
                .filter_map(|i| {
                    let geom = layer.index.geometry(i).and_then(as_multipolygon)?;
                    let id = layer
                        .int("akimat_id", i)
                        .map_or_else(|| layer.rows[i].to_string(), |a| a.to_string());
                    Some(Zone::new(id, feature_names(layer, i), geom))
                })
                .collect();
            (zones, false)
        }
        ZoneScheme::Rings { centre_wgs84, bands_km } => {
            let fwd = Projector::to_utm()?;
            let c = fwd.coord(Coord {
                x: centre_wgs84[0],
                y: centre_wgs84[1],
            })?;
            centre = Point::from(c);
            let extent = city_extent(engine).ok_or_else(|| missing(LayerKind::CityBoundary))?;
            let mut zones = Vec::new();
            let mut inner: Option<MultiPolygon<f64>> = None;
            let mut lower = 0.0;
            for &b in bands_km {
                let disk = MultiPolygon(vec![ring_circle(c, b * 1000.0)]);
                let band = match &inner {
                    Some(i) => disk.difference(i),
                    None => disk.clone(),
                };
                let id = format!("{}-{}km", fmt_km(lower), fmt_km(b));
                zones.push(Zone::new(
                    id.clone(),
                    ring_names(lower, Some(b)),
                    band.intersection(&extent),
                ));
                inner = Some(disk);
                lower = b;
            }
            let outer = match &inner {
                Some(i) => extent.difference(i),
                None => extent.clone(),
            };
            zones.push(Zone::new(
                format!("{}km+", fmt_km(lower)),
                ring_names(lower, None),
                outer,
            ));
            let last = zones.len() - 1;
            for (i, z) in zones.iter_mut().enumerate() {
                z.role = if i == 0 {
                    ZoneRole::Centre
                } else if i == last {
                    ZoneRole::Periphery
                } else {
                    ZoneRole::Middle
                };
            }
            (zones, true)
        }
        ZoneScheme::Historic => {
            let layer = engine
                .role_layer("historic_centre", LayerKind::HistoricCentre, "historic-centre")
                .ok_or_else(|| missing(LayerKind::HistoricCentre))?;
            let extent = city_extent(engine).ok_or_else(|| missing(LayerKind::CityBoundary))?;
            let hist = layer_union(layer);
            let rest = extent.difference(&hist);
            let mut c = Zone::new(
                "historic-centre".into(),
                Names::new("Тарихи орталық", "Исторический центр", "Historic centre"),
                hist,
            );
            c.role = ZoneRole::Centre;
            let mut r = Zone::new(
                "rest".into(),
                Names::new("Қаланың қалған бөлігі", "Остальной город", "Rest of the city"),
                rest,
            );
            r.role = ZoneRole::Periphery;
            (vec![c, r], true)
        }
        ZoneScheme::Layer { slug } => {
            let layer = engine.layer(slug)?;
            if layer.kind.geometry_type() != qala_core::GeometryType::MultiPolygon && layer.kind != LayerKind::Generic {
                return Err(EngineError::NotPolygonLayer {
                    slug: slug.clone(),
                    kind: layer.kind.name().to_owned(),
                });
            }
            let mut order: Vec<usize> = (0..layer.len()).collect();
            order.sort_by_key(|&i| layer.rows[i]);
            let mut zones = Vec::new();
            for i in order {
                let Some(g) = layer.index.geometry(i) else { continue };
                if !is_areal(g) {
                    return Err(EngineError::NotPolygonLayer {
                        slug: slug.clone(),
                        kind: format!("{} (row {} is not a polygon)", layer.kind.name(), layer.rows[i]),
                    });
                }
                if let Some(mp) = as_multipolygon(g) {
                    zones.push(Zone::new(layer.rows[i].to_string(), feature_names(layer, i), mp));
                }
            }
            (zones, false)
        }
    };
    if zones.is_empty() {
        return Err(EngineError::EmptyScheme(name));
    }
    let mut zs = ZoneSet::new(name, zones);
    if matches!(scheme, ZoneScheme::Layer { .. }) {
        zs.check_overlaps(OVERLAP_TOLERANCE_M2)?;
    }
    if let Some(pop) = &engine.population {
        zs.cell_zone = crate::par::map(&pop.points, |p| zs.assign(*p).map(|z| z as u32));
        if !fixed_roles {
            zs.roles_by_mean_distance(&pop.points, &pop.residents, centre);
        }
    }
    Ok(zs)
}

/// The layers a zone scheme is drawn from (for the versions a result names).
pub(crate) fn scheme_layers(engine: &Engine, scheme: &ZoneScheme) -> Vec<String> {
    let one =
        |role: &str, kind: LayerKind, preferred: &str| engine.role_layer(role, kind, preferred).map(|l| l.slug.clone());
    let extent = || {
        one("city_boundary", LayerKind::CityBoundary, "city-boundary")
            .or_else(|| one("districts", LayerKind::District, "districts"))
    };
    match scheme {
        ZoneScheme::Districts => one("districts", LayerKind::District, "districts").into_iter().collect(),
        ZoneScheme::Rings { .. } => extent().into_iter().collect(),
        ZoneScheme::Historic => one("historic_centre", LayerKind::HistoricCentre, "historic-centre")
            .into_iter()
            .chain(extent())
            .collect(),
        ZoneScheme::Layer { slug } => vec![slug.clone()],
    }
}

/// The city's extent for rings and "rest of the city": the city boundary, or else the
/// union of the districts.
fn city_extent(engine: &Engine) -> Option<MultiPolygon<f64>> {
    let layer = engine
        .role_layer("city_boundary", LayerKind::CityBoundary, "city-boundary")
        .or_else(|| engine.role_layer("districts", LayerKind::District, "districts"))?;
    let u = layer_union(layer);
    u.bounding_rect().map(|_| u)
}

fn fmt_km(km: f64) -> String {
    format!("{km}")
}

fn ring_names(lower: f64, upper: Option<f64>) -> Names {
    match upper {
        Some(u) => Names::new(
            &format!("{}–{} км", fmt_km(lower), fmt_km(u)),
            &format!("{}–{} км", fmt_km(lower), fmt_km(u)),
            &format!("{}–{} km", fmt_km(lower), fmt_km(u)),
        ),
        None => Names::new(
            &format!("{} км-ден артық", fmt_km(lower)),
            &format!("более {} км", fmt_km(lower)),
            &format!("over {} km", fmt_km(lower)),
        ),
    }
}

/// A feature's names: name_kk / name_ru / name_en, or `name`, or `<slug> #<row>`.
fn feature_names(layer: &LayerData, i: usize) -> Names {
    let any = layer
        .text("name_en", i)
        .or_else(|| layer.text("name", i))
        .unwrap_or_else(|| format!("{} #{}", layer.slug, layer.rows[i]));
    Names {
        kk: layer.text("name_kk", i).unwrap_or_else(|| any.clone()),
        ru: layer.text("name_ru", i).unwrap_or_else(|| any.clone()),
        en: any.clone(),
    }
}
