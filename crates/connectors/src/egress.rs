//! Where the hub may send requests. Connection settings name hosts that an organisation admin chooses, so without
//! a check an admin could make the hub call its own network: a cloud metadata endpoint, a database's HTTP port, an
//! internal admin page. Every request is checked twice: its URL before it is sent (scheme, and hosts written as IP
//! addresses), and each address a host name resolves to when a connection is opened (the shared client's resolver),
//! so a name that resolves to an internal address is refused as well, on every redirect too. The operator opens the
//! door for a self-hosted target with `IHUB_ALLOW_PRIVATE_NETWORKS` (everything) or `IHUB_ALLOWED_HOSTS` (named
//! hosts and networks, which may then also use plain http).
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// What the operator allows beyond public https hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Egress {
    allow_private: bool,
    allowed: Vec<Allowed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    Host(String),
    Net(IpNet),
}

/// A request the policy does not let out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0} is a private or internal address, which this hub does not call (its operator can allow it)")]
    Internal(String),
    #[error("{0} resolves to a private or internal address, which this hub does not call (its operator can allow it)")]
    ResolvesInternal(String),
    #[error("{0} uses plain http; use https (its operator can allow http for named hosts)")]
    PlainHttp(String),
    #[error("the URL is not an absolute http(s) URL")]
    NotHttp,
}

impl Egress {
    /// Public https hosts only: the default.
    pub fn strict() -> Self {
        Self::default()
    }

    /// Any host, any address, http too: for local development, the simulators and tests.
    pub fn open() -> Self {
        Self {
            allow_private: true,
            allowed: Vec::new(),
        }
    }

    /// From the operator's settings; `hosts` holds host names, IP addresses or networks (`10.1.0.0/16`). A bad
    /// entry is named in the error.
    pub fn new(allow_private: bool, hosts: &[String]) -> Result<Self, String> {
        let allowed = hosts
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .map(|h| {
                if let Ok(net) = IpNet::from_str(h) {
                    Ok(Allowed::Net(net))
                } else if let Ok(ip) = IpAddr::from_str(h) {
                    Ok(Allowed::Net(IpNet::from(ip)))
                } else if h.contains(['/', ':', ' ', '@']) {
                    Err(format!(
                        "allowed host {h:?} is neither a host name, an IP address nor a network"
                    ))
                } else {
                    Ok(Allowed::Host(h.trim_end_matches('.').to_ascii_lowercase()))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allow_private, allowed })
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.allowed
            .iter()
            .any(|a| matches!(a, Allowed::Host(h) if h.eq_ignore_ascii_case(host)))
    }

    fn ip_listed(&self, ip: IpAddr) -> bool {
        self.allowed
            .iter()
            .any(|a| matches!(a, Allowed::Net(net) if net.contains(&ip)))
    }

    fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.allow_private || !is_internal(ip) || self.ip_listed(ip)
    }

    /// Whether a request to this URL may be sent: https (or http where allowed), and a host that is not an
    /// internal address written as such. Host names are checked again when resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let host = url.host().ok_or(Refused::NotHttp)?;
        let ip = match host {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        };
        let shown = url.host_str().unwrap_or_default().to_owned();
        let named = ip.is_none() && self.host_allowed(&shown);
        let listed_ip = ip.is_some_and(|ip| self.ip_listed(ip));
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private || named || listed_ip => {}
            "http" => return Err(Refused::PlainHttp(shown)),
            _ => return Err(Refused::NotHttp),
        }
        match ip {
            Some(ip) if !self.ip_allowed(ip) => Err(Refused::Internal(shown)),
            _ => Ok(()),
        }
    }

    /// The addresses a host resolved to that may be called: all of them for a host the operator named.
    fn filter(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
        if self.host_allowed(host) {
            return Ok(addrs);
        }
        let kept: Vec<SocketAddr> = addrs.into_iter().filter(|a| self.ip_allowed(a.ip())).collect();
        if kept.is_empty() {
            return Err(Refused::ResolvesInternal(host.to_owned()));
        }
        Ok(kept)
    }
}

static POLICY: RwLock<Option<Arc<Egress>>> = RwLock::new(None);

/// Sets the policy of this process (at start, from the configuration).
pub fn configure(egress: Egress) {
    *POLICY.write().expect("egress lock") = Some(Arc::new(egress));
}

