//! `equoria seed`: demo accounts for a development database. Idempotent:
//! accounts that exist are left alone. Refused in staging and production:
//! the demo password is public, and a staging database is reachable from the
//! internet like a production one.

use anyhow::{Context, bail};
use equoria_application::accounts::{AccountError, Registration};
use equoria_domain::account::{Email, Password, Role, Username};
use equoria_persistence::build_pool;

use crate::config::Config;
use crate::serve::{app_state, pool_settings};

/// Password of every demo account (development data only).
pub(crate) const DEMO_PASSWORD: &str = "equoria-demo-password";

/// (username, role) of the demo accounts; emails are `<username>@equoria.test`.
const DEMO_ACCOUNTS: [(&str, Role); 3] = [
    ("admin", Role::Admin),
    ("alice", Role::User),
    ("bob", Role::User),
];

#[expect(clippy::print_stdout)]
pub(crate) fn run(config: &Config) -> anyhow::Result<()> {
    if config.environment.is_strict() {
        bail!(
            "refusing to seed demo accounts (with a publicly known password) into a {} database; \
             seed only development and test databases",
            config.environment.as_str()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let pool = build_pool(&pool_settings(config)).context("building the database pool")?;
        let state = app_state(config, &pool)?;
        for (username, role) in DEMO_ACCOUNTS {
            let email =
                Email::parse(&format!("{username}@equoria.test")).map_err(anyhow::Error::msg)?;
            let registration = Registration {
                email: email.clone(),
                username: Username::parse(username).map_err(anyhow::Error::msg)?,
                password: Password::parse(DEMO_PASSWORD).map_err(anyhow::Error::msg)?,
                first_name: None,
                last_name: None,
            };
            match state.accounts.register(registration).await {
                Ok(session) => {
                    if role != Role::User {
                        state.accounts.set_role(session.user.id, role).await?;
                    }
                    println!(
                        "created {} ({}) with password {DEMO_PASSWORD}",
                        email.as_str(),
                        role.as_str()
                    );
                }
                Err(AccountError::DuplicateEmail | AccountError::DuplicateUsername) => {
                    println!("{} already exists", email.as_str());
                }
                Err(err) => return Err(err).context("creating a demo account"),
            }
        }
        pool.close();
        Ok(())
    })
}
