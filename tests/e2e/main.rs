//! End-to-end tests against the real `equoria` binary: configuration
//! refusal, migrations, readiness across a database outage, graceful
//! shutdown.

#![expect(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod api_docs;
mod boot;
mod config;
mod db_roles;
mod health;
mod lifecycle;
mod metrics;
mod migrations;
mod seed;
mod slow_clients;
mod tls;
