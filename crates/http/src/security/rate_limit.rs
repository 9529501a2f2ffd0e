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
//! and can be forged. Every `X-Forwarded-For` header line counts: several
//! lines are one list, in order (RFC 9110 field lines), so a client that
//! sends its own line before the proxy adds another cannot choose its key.
//!
//! The key is the client's IPv4 address, or the /64 prefix of its IPv6
//! address: one IPv6 subscriber usually holds a whole /64 and could
//! otherwise take a fresh bucket for every request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

use super::password_work::PasswordWork;

/// Stands for an `X-Forwarded-For` line that is not text: it parses as no
/// address, so the chain stops being believed there.
const UNREADABLE_HOP: &str = "unreadable";

/// How often at most the "X-Forwarded-For from an untrusted peer" warning is logged.
pub const UNTRUSTED_FORWARDED_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// Finds the real client address of a request.
#[derive(Debug, Clone)]
pub struct ClientIp {
    trusted: Arc<Vec<IpNet>>,
    untrusted_forwarded: Arc<Throttle>,
}

impl ClientIp {
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self {
            trusted: Arc::new(trusted),
            untrusted_forwarded: Arc::new(Throttle::new(UNTRUSTED_FORWARDED_WARNING_INTERVAL)),
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

    /// Logs (at most once per [`UNTRUSTED_FORWARDED_WARNING_INTERVAL`]) that a
    /// peer outside TRUSTED_PROXIES sent X-Forwarded-For: either a client
    /// trying to choose its key, or a proxy in front that TRUSTED_PROXIES
    /// forgot, which puts every user behind it in one bucket.
    fn note_untrusted_forwarded(&self, peer: IpAddr, now: Instant) {
        if self.untrusted_forwarded.allow(now) {
            tracing::warn!(
                peer = %peer,
                "X-Forwarded-For received from a peer outside TRUSTED_PROXIES and ignored; \
                 if this peer is your proxy or load balancer, add it to TRUSTED_PROXIES \
                 (otherwise all its users share one rate-limit bucket)"
            );
        }
    }
}

/// Every `X-Forwarded-For` line of `headers`, joined in order into one list
/// (`None` without any). A line that is not visible ASCII becomes an entry
/// that parses as no address.
pub fn forwarded_for(headers: &HeaderMap) -> Option<String> {
    let mut lines = headers.get_all("x-forwarded-for").peekable();
    lines.peek()?;
    Some(
        lines
            .map(|v| v.to_str().unwrap_or(UNREADABLE_HOP))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The rate-limit key of a client address: IPv4 addresses as they are
/// (IPv4-mapped IPv6 included), IPv6 addresses cut to their /64.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

/// Lets an event through at most once per interval (for log lines a
/// client could otherwise repeat at will). The time is passed in, so tests
/// need no clock.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Mutex::new(None),
        }
    }

