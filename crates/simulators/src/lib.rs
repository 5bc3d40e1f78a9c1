//! Faithful local stand-ins for the third-party APIs the hub speaks, served by one HTTP server under a prefix per
//! system, so tests, the demo and benchmarks run offline against real HTTP:
//!
//! | system | prefix |
//! | --- | --- |
//! | SCIM 2.0 service provider | `/scim/v2` |
//! | Odoo JSON-RPC | `/odoo` (`/odoo/jsonrpc`) |
//! | BambooHR API gateway | `/bamboohr/api/gateway.php` (`/{company}/v1/…`) |
//! | Employment Hero HR API | `/employment-hero/api/v1` |
//! | Employment Hero OAuth server | `/employment-hero/oauth2` (`/authorize`, `/token`) |
//! | controls for demos | `/_control` |
//!
//! State is in memory. Tests drive it through the methods of [`SimState`], which [`Simulators`] dereferences to
//! (see `control/mod.rs`).
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

pub mod bamboohr;
pub mod control;
pub mod delivery;
pub mod employment_hero;
pub mod faults;
pub mod odoo;
pub mod people;
pub mod scim;

pub use faults::{FaultPlan, ScriptedFailure, System};
pub use people::{Person, SeedOptions};

/// The credentials each simulated system accepts; anything else is refused the way the real system refuses it.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub scim_token: String,
    pub odoo_database: String,
    pub odoo_login: String,
    pub odoo_api_key: String,
    pub bamboohr_company: String,
    pub bamboohr_api_key: String,
    /// A long-lived token the Employment Hero API always accepts, for tests that skip the OAuth dance.
    pub employment_hero_access_token: String,
    pub employment_hero_organisation_id: String,
    /// The OAuth app registered in Employment Hero's Developer Portal.
    pub employment_hero_client_id: String,
    pub employment_hero_client_secret: String,
    /// Redirect URIs registered for the app; empty accepts any, since the hub's callback port varies in tests.
    pub employment_hero_redirect_uris: Vec<String>,
}

impl Default for Accepted {
    fn default() -> Self {
        Self {
            scim_token: "scim-secret-token".into(),
            odoo_database: "acme".into(),
            odoo_login: "hub@acme.example".into(),
            odoo_api_key: "odoo-secret-key".into(),
            bamboohr_company: "acme".into(),
            bamboohr_api_key: "bamboo-secret-key".into(),
            employment_hero_access_token: "eh-secret-access-token".into(),
            employment_hero_organisation_id: "7b1e5f7c-2a43-4a36-9a8e-0c6f1f4bb001".into(),
            employment_hero_client_id: "eh-client-id".into(),
            employment_hero_client_secret: "eh-client-secret".into(),
            employment_hero_redirect_uris: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Recorded {
    /// Every request the simulators received, as `METHOD path`.
    pub requests: Vec<String>,
}

/// Settings of the simulated companies that are not faults.
#[derive(Debug)]
pub struct Switches {
    bamboohr_directory: AtomicBool,
}

impl Default for Switches {
    fn default() -> Self {
        Self {
            bamboohr_directory: AtomicBool::new(true),
        }
    }
}

impl Switches {
    pub fn bamboohr_directory_enabled(&self) -> bool {
        self.bamboohr_directory.load(Ordering::Relaxed)
    }

    pub fn set_bamboohr_directory_enabled(&self, enabled: bool) {
        self.bamboohr_directory.store(enabled, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct SimState {
    pub accepted: Arc<Accepted>,
    pub recorded: Arc<Mutex<Recorded>>,
    /// The workforce Employment Hero and BambooHR both serve.
    pub people: Arc<RwLock<people::Population>>,
    pub eh_auth: Arc<Mutex<employment_hero::AuthServer>>,
    pub scim: Arc<RwLock<scim::Store>>,
    pub odoo: Arc<Mutex<odoo::Database>>,
    pub faults: Arc<faults::Faults>,
    pub switches: Arc<Switches>,
    /// Where the server listens, once it does.
    pub base_url: Arc<OnceLock<String>>,
}

impl SimState {
    fn new(accepted: Accepted) -> Self {
        Self {
            accepted: Arc::new(accepted),
            recorded: Arc::default(),
            people: Arc::new(RwLock::new(people::Population::generate(&SeedOptions::new(0)))),
            eh_auth: Arc::default(),
            scim: Arc::default(),
            odoo: Arc::default(),
            faults: Arc::default(),
            switches: Arc::default(),
            base_url: Arc::default(),
        }
    }
}

/// A running simulator server. It dereferences to its [`SimState`], whose methods (in `control/mod.rs`) seed,
/// change, read back and break the simulated systems.
pub struct Simulators {
    pub addr: SocketAddr,
    pub state: SimState,
    handle: ServerHandle,
}

impl Simulators {
    /// Starts all simulators on a free loopback port, with no people until seeded.
    pub async fn start(accepted: Accepted) -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0".parse().expect("valid address"), accepted).await
    }

    pub async fn start_on(listen: SocketAddr, accepted: Accepted) -> std::io::Result<Self> {
        let state = SimState::new(accepted);
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(app_state.clone()))
                // Large custom reports and bulk bodies are normal for these APIs.
                .app_data(web::JsonConfig::default().limit(16 * 1024 * 1024))
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .wrap(from_fn(faults::middleware))
                .service(web::scope("/scim/v2").configure(scim::configure))
                .service(web::scope("/odoo").configure(odoo::configure))
                .service(web::scope("/bamboohr/api/gateway.php").configure(bamboohr::configure))
                .service(web::scope("/employment-hero/api/v1").configure(employment_hero::configure_api))
                .service(web::scope("/employment-hero/oauth2").configure(employment_hero::configure_oauth))
                .service(web::scope("/_control").configure(control::http::configure))
        })
        .workers(2)
        .disable_signals()
        .bind(listen)?;
        let addr = server.addrs()[0];
        let _ = state.base_url.set(format!("http://{addr}"));
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { addr, state, handle })
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn scim_base_url(&self) -> String {
        format!("{}/scim/v2", self.base())
    }

    pub fn odoo_base_url(&self) -> String {
        format!("{}/odoo", self.base())
    }

    pub fn bamboohr_api_base_url(&self) -> String {
        format!("{}/bamboohr/api/gateway.php", self.base())
    }

    pub fn employment_hero_api_base_url(&self) -> String {
        format!("{}/employment-hero/api/v1", self.base())
    }

    pub fn employment_hero_authorize_url(&self) -> String {
        format!("{}/employment-hero/oauth2/authorize", self.base())
    }

    pub fn employment_hero_token_url(&self) -> String {
        format!("{}/employment-hero/oauth2/token", self.base())
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.recorded.lock().expect("lock").requests.clone()
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

impl std::ops::Deref for Simulators {
    type Target = SimState;

    fn deref(&self) -> &SimState {
        &self.state
    }
}
