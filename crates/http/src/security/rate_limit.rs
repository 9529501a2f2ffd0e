//! Rate limiting with actix-governor, keyed by the real client address.
//!
//! The limiter is GCRA, not a fixed window: each key holds a bucket of
//! `max` requests that refills one request every `window / max`. A client
//! can spend `max` at once and then one more every `window / max`, so over
//! one window up to about `2 x max` can pass (a full burst, then the
//! refill). Each replica keeps its own buckets in memory: behind a load
//! balancer with N replicas a client can get up to N times the limit.
//!
//! `X-Forwarded-For` is believed only when the TCP peer is one of
//! TRUSTED_PROXIES, and then the client is the right-most address that is
//! not a trusted proxy: entries to its left were written by the client
//! and can be forged.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::dev::ServiceRequest;
use ipnet::IpNet;

/// Finds the real client address of a request.
#[derive(Debug, Clone)]
pub struct ClientIp {
    trusted: Arc<Vec<IpNet>>,
}

impl ClientIp {
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self {
            trusted: Arc::new(trusted),
        }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client address given the TCP peer and the X-Forwarded-For values.
    pub fn resolve(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.is_trusted(peer) {
            return peer;
        }
        let Some(chain) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in chain.rsplit(',').map(str::trim) {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.is_trusted(ip) => client = ip,
                Ok(ip) => return ip,
                // A malformed entry: stop believing the chain here.
                Err(_) => return client,
            }
        }
        client
    }
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let peer = req
            .peer_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(self.resolve(peer, forwarded))
    }
}

/// A limiter configuration (shared by every worker: build it once).
pub type LimiterConfig = GovernorConfig<ClientIp, NoOpMiddleware>;

/// `max` requests per `window` per client, as a GCRA bucket.
pub fn limiter(window: Duration, max: u32, client_ip: ClientIp) -> Result<LimiterConfig, String> {
    let max = max.max(1);
    let period = (window / max).max(Duration::from_nanos(1));
    GovernorConfigBuilder::default()
        .period(period)
        .burst_size(max)
        .key_extractor(client_ip)
        .finish()
        .ok_or_else(|| format!("invalid rate limit: {max} per {window:?}"))
}

/// The two limiters of the API.
#[derive(Clone)]
pub struct RateLimits {
    /// Every `/api/` route.
    pub general: LimiterConfig,
    /// `/api/auth/` routes, in addition to the general one.
    pub auth: LimiterConfig,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimits")
    }
}

impl RateLimits {
    /// Forgets clients idle long enough for their bucket to be full again,
    /// so memory does not grow with every address ever seen.
    pub fn evict_idle(&self) {
        for config in [&self.general, &self.auth] {
            let limiter = config.limiter();
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn forwarded_for_is_ignored_from_an_untrusted_peer() {
        let c = ClientIp::new(vec![
            "10.0.0.0/8".parse().unwrap_or_else(|_| IpNet::default()),
        ]);
        assert_eq!(
            c.resolve(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client_behind_a_trusted_proxy() {
        let c = ClientIp::new(vec![
            "10.0.0.0/8".parse().unwrap_or_else(|_| IpNet::default()),
        ]);
        // The client forged 1.2.3.4; the proxy appended the real address.
        assert_eq!(
            c.resolve(ip("10.0.0.2"), Some("1.2.3.4, 198.51.100.7")),
            ip("198.51.100.7")
        );
        assert_eq!(
            c.resolve(ip("10.0.0.2"), Some("198.51.100.7, 10.0.0.5")),
            ip("198.51.100.7")
        );
        assert_eq!(c.resolve(ip("10.0.0.2"), None), ip("10.0.0.2"));
        assert_eq!(c.resolve(ip("10.0.0.2"), Some("garbage")), ip("10.0.0.2"));
    }
}
