//! Faithful local stand-ins for the third-party APIs the hub speaks, so tests, the demo and benchmarks run offline
//! against real HTTP. Each provider gets its own HTTP server, with the real API's paths at its root, so a
//! connector's settings differ from production only in scheme, host and port:
//!
//! | server | paths | stands in for |
//! | --- | --- | --- |
//! | Employment Hero | `/api/v1/…`, `/oauth2/authorize`, `/oauth2/token` | api. and oauth.employmenthero.com |
//! | BambooHR | `/api/gateway.php/{company}/v1/…` | api.bamboohr.com |
//! | SCIM 2.0 service provider | `/scim/v2/…` | a SCIM base URL, commonly ending in `/scim/v2` |
//! | Odoo | `/jsonrpc` | an Odoo instance's external API |
//!
//! Every server also serves the controls for demos under `/_control`; [`Simulators::control_url`] names the
//! Employment Hero server's. The servers share one [`SimState`], so the people Employment Hero and BambooHR serve
//! are the same, and faults and request counts are kept per [`System`].
//!
//! State is in memory. Tests drive it through the methods of [`SimState`], which [`Simulators`] dereferences to
//! (see `control/mod.rs`).
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
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
    /// Webhooks registered through BambooHR's API, fired when people change.
    pub bamboohr_hooks: bamboohr::hooks::Shared,
    /// The SCIM server's base URL (ending in `/scim/v2`) once it listens, for the `meta.location` of users added
    /// outside a request.
    pub scim_base_url: Arc<OnceLock<String>>,
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
            bamboohr_hooks: Arc::default(),
            scim_base_url: Arc::default(),
        }
    }
}

/// The port each provider's server listens on; 0 picks a free one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ports {
    pub employment_hero: u16,
    pub bamboohr: u16,
    pub scim: u16,
    pub odoo: u16,
}

impl Ports {
    /// A free port for every server, as tests want.
    pub const FREE: Ports = Ports {
        employment_hero: 0,
        bamboohr: 0,
        scim: 0,
        odoo: 0,
    };

    fn of(&self, provider: Provider) -> u16 {
        match provider {
            Provider::EmploymentHero => self.employment_hero,
            Provider::BambooHr => self.bamboohr,
            Provider::Scim => self.scim,
            Provider::Odoo => self.odoo,
        }
    }
}

/// The providers that get a server each. Employment Hero's OAuth server shares the API's, although it is a
/// [`System`] of its own for faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    EmploymentHero,
    BambooHr,
    Scim,
    Odoo,
}

impl Provider {
    const ALL: [Provider; 4] = [
        Provider::EmploymentHero,
        Provider::BambooHr,
        Provider::Scim,
        Provider::Odoo,
    ];

    fn of(system: System) -> Self {
        match system {
            System::EmploymentHero | System::EmploymentHeroAuth => Self::EmploymentHero,
            System::BambooHr => Self::BambooHr,
            System::Scim => Self::Scim,
            System::Odoo => Self::Odoo,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::EmploymentHero => "Employment Hero",
            Self::BambooHr => "BambooHR",
            Self::Scim => "SCIM",
            Self::Odoo => "Odoo",
        }
    }

    /// The system whose faults apply to the server's requests, apart from the OAuth paths (see `faults.rs`).
    fn system(self) -> System {
        match self {
            Self::EmploymentHero => System::EmploymentHero,
            Self::BambooHr => System::BambooHr,
            Self::Scim => System::Scim,
            Self::Odoo => System::Odoo,
        }
    }

    fn routes(self) -> fn(&mut web::ServiceConfig) {
        match self {
            Self::EmploymentHero => |cfg| {
                cfg.service(web::scope("/api/v1").configure(employment_hero::configure_api))
                    .service(web::scope("/oauth2").configure(employment_hero::configure_oauth));
            },
            Self::BambooHr => |cfg| {
                cfg.service(web::scope("/api/gateway.php").configure(bamboohr::configure));
            },
            Self::Scim => |cfg| {
                cfg.service(web::scope("/scim/v2").configure(scim::configure));
            },
            Self::Odoo => odoo::configure,
        }
    }
}

struct Server {
    provider: Provider,
    addr: SocketAddr,
    handle: ServerHandle,
}

