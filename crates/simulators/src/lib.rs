//! Faithful local stand-ins for the third-party APIs the hub speaks, served by one HTTP server under a prefix per
//! system, so tests, the demo and benchmarks run offline against real HTTP.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

pub mod bamboohr;
pub mod employment_hero;
pub mod odoo;
pub mod scim;

/// The credentials each simulated system accepts; anything else is refused the way the real system refuses it.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub scim_token: String,
    pub odoo_database: String,
    pub odoo_login: String,
    pub odoo_api_key: String,
    pub bamboohr_company: String,
    pub bamboohr_api_key: String,
    pub employment_hero_access_token: String,
    pub employment_hero_organisation_id: String,
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
        }
    }
}

#[derive(Debug, Default)]
pub struct Recorded {
    /// Every request the simulators received, as `METHOD path`.
    pub requests: Vec<String>,
}

#[derive(Clone)]
pub struct SimState {
    pub accepted: Arc<Accepted>,
    pub recorded: Arc<Mutex<Recorded>>,
}

/// A running simulator server.
pub struct Simulators {
    pub addr: SocketAddr,
    pub state: SimState,
    handle: ServerHandle,
}

impl Simulators {
    /// Starts all simulators on a free loopback port.
    pub async fn start(accepted: Accepted) -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0".parse().expect("valid address"), accepted).await
    }

    pub async fn start_on(listen: SocketAddr, accepted: Accepted) -> std::io::Result<Self> {
        let state = SimState {
            accepted: Arc::new(accepted),
            recorded: Arc::default(),
        };
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(app_state.clone()))
                .wrap_fn(|req, srv| {
                    use actix_web::dev::Service;
                    if let Some(state) = req.app_data::<web::Data<SimState>>() {
                        state
                            .recorded
                            .lock()
                            .expect("lock")
                            .requests
                            .push(format!("{} {}", req.method(), req.path()));
                    }
                    srv.call(req)
                })
                .service(web::scope("/scim/v2").configure(scim::configure))
                .service(web::scope("/odoo").configure(odoo::configure))
                .service(web::scope("/bamboohr/api/gateway.php").configure(bamboohr::configure))
                .service(web::scope("/employment-hero/api/v1").configure(employment_hero::configure))
        })
        .workers(1)
        .disable_signals()
        .bind(listen)?;
        let addr = server.addrs()[0];
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

    pub fn requests(&self) -> Vec<String> {
        self.state.recorded.lock().expect("lock").requests.clone()
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}
