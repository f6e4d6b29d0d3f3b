use std::process::ExitCode;

use crate::GlobalArgs;

#[derive(Debug, clap::Args)]
pub struct IndicatorsArgs {
    /// Zone scheme: districts, rings, historic, or the slug of a polygon layer.
    #[arg(long, default_value = "districts")]
    pub zones: String,
}

pub async fn run(_g: &GlobalArgs, args: IndicatorsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "qala indicators --zones {} is not built yet: see the engine issue",
        args.zones
    )
}
