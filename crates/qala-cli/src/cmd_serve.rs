use std::process::ExitCode;

use crate::GlobalArgs;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

pub async fn run(_g: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("qala serve ({}) is not built yet: see the server issue", args.listen)
}
