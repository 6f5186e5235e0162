//! `wakil`: the one binary. Subcommands: serve, migrate, seed, tool, bench, ask, eval.

mod bench_documents;
mod bench_render;
mod bench_ws;
mod cli;
mod converse;
mod docs;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WAKIL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx::query=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Cli::parse();
    match cli::run(args).await {
        Ok(code) => code,
        // What the user can fix (unknown name, refused access, bad arguments): its French
        // message alone, exit code 3. Anything else: the whole chain, exit code 1.
        Err(e) => match e.downcast_ref::<wakil_tools::ToolError>() {
            Some(user) if user.is_user_error() => {
                eprintln!("{user}");
                if let wakil_tools::ToolError::InvalidArgs(m) = user
                    && m.starts_with("Arguments invalides")
                {
                    eprintln!("Le schéma des arguments d'un outil : wakil tool NOM --schema.");
                }
                std::process::ExitCode::from(3)
            }
            _ => {
                eprintln!("Erreur : {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}
