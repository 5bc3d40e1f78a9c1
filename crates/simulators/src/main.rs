//! `ihub-sim`: serves the Employment Hero, BambooHR, SCIM and Odoo simulators, one HTTP server per provider on
//! ports of its own, seeded with generated employees, for the demo and for trying the hub by hand.
use std::net::IpAddr;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use ihub_simulators::{Accepted, Ports, SeedOptions, Simulators};

/// Local simulators of Employment Hero, BambooHR, a SCIM 2.0 service and Odoo, one HTTP server per provider.
///
/// Each server has its real API's paths at its root: Employment Hero `/api/v1/…` and `/oauth2/authorize`,
/// `/oauth2/token`; BambooHR `/api/gateway.php/{company}/v1/…`; SCIM `/scim/v2/…`; Odoo `/jsonrpc`. The servers
/// listen on consecutive ports from `--port` (Employment Hero, BambooHR, SCIM, Odoo) unless a provider's own port
/// is given. The base URLs and the credentials each accepts are printed at start. Controls for demos (seed,
/// change and terminate people, inject faults, fire webhooks, have Employment Hero deny the next OAuth
/// authorization with `PUT /_control/oauth/employment-hero {"refuse_next": true}`) are under `/_control` on every
/// server.
#[derive(Debug, Parser)]
#[command(name = "ihub-sim", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "IHUB_SIM_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// First of four consecutive ports: Employment Hero on it, then BambooHR, SCIM and Odoo (0 picks free ports).
    #[arg(long, short, env = "IHUB_SIM_PORT", default_value_t = 8900)]
    port: u16,
    /// Port of the Employment Hero server, API and OAuth (default: --port; 0 picks a free one).
    #[arg(long, env = "IHUB_SIM_EMPLOYMENT_HERO_PORT")]
    employment_hero_port: Option<u16>,
    /// Port of the BambooHR server (default: --port + 1; 0 picks a free one).
    #[arg(long, env = "IHUB_SIM_BAMBOOHR_PORT")]
    bamboohr_port: Option<u16>,
    /// Port of the SCIM server (default: --port + 2; 0 picks a free one).
    #[arg(long, env = "IHUB_SIM_SCIM_PORT")]
    scim_port: Option<u16>,
    /// Port of the Odoo server (default: --port + 3; 0 picks a free one).
    #[arg(long, env = "IHUB_SIM_ODOO_PORT")]
    odoo_port: Option<u16>,
    /// How many employees Employment Hero and BambooHR start with.
    #[arg(long, short = 'n', env = "IHUB_SIM_EMPLOYEES", default_value_t = 50)]
    employees: u32,
    /// Seed of the generated people: the same seed gives the same people.
    #[arg(long, env = "IHUB_SIM_SEED", default_value_t = 42)]
    seed: u64,
    /// Print the settings as JSON instead of text (for scripts).
    #[arg(long)]
    json: bool,
}

impl Args {
    fn ports(&self) -> Result<Ports, String> {
        let port = |chosen: Option<u16>, offset: u16, flag: &str| match (chosen, self.port) {
            (Some(port), _) => Ok(port),
            (None, 0) => Ok(0),
            (None, base) => base
                .checked_add(offset)
                .ok_or_else(|| format!("--port {base} leaves no port for {flag}; give {flag} or a lower --port")),
        };
        Ok(Ports {
            employment_hero: port(self.employment_hero_port, 0, "--employment-hero-port")?,
            bamboohr: port(self.bamboohr_port, 1, "--bamboohr-port")?,
            scim: port(self.scim_port, 2, "--scim-port")?,
            odoo: port(self.odoo_port, 3, "--odoo-port")?,
        })
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let ports = args
        .ports()
        .unwrap_or_else(|message| Args::command().error(ErrorKind::ValueValidation, message).exit());
    let accepted = Accepted::default();
    let sims = match Simulators::start_with(ports, args.host, accepted.clone()).await {
        Ok(sims) => sims,
        Err(e) => {
            eprintln!("ihub-sim: {e}");
            std::process::exit(1);
        }
    };
    let mut options = SeedOptions::new(args.employees);
    options.seed = args.seed;
    sims.seed_people(&options);

    let settings = serde_json::json!({
        "employment_hero": {
            "api_base_url": sims.employment_hero_api_base_url(),
            "authorize_url": sims.employment_hero_authorize_url(),
            "token_url": sims.employment_hero_token_url(),
            "client_id": accepted.employment_hero_client_id,
            "client_secret": accepted.employment_hero_client_secret,
            "organisation_id": accepted.employment_hero_organisation_id,
            "access_token": accepted.employment_hero_access_token,
        },
        "bamboohr": {
            "api_base_url": sims.bamboohr_api_base_url(),
            "company_domain": accepted.bamboohr_company,
            "api_key": accepted.bamboohr_api_key,
        },
        "scim": {"base_url": sims.scim_base_url(), "token": accepted.scim_token},
        "odoo": {
            "base_url": sims.odoo_base_url(),
            "database": accepted.odoo_database,
            "login": accepted.odoo_login,
            "api_key": accepted.odoo_api_key,
        },
        "control": sims.control_url(),
        "employees": sims.people_count(),
    });
    if args.json {
        println!("{settings}");
    } else {
        println!(
            "Integration Hub simulators, one server per provider, with {} employees\n",
            sims.people_count()
        );
        let eh = &settings["employment_hero"];
        println!("Employment Hero (source, OAuth2)");
        for key in [
            "api_base_url",
            "authorize_url",
            "token_url",
            "client_id",
            "client_secret",
            "organisation_id",
        ] {
            println!("  {key:<16} {}", eh[key].as_str().unwrap_or_default());
        }
        println!("\nBambooHR (source, API key)");
        for key in ["api_base_url", "company_domain", "api_key"] {
            println!("  {key:<16} {}", settings["bamboohr"][key].as_str().unwrap_or_default());
        }
        println!("\nSCIM 2.0 (target, bearer token)");
        for key in ["base_url", "token"] {
            println!("  {key:<16} {}", settings["scim"][key].as_str().unwrap_or_default());
        }
        println!("\nOdoo (target, JSON-RPC)");
        for key in ["base_url", "database", "login", "api_key"] {
            println!("  {key:<16} {}", settings["odoo"][key].as_str().unwrap_or_default());
        }
        println!("\nControls: {}/status (on every server)", sims.control_url());
    }
    tokio::signal::ctrl_c().await?;
    sims.stop().await;
    Ok(())
}
