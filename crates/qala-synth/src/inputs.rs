//! The real city the synthetic layers are placed on.

use std::path::Path;

use geo_types::{Geometry, LineString, MultiPolygon, Polygon};
use qala_ingest::osm::{self, OsmRule};
use serde_json::Value as Json;

use crate::SynthError;

#[derive(Debug, Clone)]
pub struct District {
    pub akimat_id: i64,
    pub name_en: String,
    pub population: i64,
    /// WGS84 lon/lat.
    pub geom: MultiPolygon<f64>,
}

#[derive(Debug, Clone)]
pub struct Road {
    pub highway: String,
    pub name: Option<String>,
    /// WGS84 lon/lat.
    pub geom: LineString<f64>,
}

/// Districts with population, streets and building footprints, all WGS84.
#[derive(Debug, Clone, Default)]
pub struct CityInputs {
    pub districts: Vec<District>,
    pub roads: Vec<Road>,
    pub buildings: Vec<Polygon<f64>>,
}

impl CityInputs {
    /// Reads the bundled fixtures: `boundaries/almaty_districts.geojson`,
    /// `population/almaty_district_population_bns_20230101.csv` and `osm/almaty_2013-12.osm.pbf`.
    pub fn from_fixtures(dir: &Path) -> Result<CityInputs, SynthError> {
        let districts = read_districts(
            &dir.join("boundaries/almaty_districts.geojson"),
            &dir.join("population/almaty_district_population_bns_20230101.csv"),
        )?;
        let pbf = dir.join("osm/almaty_2013-12.osm.pbf");
        let mut roads = Vec::new();
        for f in osm::extract(&pbf, OsmRule::Roads)? {
            let highway = f.attrs.get("highway").and_then(Json::as_str).unwrap_or("").to_owned();
            let name = f.attrs.get("name").and_then(Json::as_str).map(str::to_owned);
            if let Some(Geometry::LineString(geom)) = f.geometry {
                roads.push(Road { highway, name, geom });
            }
        }
        let mut buildings = Vec::new();
        for f in osm::extract(&pbf, OsmRule::Buildings)? {
            match f.geometry {
                Some(Geometry::Polygon(p)) => buildings.push(p),
                Some(Geometry::MultiPolygon(mp)) => buildings.extend(mp.0),
                _ => {}
            }
        }
        Ok(CityInputs {
            districts,
            roads,
            buildings,
        })
    }
}

/// Official population per akimat district id, from the BNS CSV.
pub fn read_population(csv: &Path) -> Result<Vec<(i64, i64, String)>, SynthError> {
    let text = std::fs::read_to_string(csv).map_err(|e| SynthError::Io {
        path: csv.to_owned(),
        source: e,
    })?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        // The first columns hold no commas or quotes; the free-text source column is last.
        let cols: Vec<&str> = line.splitn(10, ',').collect();
        let (Some(id), Some(total), Some(date)) = (cols.first(), cols.get(5), cols.get(8)) else {
            return Err(SynthError::BadInput(format!(
                "{}: line {}: too few columns",
                csv.display(),
                i + 1
            )));
        };
        if id.is_empty() {
            continue; // the city total row
        }
        let parse = |s: &str, what: &str| {
            s.trim().parse::<i64>().map_err(|_| {
                SynthError::BadInput(format!(
                    "{}: line {}: {what} {s:?} is not a number",
                    csv.display(),
                    i + 1
                ))
            })
        };
        rows.push((
            parse(id, "akimat_district_id")?,
            parse(total, "population_total")?,
            date.trim().to_owned(),
        ));
    }
    Ok(rows)
}

fn read_districts(geojson: &Path, csv: &Path) -> Result<Vec<District>, SynthError> {
    let population = read_population(csv)?;
    let mut out = Vec::new();
    for f in qala_ingest::read_all(geojson, "GeoJSON", None)? {
        let id = f.attrs.get("akimat_district_id").and_then(Json::as_i64).unwrap_or(0);
        let pop = population.iter().find(|p| p.0 == id).map(|p| p.1).ok_or_else(|| {
            SynthError::BadInput(format!("{}: district {id} has no population row", geojson.display()))
        })?;
        let geom = match f.geometry {
            Some(Geometry::MultiPolygon(mp)) => mp,
            Some(Geometry::Polygon(p)) => MultiPolygon(vec![p]),
            _ => {
                return Err(SynthError::BadInput(format!(
                    "{}: district {id} is not a polygon",
                    geojson.display()
                )));
            }
        };
        let name_en = f.attrs.get("name_en").and_then(Json::as_str).unwrap_or("").to_owned();
        out.push(District {
            akimat_id: id,
            name_en,
            population: pop,
            geom,
        });
    }
    out.sort_by_key(|d| d.akimat_id);
    Ok(out)
}