/// The running simulator servers, one per provider. They dereference to their shared [`SimState`], whose methods
/// (in `control/mod.rs`) seed, change, read back and break the simulated systems.
pub struct Simulators {
    pub state: SimState,
    servers: Vec<Server>,
}

impl Simulators {
    /// Starts every simulator on a free loopback port, with no people until seeded.
    pub async fn start(accepted: Accepted) -> std::io::Result<Self> {
        Self::start_with(Ports::FREE, IpAddr::V4(Ipv4Addr::LOCALHOST), accepted).await
    }

    /// Starts every simulator on `host` at its port in `ports`. Nothing is left listening when any port is taken.
    pub async fn start_with(ports: Ports, host: IpAddr, accepted: Accepted) -> std::io::Result<Self> {
        // Bound before any server starts, so a taken port fails the whole start cleanly.
        let listeners = Provider::ALL
            .iter()
            .map(|&provider| {
                let listen = SocketAddr::new(host, ports.of(provider));
                TcpListener::bind(listen).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("the {} simulator cannot listen on {listen}: {e}", provider.name()),
                    )
                })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let state = SimState::new(accepted);
        let mut servers: Vec<Server> = Vec::with_capacity(listeners.len());
        for (provider, listener) in Provider::ALL.into_iter().zip(listeners) {
            let addr = listener.local_addr()?;
            if provider == Provider::Scim {
                let _ = state.scim_base_url.set(format!("http://{addr}/scim/v2"));
            }
            let app_state = state.clone();
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(app_state.clone()))
                    .app_data(faults::Served(provider.system()))
                    // Large custom reports and bulk bodies are normal for these APIs.
                    .app_data(web::JsonConfig::default().limit(16 * 1024 * 1024))
                    .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                    .wrap(from_fn(faults::middleware))
                    .configure(provider.routes())
                    // On every server, so a demo reaches the controls through any port it knows.
                    .service(web::scope("/_control").configure(control::http::configure))
            })
            .workers(2)
            .disable_signals()
            .listen(listener);
            let server = match server {
                Ok(server) => server.run(),
                Err(e) => {
                    for started in servers {
                        started.handle.stop(false).await;
                    }
                    return Err(e);
                }
            };
            servers.push(Server {
                provider,
                addr,
                handle: server.handle(),
            });
            tokio::spawn(server);
        }
        Ok(Self { state, servers })
    }

    /// Where the server that plays `system` listens; Employment Hero's API and OAuth server share one.
    pub fn addr(&self, system: System) -> SocketAddr {
        let provider = Provider::of(system);
        self.servers
            .iter()
            .find(|s| s.provider == provider)
            .expect("every provider has a server")
            .addr
    }

    /// The root URL of the server that plays `system`, without any API path.
    pub fn url(&self, system: System) -> String {
        format!("http://{}", self.addr(system))
    }

    /// The controls, on the Employment Hero server (every server serves them).
    pub fn control_url(&self) -> String {
        format!("{}/_control", self.url(System::EmploymentHero))
    }

    pub fn scim_base_url(&self) -> String {
        format!("{}/scim/v2", self.url(System::Scim))
    }

    /// What the Odoo connector appends `/jsonrpc` to: the instance's root.
    pub fn odoo_base_url(&self) -> String {
        self.url(System::Odoo)
    }

    /// What the BambooHR connector appends `/{company}/v1/…` to.
    pub fn bamboohr_api_base_url(&self) -> String {
        format!("{}/api/gateway.php", self.url(System::BambooHr))
    }

    pub fn employment_hero_api_base_url(&self) -> String {
        format!("{}/api/v1", self.url(System::EmploymentHero))
    }

    pub fn employment_hero_authorize_url(&self) -> String {
        format!("{}/oauth2/authorize", self.url(System::EmploymentHeroAuth))
    }

    pub fn employment_hero_token_url(&self) -> String {
        format!("{}/oauth2/token", self.url(System::EmploymentHeroAuth))
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.recorded.lock().expect("lock").requests.clone()
    }

    pub async fn stop(self) {
        for server in self.servers {
            server.handle.stop(true).await;
        }
    }
}

impl std::ops::Deref for Simulators {
    type Target = SimState;

    fn deref(&self) -> &SimState {
        &self.state
    }
}
