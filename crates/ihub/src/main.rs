use clap::Parser;
use ihub::cli::{self, Cli};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Logging starts before the configuration is read, so that configuration errors are logged in the chosen format;
/// its two settings are therefore plain environment variables.
fn init_logging() -> Result<(), String> {
    let filter = EnvFilter::try_from_env("IHUB_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match std::env::var("IHUB_LOG_FORMAT")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "text" => builder.init(),
        "json" => builder.json().init(),
        other => {
            return Err(format!(
                "configuration error: IHUB_LOG_FORMAT must be `text` or `json`, not `{other}`"
            ));
        }
    }
    Ok(())
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging() {
        eprintln!("ihub: {e}");
        return std::process::ExitCode::FAILURE;
    }
    match cli::execute(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ihub: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
