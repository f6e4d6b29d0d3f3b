//! `qala synth`: a seeded generator of **synthetic** layers for what no open data exists
//! for in Almaty — bike lanes, a felling and compensatory-planting register, navigation
//! signs and routes, a historic-centre polygon, metro/BRT stops and a population surface —
//! placed on the real districts, roads and buildings. Every layer it writes says
//! `"synthetic": true`. The same seed and inputs give byte-identical files.

mod bike;
mod elevation;
mod error;
mod inputs;
mod metric;
mod out;
mod population;
pub mod proposals;
mod signs;
mod transit;
mod trees;

use std::path::{Path, PathBuf};

use qala_core::LayerKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use elevation::{ELEVATION_LAYER, ElevationRaster, elevation_raster};
pub use error::SynthError;
pub use inputs::{CityInputs, District, Road, read_population as inputs_population};

/// The date the synthetic register describes ("as of"). Fixed, so that output does not
/// depend on the day the generator runs.
pub fn reference_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default()
}

/// Description of one synthetic layer.
#[derive(Debug, Clone, Copy)]
pub struct SynthLayerInfo {
    pub slug: &'static str,
    pub kind: LayerKind,
    /// Titles in Kazakh, Russian, English.
    pub titles: [&'static str; 3],
    pub description: &'static str,
}

impl SynthLayerInfo {
    pub fn file_name(&self) -> String {
        format!("{}.geojson", self.slug)
    }
}

pub const LAYERS: &[SynthLayerInfo] = &[
    SynthLayerInfo {
        slug: "historic-centre",
        kind: LayerKind::HistoricCentre,
        titles: [
            "Тарихи орталық (синтетикалық)",
            "Исторический центр (синтетический)",
            "Historic centre (synthetic)",
        ],
        description: "an approximate outline of the 19th-century Verny core, drawn by hand",
    },
    SynthLayerInfo {
        slug: "population",
        kind: LayerKind::PopulationCell,
        titles: [
            "Халық тығыздығы (синтетикалық)",
            "Плотность населения (синтетическая)",
            "Population surface (synthetic)",
        ],
        description: "each district's official 2023 population spread over 250 m UTM 43N cells in proportion to OSM 2013 building footprint area plus 5 m² per metre of street in the cell",
    },
    SynthLayerInfo {
        slug: "bike-lanes",
        kind: LayerKind::BikeLane,
        titles: [
            "Веложолдар (синтетикалық)",
            "Велодорожки (синтетические)",
            "Bike lanes (synthetic)",
        ],
        description: "an existing, under-construction and planned bike-lane network: continuous corridors along named OSM 2013 main streets, built near the centre, planned towards the periphery",
    },
    SynthLayerInfo {
        slug: "tree-fellings",
        kind: LayerKind::TreeFelling,
        titles: [
            "Ағаш кесу (синтетикалық)",
            "Вырубка деревьев (синтетическая)",
            "Tree fellings (synthetic)",
        ],
        description: "felling permits along real streets, with the compensation each requires",
    },
    SynthLayerInfo {
        slug: "tree-plantings",
        kind: LayerKind::TreePlanting,
        titles: [
            "Өтемақы отырғызу (синтетикалық)",
            "Компенсационные посадки (синтетические)",
            "Compensatory plantings (synthetic)",
        ],
        description: "compensatory plantings: some in the same district as the felling, some elsewhere, some overdue, some trees dead at the 1-year check",
    },
    SynthLayerInfo {
        slug: "nav-signs",
        kind: LayerKind::NavSign,
        titles: [
            "Навигация белгілері (синтетикалық)",
            "Навигационные знаки (синтетические)",
            "Navigation signs (synthetic)",
        ],
        description: "wayfinding signs at real street intersections",
    },
    SynthLayerInfo {
        slug: "wayfinding-routes",
        kind: LayerKind::WayfindingRoute,
        titles: [
            "Жаяу бағыттар (синтетикалық)",
            "Пешеходные маршруты (синтетические)",
            "Wayfinding routes (synthetic)",
        ],
        description: "walking routes linking navigation signs",
    },
    SynthLayerInfo {
        slug: "transit-stops",
        kind: LayerKind::Service,
        titles: [
            "Метро және BRT (синтетикалық)",
            "Метро и BRT (синтетические)",
            "Metro and BRT stops (synthetic)",
        ],
        description: "metro stations and BRT stops at approximate positions along real avenues",
    },
];

/// Extra layers written only at benchmark scale.
pub const BENCH_BUILDINGS: SynthLayerInfo = SynthLayerInfo {
    slug: "buildings-synthetic",
    kind: LayerKind::Building,
    titles: [
        "Ғимараттар (синтетикалық)",
        "Здания (синтетические)",
        "Buildings (synthetic)",
    ],
    description: "benchmark-scale building footprints beside real streets",
};
pub const BENCH_SERVICES: SynthLayerInfo = SynthLayerInfo {
    slug: "services-synthetic",
    kind: LayerKind::Service,
    titles: [
        "Нысандар (синтетикалық)",
        "Объекты (синтетические)",
        "Services (synthetic)",
    ],
    description: "benchmark-scale schools, kindergartens, clinics, pharmacies and stops",
};

/// How much to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub seed: u64,
    /// Side of a population cell in metres (UTM 43N grid).
    pub cell_size_m: f64,
    /// Felling permits to generate; plantings follow from them.
    pub fellings: usize,
    /// Tree points (fellings + plantings) at benchmark scale; 0 = use `fellings`.
    pub trees: usize,
    /// Synthetic building footprints (benchmark scale); 0 = none.
    pub buildings: usize,
    /// Synthetic services (benchmark scale); 0 = none.
    pub services: usize,
    pub signs: usize,
    /// Street length the bike-lane corridors cover, km (existing + under construction +
    /// planned); the last corridor may pass it.
    pub bike_km: f64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            seed: 42,
            cell_size_m: 250.0,
            fellings: 400,
            trees: 0,
            buildings: 0,
            services: 0,
            signs: 160,
            bike_km: 150.0,
        }
    }
}

