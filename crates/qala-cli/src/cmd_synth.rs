use std::path::PathBuf;
use std::process::ExitCode;

use qala_synth::{CityInputs, SynthOptions};

use crate::GlobalArgs;

/// How big a city to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// City-sized layers for the fixtures (a few thousand features).
    Fixtures,
    /// Benchmark scale: 2,000,000 tree points, 500,000 buildings, 5,000 services,
    /// 50 m population cells.
    Bench,
    /// N tree points, N/4 buildings, N/400 services (at least 1,000), 50 m cells.
    Trees(usize),
}

fn parse_scale(s: &str) -> Result<Scale, String> {
    match s {
        "fixtures" => Ok(Scale::Fixtures),
        "bench" => Ok(Scale::Bench),
        n => n
            .replace('_', "")
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .map(Scale::Trees)
            .ok_or_else(|| format!("{s:?} is not a scale: use fixtures, bench or a number of tree points")),
    }
}

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Seed of the generator: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Directory to write the GeoJSON files to.
    #[arg(long, default_value = "synthetic")]
    pub out: PathBuf,
    /// Directory of the real fixtures the layers are placed on.
    #[arg(long, default_value = "fixtures")]
    pub fixtures: PathBuf,
    /// Preset sizes: `fixtures`, `bench` (2,000,000 tree points, 500,000 buildings, 5,000
    /// services, 50 m cells), or a number N of tree points (N/4 buildings, N/400 services).
    /// The options below override them.
    #[arg(long, default_value = "fixtures", value_parser = parse_scale)]
    pub scale: Scale,
    /// Tree points in all (fellings + plantings); 0 keeps the preset.
    #[arg(long, default_value_t = 0)]
    pub trees: usize,
    /// Synthetic building footprints; 0 keeps the preset.
    #[arg(long, default_value_t = 0)]
    pub buildings: usize,
    /// Synthetic services; 0 keeps the preset.
    #[arg(long, default_value_t = 0)]
    pub services: usize,
    /// Population cell size in metres; 0 keeps the preset.
    #[arg(long, default_value_t = 0.0)]
    pub cell_m: f64,
}

impl SynthArgs {
    pub fn options(&self) -> SynthOptions {
        let mut o = SynthOptions {
            seed: self.seed,
            ..SynthOptions::default()
        };
        let trees = match self.scale {
            Scale::Fixtures => 0,
            Scale::Bench => 2_000_000,
            Scale::Trees(n) => n,
        };
        if trees > 0 {
            o.trees = trees;
            o.buildings = trees / 4;
            o.services = (trees / 400).max(1_000);
            o.cell_size_m = 50.0;
        }
        if self.trees > 0 {
            o.trees = self.trees;
        }
        if self.buildings > 0 {
            o.buildings = self.buildings;
        }
        if self.services > 0 {
            o.services = self.services;
        }
        if self.cell_m > 0.0 {
            o.cell_size_m = self.cell_m;
        }
        o
    }
}

pub fn run(_g: &GlobalArgs, args: SynthArgs) -> anyhow::Result<ExitCode> {
    let city = CityInputs::from_fixtures(&args.fixtures)?;
    let opts = args.options();
    tracing::info!(seed = opts.seed, out = %args.out.display(), "generating SYNTHETIC layers");
    let written = qala_synth::generate(&city, &opts, &args.out)?;
    for w in &written {
        crate::out(&format!(
            "{:>9} features  {}  (SYNTHETIC {})",
            w.features,
            w.path.display(),
            w.info.kind
        ));
    }
    Ok(ExitCode::SUCCESS)
}
