//! The city in UTM 43N metres, where distances, areas and the population grid live.

use geo::{BoundingRect, Contains, MapCoords};
use geo_types::{Coord, LineString, MultiPolygon, Point, Rect};
use proj::Proj;

use crate::{CityInputs, SynthError};

/// WGS84 lon/lat <-> UTM 43N (EPSG:32643), both in (x, y) = (east, north) order.
pub struct Metric {
    fwd: Proj,
    inv: Proj,
}

impl Metric {
    pub fn new() -> Result<Metric, SynthError> {
        // new_known_crs normalises axis order: lon/lat in, easting/northing out.
        Ok(Metric {
            fwd: Proj::new_known_crs("EPSG:4326", "EPSG:32643", None)?,
            inv: Proj::new_known_crs("EPSG:32643", "EPSG:4326", None)?,
        })
    }

    pub fn to_m(&self, c: Coord<f64>) -> Result<Coord<f64>, SynthError> {
        let (x, y) = self.fwd.convert((c.x, c.y))?;
        Ok(Coord { x, y })
    }

    pub fn to_deg(&self, c: Coord<f64>) -> Result<Coord<f64>, SynthError> {
        let (x, y) = self.inv.convert((c.x, c.y))?;
        Ok(Coord { x, y })
    }
}

pub struct DistrictM {
    pub akimat_id: i64,
    pub name_en: String,
    pub population: i64,
    pub geom: MultiPolygon<f64>,
    pub bbox: Rect<f64>,
}

pub struct RoadM {
    pub highway: String,
    pub name: Option<String>,
    pub geom_deg: LineString<f64>,
    pub geom: LineString<f64>,
    /// Index into districts of the district holding the road's first vertex, if any.
    pub district: Option<usize>,
}

pub struct CityMetric {
    pub districts: Vec<DistrictM>,
    pub roads: Vec<RoadM>,
    pub buildings: Vec<geo_types::Polygon<f64>>,
    /// Republic Square in metres.
    pub centre: Coord<f64>,
}

impl CityMetric {
    pub fn new(city: &CityInputs, m: &Metric) -> Result<CityMetric, SynthError> {
        let mut districts = Vec::new();
        for d in &city.districts {
            let geom = d.geom.try_map_coords(|c| m.to_m(c))?;
            let bbox = geom
                .bounding_rect()
                .ok_or_else(|| SynthError::BadInput(format!("district {} is empty", d.akimat_id)))?;
            districts.push(DistrictM {
                akimat_id: d.akimat_id,
                name_en: d.name_en.clone(),
                population: d.population,
                geom,
                bbox,
            });
        }
        if districts.is_empty() {
            return Err(SynthError::BadInput("no districts to place synthetic data on".into()));
        }
        let mut roads = Vec::new();
        for r in &city.roads {
            if r.geom.0.len() < 2 {
                continue;
            }
            let geom = r.geom.try_map_coords(|c| m.to_m(c))?;
            let first = Point(geom.0[0]);
            let district = districts
                .iter()
                .position(|d| d.bbox.contains(&first) && d.geom.contains(&first));
            roads.push(RoadM {
                highway: r.highway.clone(),
                name: r.name.clone(),
                geom_deg: r.geom.clone(),
                geom,
                district,
            });
        }
        let buildings = city
            .buildings
            .iter()
            .map(|b| b.try_map_coords(|c| m.to_m(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let (cx, cy) = qala_core::REPUBLIC_SQUARE_WGS84;
        let centre = m.to_m(Coord { x: cx, y: cy })?;
        Ok(CityMetric {
            districts,
            roads,
            buildings,
            centre,
        })
    }

    /// Index of the district containing a metric point.
    pub fn district_of(&self, p: Coord<f64>) -> Option<usize> {
        let pt = Point(p);
        self.districts
            .iter()
            .position(|d| d.bbox.contains(&pt) && d.geom.contains(&pt))
    }

    pub fn dist_to_centre(&self, p: Coord<f64>) -> f64 {
        ((p.x - self.centre.x).powi(2) + (p.y - self.centre.y).powi(2)).sqrt()
    }
}
