//! End-to-end tests against the real `equoria` binary: configuration
//! refusal, migrations, readiness across a database outage, graceful
//! shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

mod config;
mod db_roles;
mod health;
mod lifecycle;
mod migrations;
mod seed;
mod slow_clients;
