//! `ihub-sim`: serves the Employment Hero, BambooHR, SCIM and Odoo simulators on one port, seeded with
//! generated employees, for the demo and for trying the hub by hand.
use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use ihub_simulators::{Accepted, SeedOptions, Simulators};

/// Local simulators of Employment Hero, BambooHR, a SCIM 2.0 service and Odoo, all on one HTTP port.
///
/// Each system lives under its own prefix; the base URLs and the credentials each accepts are printed at start.
/// Controls for demos (seed, change and terminate people, inject faults, fire webhooks) are under `/_control`.
#[derive(Debug, Parser)]
#[command(name = "ihub-sim", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "IHUB_SIM_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, short, env = "IHUB_SIM_PORT", default_value_t = 8900)]
    port: u16,
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

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let accepted = Accepted::default();
    let sims = Simulators::start_on(SocketAddr::new(args.host, args.port), accepted.clone()).await?;
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
        "control": format!("{}/_control", sims.base()),
        "employees": sims.people_count(),
    });
    if args.json {
        println!("{settings}");
    } else {
        println!(
            "Integration Hub simulators on {} with {} employees\n",
            sims.base(),
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
        println!("\nControls: {}/_control/status", sims.base());
    }
    tokio::signal::ctrl_c().await?;
    sims.stop().await;
    Ok(())
}
