//! The rate-limit drill: the 6th auth attempt of a window is refused, forged client addresses or not.

use std::time::Duration;

use super::{Bed, PASSWORD, Verdicts, stop_server};
use crate::progress::Progress;
use crate::{Ctx, http};

/// (d) AUTH_RATE_LIMIT_MAX=5: the 6th attempt is 429, and forging X-Forwarded-For does not help.
pub(super) fn run(ctx: &Ctx, bed: &Bed, progress: &Progress) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(
        ctx,
        "drill-rate-limit",
        &[
            ("AUTH_RATE_LIMIT_MAX", "5"),
            ("RATE_LIMIT_WINDOW_MS", "900000"),
        ],
    )?;
    let port = server.port();
    let body = format!(r#"{{"email":"nobody@drill.equoria.test","password":"{PASSWORD}-wrong"}}"#);
    progress.phase("8 failed logins, the last two with forged client addresses");
    let mut seen = Vec::new();
    for n in 1..=8 {
        let forged: Vec<(&str, &str)> = match n {
            7 => vec![("X-Forwarded-For", "203.0.113.7")],
            8 => vec![
                ("X-Forwarded-For", "198.51.100.23, 203.0.113.8"),
                ("X-Real-IP", "203.0.113.9"),
            ],
            _ => Vec::new(),
        };
        let response = http::request(
            port,
            "POST",
            "/api/auth/login",
            &forged,
            Some(&body),
            Duration::from_secs(10),
        )?;
        seen.push(response.status);
    }
    let mut v = Verdicts::default();
    v.check(
        seen[..5].iter().all(|s| *s == 401) && seen[5] == 429,
        format!(
            "attempts 1-5 answered {:?} (401 expected), the 6th {}",
            &seen[..5],
            seen[5]
        ),
    );
    v.check(
        seen[6] == 429 && seen[7] == 429,
        format!("with a forged X-Forwarded-For: {}, with forged X-Forwarded-For and X-Real-IP: {} (429 expected)", seen[6], seen[7]),
    );
    let ping = http::get(port, "/ping", Duration::from_secs(2))?.status;
    v.check(ping == 200, format!("/ping while limited: {ping}"));
    stop_server(&mut server)?;
    Ok(v)
}