    /// True when nothing was let through during the `interval` before `now`
    /// (and `now` is recorded as the last time).
    pub fn allow(&self, now: Instant) -> bool {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *last {
            Some(previous) if now.saturating_duration_since(previous) < self.interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let peer = req
            .peer_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let forwarded = forwarded_for(req.headers());
        if forwarded.is_some() && !self.is_trusted(peer) {
            self.note_untrusted_forwarded(peer, Instant::now());
        }
        Ok(rate_key(self.resolve(peer, forwarded.as_deref())))
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

/// The two limiters of the API, and the bound on concurrent password work.
#[derive(Clone)]
pub struct RateLimits {
    /// Every `/api/` route.
    pub general: LimiterConfig,
    /// The routes that check or set a password (register, login,
    /// change-password), in addition to the general one: the budget against
    /// password guessing. Token refresh, logout and the profile are not
    /// charged against it.
    pub auth: LimiterConfig,
    /// How many password hashes may run at once (same routes).
    pub password_work: PasswordWork,
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

    /// Everything logged while `f` runs, as text.
    fn capture_logs(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn trusting(net: &str) -> ClientIp {
        ClientIp::new(vec![net.parse().unwrap_or_else(|_| IpNet::default())])
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_ipv4_by_their_address() {
        assert_eq!(
            rate_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            rate_key(ip("2001:db8:1:2::1")),
            rate_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:2::1")),
            rate_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(rate_key(ip("198.51.100.7")), ip("198.51.100.7"));
        // An IPv4 client seen through a dual-stack socket keeps its own bucket.
        assert_eq!(rate_key(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    }

    #[actix_web::test]
    async fn addresses_in_one_ipv6_64_share_one_bucket() {
        use actix_web::test::TestRequest;
        let c = ClientIp::new(vec![]);
        let key = |peer: &str| {
            let req = TestRequest::default()
                .peer_addr(std::net::SocketAddr::new(ip(peer), 40000))
                .to_srv_request();
            c.extract(&req).ok()
        };
        assert_eq!(key("2001:db8::1"), key("2001:db8::2:3:4"));
        assert_ne!(key("2001:db8::1"), key("2001:db8:0:1::1"));
    }

    #[test]
    fn every_forwarded_for_line_is_read_in_order() {
        use actix_web::http::header::{HeaderName, HeaderValue};
        let xff = HeaderName::from_static("x-forwarded-for");
        let mut headers = HeaderMap::new();
        assert_eq!(forwarded_for(&headers), None);
        headers.append(xff.clone(), HeaderValue::from_static("1.2.3.4"));
        headers.append(
            xff.clone(),
            HeaderValue::from_static("198.51.100.7, 10.0.0.5"),
        );
        assert_eq!(
            forwarded_for(&headers).as_deref(),
            Some("1.2.3.4,198.51.100.7, 10.0.0.5")
        );
        headers.append(
            xff,
            HeaderValue::from_bytes(b"\xff").unwrap_or_else(|_| HeaderValue::from_static("?")),
        );
        let chain = forwarded_for(&headers);
        // The unreadable last line stops the chain: the peer is the client.
        assert_eq!(
            trusting("10.0.0.0/8").resolve(ip("10.0.0.2"), chain.as_deref()),
            ip("10.0.0.2")
        );
    }

    #[actix_web::test]
    async fn a_client_line_before_the_proxy_line_cannot_choose_the_key() {
        use actix_web::test::TestRequest;
        let c = trusting("10.0.0.0/8");
        // The client sent its own X-Forwarded-For; the proxy added a second
        // line with the address it saw. Reading only the first line would
        // key this request by the forged 1.2.3.4.
        let req = TestRequest::default()
            .peer_addr(std::net::SocketAddr::new(ip("10.0.0.2"), 40000))
            .append_header(("x-forwarded-for", "1.2.3.4"))
            .append_header(("x-forwarded-for", "198.51.100.7"))
            .to_srv_request();
        assert_eq!(c.extract(&req).ok(), Some(ip("198.51.100.7")));
    }

    #[test]
    fn the_throttle_lets_one_event_through_per_interval() {
        let throttle = Throttle::new(Duration::from_secs(60));
        let start = Instant::now();
        assert!(throttle.allow(start));
        assert!(!throttle.allow(start));
        assert!(!throttle.allow(start + Duration::from_secs(59)));
        assert!(throttle.allow(start + Duration::from_secs(60)));
        assert!(!throttle.allow(start + Duration::from_secs(61)));
        assert!(throttle.allow(start + Duration::from_secs(125)));
    }

    #[test]
    fn forwarded_for_from_an_untrusted_peer_is_warned_about_once_a_minute() {
        let c = trusting("10.0.0.0/8");
        let peer = ip("203.0.113.9");
        let start = Instant::now();
        let warnings = capture_logs(|| {
            c.note_untrusted_forwarded(peer, start);
            c.note_untrusted_forwarded(peer, start + Duration::from_secs(30));
            // A clone shares the throttle (the two limiters hold clones).
            c.clone()
                .note_untrusted_forwarded(peer, start + Duration::from_secs(59));
            c.note_untrusted_forwarded(peer, start + Duration::from_secs(61));
        });
        assert_eq!(
            warnings.matches("outside TRUSTED_PROXIES").count(),
            2,
            "{warnings}"
        );
        assert!(warnings.contains("203.0.113.9"), "{warnings}");
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
