//! The `ihub` command line. Operators and scripts depend on these spellings.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ihub_domain::accounts::users::NewUser;
use ihub_domain::job_queue::NoJobQueue;
use ihub_domain::{Role, accounts::organisations, accounts::users};

use crate::config::Config;
use crate::runtime::{self, Roles, StartError};

#[derive(Debug, Parser)]
#[command(
    name = "ihub",
    version,
    about = "Integration Hub: keeps people data in sync between business systems"
)]
pub struct Cli {
    /// TOML configuration file (default: $IHUB_CONFIG, then ./ihub.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything in one process: API, worker and web app (SQLite and an embedded queue unless configured).
    Serve {
        /// Address to listen on (overrides IHUB_LISTEN).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run only the HTTP API and web app.
    Api {
        /// Address to listen on (overrides IHUB_LISTEN).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run only the background worker.
    Worker {
        /// Address to answer /healthz and /readyz on (overrides IHUB_WORKER_LISTEN; none when neither is set).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Operator commands.
    #[command(subcommand)]
    Admin(Admin),
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum Admin {
    /// Create an organisation and print its id.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// IANA time zone in which reports show times.
        #[arg(long, default_value = organisations::DEFAULT_TIMEZONE, value_name = "Area/City")]
        timezone: String,
    },
    /// Create a user in an organisation and print their id.
    CreateUser {
        /// The organisation's id or name.
        #[arg(long, value_name = "ID_OR_NAME")]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Support,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Support => Role::Support,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("{0}")]
    Domain(String),
}

impl From<ihub_domain::DomainError> for CliError {
    fn from(e: ihub_domain::DomainError) -> Self {
        CliError::Domain(match e {
            ihub_domain::DomainError::Validation(errors) => errors
                .iter()
                .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })
    }
}

pub async fn execute(cli: Cli) -> Result<(), CliError> {
    if let Command::Openapi = cli.command {
        print!("{}", ihub_api::openapi::to_json(&ihub_api::openapi::document()));
        return Ok(());
    }
    let mut config = Config::load(cli.config.as_deref()).map_err(StartError::from)?;
    match cli.command {
        Command::Serve { listen } | Command::Api { listen } if listen.is_some() => {
            config.listen = listen.expect("checked").to_string();
        }
        Command::Worker { listen: Some(listen) } => config.worker_listen = Some(listen.to_string()),
        _ => {}
    }
    match cli.command {
        Command::Serve { .. } => runtime::run(config, Roles::All).await?,
        Command::Api { .. } => runtime::run(config, Roles::Api).await?,
        Command::Worker { .. } => runtime::run(config, Roles::Worker).await?,
        Command::Migrate => {
            runtime::open_hub(&config, Arc::new(NoJobQueue)).await?;
            eprintln!("database schema is up to date");
        }
        Command::Admin(Admin::CreateOrg { name, timezone }) => {
            let hub = runtime::open_hub(&config, Arc::new(NoJobQueue)).await?;
            let org = organisations::create(&hub, &name, Some(&timezone)).await?;
            println!("{}", org.id);
        }
        Command::Admin(Admin::CreateUser {
            org,
            email,
            password,
            role,
            name,
        }) => {
            let hub = runtime::open_hub(&config, Arc::new(NoJobQueue)).await?;
            let org = organisations::find_by_id_or_name(&hub, &org)
                .await
                .map_err(|_| CliError::Domain(format!("--org: no organisation with id or name `{org}`")))?;
            let user = users::create_in(
                &hub,
                org.id,
                NewUser {
                    email,
                    name,
                    password,
                    role: role.into(),
                },
            )
            .await?;
            println!("{}", user.id);
        }
        Command::Openapi => unreachable!("handled before configuration is loaded"),
    }
    Ok(())
}