/// One file written.
#[derive(Debug, Clone)]
pub struct Written {
    pub info: SynthLayerInfo,
    pub path: PathBuf,
    pub features: usize,
}

/// Generates every synthetic layer into `out_dir`.
pub fn generate(city: &CityInputs, opts: &SynthOptions, out_dir: &Path) -> Result<Vec<Written>, SynthError> {
    std::fs::create_dir_all(out_dir).map_err(|e| SynthError::Io {
        path: out_dir.to_owned(),
        source: e,
    })?;
    let metric = metric::Metric::new()?;
    let city_m = metric::CityMetric::new(city, &metric)?;
    // One stream per layer, so that changing one layer's size never shifts another's.
    let rng = |salt: u64| ChaCha8Rng::seed_from_u64(opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt);
    let mut written = Vec::new();
    let mut emit = |info: SynthLayerInfo, features: Vec<out::OutFeature>| -> Result<(), SynthError> {
        let path = out_dir.join(info.file_name());
        out::write_collection(&path, &info, opts.seed, &features)?;
        written.push(Written {
            info,
            path,
            features: features.len(),
        });
        Ok(())
    };
    let by_slug = |slug: &str| {
        LAYERS
            .iter()
            .find(|l| l.slug == slug)
            .copied()
            .ok_or(SynthError::Internal("layer list"))
    };

    // Benchmark buildings first: the population surface weighs them too.
    let (bench_buildings, bench_buildings_m) = if opts.buildings > 0 {
        bike::buildings(&city_m, &metric, &mut rng(4), opts.buildings)?
    } else {
        (Vec::new(), Vec::new())
    };
    emit(by_slug("historic-centre")?, vec![population::historic_centre()])?;
    emit(
        by_slug("population")?,
        population::surface(&city_m, &bench_buildings_m, &metric, opts.cell_size_m)?,
    )?;
    emit(by_slug("bike-lanes")?, bike::lanes(&city_m, &mut rng(1), opts.bike_km))?;
    let (fellings, plantings) = trees::register(&city_m, &metric, &mut rng(2), opts)?;
    emit(by_slug("tree-fellings")?, fellings)?;
    emit(by_slug("tree-plantings")?, plantings)?;
    let (signs, routes) = signs::signs_and_routes(&city_m, &mut rng(3), opts.signs);
    emit(by_slug("nav-signs")?, signs)?;
    emit(by_slug("wayfinding-routes")?, routes)?;
    emit(by_slug("transit-stops")?, transit::stops(&city_m, &metric)?)?;
    if opts.buildings > 0 {
        emit(BENCH_BUILDINGS, bench_buildings)?;
    }
    if opts.services > 0 {
        emit(BENCH_SERVICES, transit::services(&city_m, &mut rng(5), opts.services))?;
    }
    Ok(written)
}
