//! Zone schemes as data: what a planner asks for (`districts`, `rings`, `historic`, a
//! polygon layer), parsed from the strings the CLI and the HTTP API take.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::EngineError;

/// Default ring bands around the centre, in km: 0–3, 3–7, 7–12, > 12.
pub const DEFAULT_BANDS_KM: [f64; 3] = [3.0, 7.0, 12.0];

/// The polygon of a ring is a regular polygon with this many vertices (the reference SQL
/// builds the same polygon), clipped to the city extent.
pub const RING_VERTICES: usize = 256;

/// A zone's population-weighted mean distance from the centre at most this makes it a
/// "centre" zone in district and layer schemes...
pub const CENTRE_MAX_MEAN_DISTANCE_M: f64 = 5_000.0;
/// ...and at least this a "periphery" zone.
pub const PERIPHERY_MIN_MEAN_DISTANCE_M: f64 = 9_000.0;

/// A point outside every zone is given to the nearest zone within this distance (the
/// population cells of the district layer are clipped to districts, so a clipped cell's
/// centroid can fall just outside its district).
pub const NEAREST_ZONE_FALLBACK_M: f64 = 250.0;

/// How the city is divided into zones. Every indicator can be computed for every scheme.
///
/// ```
/// use qala_engine::ZoneScheme;
/// assert_eq!("districts".parse::<ZoneScheme>().unwrap(), ZoneScheme::Districts);
/// assert_eq!("rings".parse::<ZoneScheme>().unwrap(), ZoneScheme::default_rings());
/// let custom: ZoneScheme = "rings:2,5".parse().unwrap();
/// assert_eq!(custom.to_string(), "rings:2,5");
/// assert_eq!("my-zones".parse::<ZoneScheme>().unwrap(), ZoneScheme::Layer { slug: "my-zones".into() });
/// assert!("rings:5,2".parse::<ZoneScheme>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ZoneScheme {
    /// The 8 districts (the `district` layer); centre/periphery by the residents' mean
    /// distance from Republic Square.
    Districts,
    /// Distance rings around `centre_wgs84` (lon, lat) with outer radii `bands_km`, plus
    /// one ring beyond the last; clipped to the city boundary. The first ring is the
    /// centre, the last the periphery.
    Rings { centre_wgs84: [f64; 2], bands_km: Vec<f64> },
    /// The historic centre (centre) vs the rest of the city (periphery).
    Historic,
    /// The polygons of any served layer, one zone per feature; zones must not overlap.
    Layer { slug: String },
}

impl ZoneScheme {
    /// Rings around Republic Square with the default bands.
    pub fn default_rings() -> ZoneScheme {
        let (lon, lat) = qala_core::REPUBLIC_SQUARE_WGS84;
        ZoneScheme::Rings {
            centre_wgs84: [lon, lat],
            bands_km: DEFAULT_BANDS_KM.to_vec(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        if let ZoneScheme::Rings { centre_wgs84, bands_km } = self {
            let increasing = bands_km.windows(2).all(|w| w[0] < w[1]);
            let ok = !bands_km.is_empty()
                && increasing
                && bands_km.iter().all(|b| b.is_finite() && *b > 0.0 && *b <= 200.0)
                && centre_wgs84.iter().all(|c| c.is_finite())
                && (-180.0..=180.0).contains(&centre_wgs84[0])
                && (-90.0..=90.0).contains(&centre_wgs84[1]);
            if !ok {
                return Err(EngineError::InvalidBands(bands_km.clone()));
            }
        }
        Ok(())
    }
}

impl fmt::Display for ZoneScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneScheme::Districts => f.write_str("districts"),
            ZoneScheme::Historic => f.write_str("historic"),
            ZoneScheme::Layer { slug } => f.write_str(slug),
            ZoneScheme::Rings { centre_wgs84, bands_km } => {
                let (lon, lat) = qala_core::REPUBLIC_SQUARE_WGS84;
                let bands: Vec<String> = bands_km.iter().map(|b| format!("{b}")).collect();
                if centre_wgs84 == &[lon, lat] && bands_km.as_slice() == DEFAULT_BANDS_KM {
                    f.write_str("rings")
                } else if centre_wgs84 == &[lon, lat] {
                    write!(f, "rings:{}", bands.join(","))
                } else {
                    write!(f, "rings:{}@{},{}", bands.join(","), centre_wgs84[0], centre_wgs84[1])
                }
            }
        }
    }
}

impl FromStr for ZoneScheme {
    type Err = EngineError;

    /// `districts`, `rings`, `rings:3,7,12`, `rings:3,7,12@76.9455,43.238`, `historic`
    /// (or `centre`), or the slug of a polygon layer.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s {
            "districts" => return Ok(ZoneScheme::Districts),
            "rings" => return Ok(ZoneScheme::default_rings()),
            "historic" | "centre" | "historic-centre-vs-rest" => return Ok(ZoneScheme::Historic),
            _ => {}
        }
        if let Some(spec) = s.strip_prefix("rings:") {
            let (bands, centre) = match spec.split_once('@') {
                Some((b, c)) => (b, Some(c)),
                None => (spec, None),
            };
            let parse = |t: &str| {
                t.trim()
                    .parse::<f64>()
                    .map_err(|_| EngineError::UnknownScheme(s.to_owned()))
            };
            let bands_km = bands.split(',').map(parse).collect::<Result<Vec<f64>, _>>()?;
            let centre_wgs84 = match centre {
                None => {
                    let (lon, lat) = qala_core::REPUBLIC_SQUARE_WGS84;
                    [lon, lat]
                }
                Some(c) => {
                    let v = c.split(',').map(parse).collect::<Result<Vec<f64>, _>>()?;
                    match v.as_slice() {
                        [lon, lat] => [*lon, *lat],
                        _ => return Err(EngineError::UnknownScheme(s.to_owned())),
                    }
                }
            };
            let scheme = ZoneScheme::Rings { centre_wgs84, bands_km };
            scheme.validate()?;
            return Ok(scheme);
        }
        match qala_core::LayerSlug::parse(s) {
            Ok(slug) => Ok(ZoneScheme::Layer {
                slug: slug.as_str().to_owned(),
            }),
            Err(_) => Err(EngineError::UnknownScheme(s.to_owned())),
        }
    }
}

/// Whether a zone counts as centre or periphery for the service gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneRole {
    Centre,
    Middle,
    Periphery,
}
