//! The HTTP client webhook deliveries go out with.
use std::sync::OnceLock;
use std::time::Duration;

/// The workspace's reqwest has no TLS provider of its own; ring is the one the rest of the hub installs.
pub fn install_crypto_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub fn client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            install_crypto_provider();
            reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("the HTTP client configuration is valid")
        })
        .clone()
}
