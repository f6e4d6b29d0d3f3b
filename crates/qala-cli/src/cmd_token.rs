use std::process::ExitCode;

use clap::Subcommand;

use crate::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once; the database keeps only its hash.
    Create {
        /// public, mapper, planner or admin.
        #[arg(long)]
        role: String,
        /// Layer a mapper may upload to (repeatable).
        #[arg(long)]
        layer: Vec<String>,
    },
}

pub async fn run(_g: &GlobalArgs, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create { role, layer } = cmd;
    anyhow::bail!("qala token create --role {role} {layer:?} is not built yet: see the server issue")
}