/// The policy of this process; strict until configured.
pub fn policy() -> Arc<Egress> {
    POLICY
        .read()
        .expect("egress lock")
        .clone()
        .unwrap_or_else(|| Arc::new(Egress::strict()))
}

/// Loopback, private, link-local (cloud metadata at 169.254.169.254 among them), shared, unique-local, multicast,
/// reserved and unspecified addresses, and IPv6 forms that carry one of those IPv4 addresses.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_internal_v4(ip),
        IpAddr::V6(ip) => is_internal_v6(ip),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24 (some clouds' metadata lives here).
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible form carry an IPv4 address in the last 32 bits.
    if (segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0]) || (segments[..6] == [0; 6] && !ip.is_loopback()) {
        let v4 = Ipv4Addr::from(u128::from(ip) as u32);
        if is_internal_v4(v4) {
            return true;
        }
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7 (AWS's IPv6 metadata address fd00:ec2::254 among them).
        || (segments[0] & 0xfe00) == 0xfc00
        // Link-local fe80::/10 and the deprecated site-local fec0::/10.
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xffc0) == 0xfec0
        // 6to4 (2002::/16) of an internal IPv4 address.
        || (segments[0] == 0x2002 && is_internal_v4(Ipv4Addr::new(
            (segments[1] >> 8) as u8,
            segments[1] as u8,
            (segments[2] >> 8) as u8,
            segments[2] as u8,
        )))
}

/// The shared clients' resolver: the system's, with addresses the policy refuses taken out.
#[derive(Debug, Default)]
pub struct CheckedResolver;

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = policy().filter(&host, addrs)?;
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The shared clients' redirect policy: each hop is checked like the first request (its host name again when
/// resolved), and at most five are followed.
pub fn redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("too many redirects");
        }
        match policy().check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

/// The policy's refusal behind a failed request, if that is why it failed.
pub fn refusal(error: &reqwest::Error) -> Option<Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.clone());
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn internal_addresses_are_known_in_both_families() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "192.0.0.192",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal} is internal");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_internal(public.parse().unwrap()), "{public} is public");
        }
    }

    #[test]
    fn the_strict_policy_refuses_internal_literals_and_plain_http() {
        let strict = Egress::strict();
        assert_eq!(strict.check_url(&url("https://api.example.com/v1")), Ok(()));
        assert_eq!(
            strict.check_url(&url("https://169.254.169.254/latest/meta-data")),
            Err(Refused::Internal("169.254.169.254".into()))
        );
        assert_eq!(
            strict.check_url(&url("https://[::1]:8443/")),
            Err(Refused::Internal("[::1]".into()))
        );
        assert_eq!(
            strict.check_url(&url("http://api.example.com/")),
            Err(Refused::PlainHttp("api.example.com".into()))
        );
        assert_eq!(strict.check_url(&url("ftp://api.example.com/")), Err(Refused::NotHttp));
    }

    #[test]
    fn named_hosts_and_networks_are_let_through_with_http() {
        let egress = Egress::new(false, &["scim.internal".into(), "10.20.0.0/16".into()]).unwrap();
        assert_eq!(egress.check_url(&url("http://SCIM.internal:8080/")), Ok(()));
        assert_eq!(egress.check_url(&url("http://10.20.3.4/")), Ok(()));
        assert_eq!(
            egress.check_url(&url("https://10.21.0.1/")),
            Err(Refused::Internal("10.21.0.1".into()))
        );
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
        assert_eq!(egress.filter("scim.internal", vec![loopback]), Ok(vec![loopback]));
        assert_eq!(egress.filter("evil.example", vec![loopback, public]), Ok(vec![public]));
        assert_eq!(
            egress.filter("evil.example", vec![loopback]),
            Err(Refused::ResolvesInternal("evil.example".into()))
        );
        assert!(Egress::new(false, &["http://x/".into()]).is_err());
    }

    #[test]
    fn the_open_policy_lets_everything_through() {
        let open = Egress::open();
        assert_eq!(open.check_url(&url("http://127.0.0.1:9/")), Ok(()));
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert_eq!(open.filter("localhost", vec![loopback]), Ok(vec![loopback]));
    }
}
