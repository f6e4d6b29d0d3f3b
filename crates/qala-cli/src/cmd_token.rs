//! `qala token`: create, list and revoke API tokens. A token is printed once; the database
//! keeps only its sha256.
use std::process::ExitCode;

use clap::Subcommand;

use crate::GlobalArgs;
use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once; the database keeps only its hash.
    Create {
        /// public, mapper, planner or admin.
        #[arg(long)]
        role: String,
        /// Layer a mapper may upload to and roll back (repeatable).
        #[arg(long)]
        layer: Vec<String>,
        /// A note saying whose token this is.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by id (see `qala token list`).
    Revoke { id: i64 },
}

pub async fn run(g: &GlobalArgs, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    // Check the arguments before touching the database.
    if let TokenCommand::Create { role, layer, .. } = &cmd {
        // The same rule as POST /tokens.
        qala_server::auth::check_new_token(role, layer)?;
    }
    let db = Db::open(g).await?;
    let result = run_db(&db, cmd).await;
    db.close().await?;
    result
}

async fn run_db(db: &Db, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCommand::Create { role, layer, label } => {
            let token = qala_server::auth::new_token();
            let rec = qala_store::features::create_token(
                &db.pool,
                &qala_server::auth::token_hash(&token),
                &role,
                &layer,
                &label,
            )
            .await?;
            eprintln!(
                "token {} ({}{}) created; it is shown only this once:",
                rec.api_token_id,
                rec.role,
                if rec.layers.is_empty() {
                    String::new()
                } else {
                    format!(", layers {}", rec.layers.join(","))
                }
            );
            crate::out(&token);
        }
        TokenCommand::List => {
            for t in qala_store::features::list_tokens(&db.pool).await? {
                crate::out(&format!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    t.api_token_id,
                    t.role,
                    t.layers.join(","),
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    t.label,
                    if t.revoked { "\t(revoked)" } else { "" }
                ));
            }
        }
        TokenCommand::Revoke { id } => {
            if !qala_store::features::revoke_token(&db.pool, id).await? {
                anyhow::bail!("no token {id}: see `qala token list`");
            }
            crate::out(&format!("token {id} revoked"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
