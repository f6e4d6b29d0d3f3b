use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use qala_synth::{CityInputs, SynthOptions};

use crate::GlobalArgs;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Scale {
    /// City-sized layers for the fixtures (a few thousand features).
    Fixtures,
    /// Benchmark scale: 2,000,000 tree points, 500,000 buildings, 5,000 services,
    /// 100 m population cells.
    Bench,
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
    /// Preset sizes; the options below override them.
    #[arg(long, value_enum, default_value = "fixtures")]
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
        if let Scale::Bench = self.scale {
            o.trees = 2_000_000;
            o.buildings = 500_000;
            o.services = 5_000;
            o.cell_size_m = 100.0;
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
    let written = qala_synth::generate(&city, &args.options(), &args.out)?;
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
