//! `cargo xtask image`: builds the two images that ship, from their own Dockerfiles, and runs
//! them on this machine.
//!
//! - `docker/Dockerfile` (the server) and `deploy/backup/Dockerfile` (the backup CronJob's) are
//!   built with buildah (`bud --isolation chroot --layers --format docker`: the docker format
//!   keeps the HEALTHCHECK). Registry images cannot be pulled everywhere this runs, so the base
//!   images the Dockerfiles take as build arguments are made here when missing: a Debian
//!   bookworm image from `debootstrap --variant=minbase` (for `debian:bookworm-slim`), and that
//!   image plus gcc and this machine's Rust toolchain (for `rust:<version>-bookworm`). The server's
//!   runtime stage is `FROM scratch`, so what runs here is what ships.
//! - The server image: at most [`MAX_IMAGE_BYTES`]; its configured user is a numeric non-root
//!   uid; it runs `equoria migrate run` and `equoria serve` with `--read-only`; the process runs
//!   as that uid (read from /proc), its root mount is read-only (/proc/PID/mountinfo), the
//!   image's HEALTHCHECK passes (`podman healthcheck run`), `/health` answers 200 with the
//!   database connected over TLS (`sslmode=verify-full` against the throwaway cluster's CA),
//!   and `podman stop` (SIGTERM) ends it with exit code 0 within the grace period.
//! - The backup image: `backup.sh` (its entrypoint) dumps the seeded database and `restore.sh
//!   --new` restores it, both inside the image, as uid 70 with `--read-only`; every table,
//!   sequence and the schema must come back equal (the comparison of `cargo xtask
//!   backup-drill`).
//! - A CycloneDX SBOM of the server image: the Rust crates compiled into the binary (from
//!   cargo-cyclonedx, installed when missing) and the Debian packages whose files the image
//!   holds (their dpkg records, in the image's /var/lib/dpkg/status.d).
//!
//! Images and layers live in a vfs storage outside the clone ([`STORAGE_ROOT`], or
//! `EQUORIA_IMAGE_STORAGE`), so a fresh clone reuses the base images and every unchanged layer
//! (the dependencies' layer stays until Cargo.lock changes). Logs, the SBOM and the backups go
//! to `target/equoria-image/`.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{PermissionsExt as _, chown};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use equoria_pg_cluster::{Cluster, Options, TlsOptions};
use serde_json::{Value, json};
use xshell::{Cmd, Shell, cmd};

use crate::backup_drill::{self, APP, MIGRATOR, URL_PASSWORD};
use crate::process::ensure_programs;
use crate::server::{Ready, Server, log_tail, random_secret, with_log_tail};
use crate::{Ctx, db, http, say};

mod build;
mod engine;
mod exercise;
mod sbom;

use build::*;
use engine::*;
use exercise::*;
use sbom::*;

/// Where buildah and podman keep images and layers (vfs: no overlay mounts needed).
const STORAGE_ROOT: &str = "/var/lib/containers/equoria-vfs";
/// Their run-time state (locks, mounts).
const RUN_ROOT: &str = "/run/containers/equoria-vfs";
/// Under the target dir: containers.conf, logs, SBOM, backups.
const WORK_DIR: &str = "equoria-image";
const CLUSTER_DIR: &str = "equoria-image-pg";
const DATABASE: &str = "equoria_image";
const RESTORED_DATABASE: &str = "equoria_image_restored";

const APP_TAG: &str = "localhost/equoria:dev";
/// The server Dockerfile's dependency stage, kept tagged as the build cache.
const DEPS_STAGE: &str = "deps";
const DEPS_TAG: &str = "localhost/equoria-local/server-deps:cache";
const BACKUP_TAG: &str = "localhost/equoria-backup:dev";
/// The local stand-in for `debian:bookworm-slim`. The suffix names the recipe of
/// [`debian_base`]: change it when the recipe changes, so existing images are not reused.
const DEBIAN_BASE: &str = "localhost/equoria-local/debian:bookworm-slim-r1";
/// Recipe suffix of [`rust_base`]'s tag, as for [`DEBIAN_BASE`].
const RUST_BASE_RECIPE: &str = "r1";
const DEBIAN_SUITE: &str = "bookworm";
/// Where the local Rust base keeps this machine's CA bundle for cargo's downloads
/// (CARGO_HTTP_CAINFO), so /etc/ssl/certs, which the runtime image copies, stays Debian's own.
const BUILD_CA_BUNDLE: &str = "/usr/local/share/equoria-build/ca-certificates.crt";

/// The size limit of the server image (uncompressed, as `podman images` shows it).
const MAX_IMAGE_BYTES: u64 = 40_000_000;
/// `podman stop --time`: SHUTDOWN_TIMEOUT_SECS (30, the image's default) plus margin, as the
/// Dockerfile recommends for `docker stop`.
const STOP_GRACE_SECS: u64 = 45;
/// The uid the backup image runs as (deploy/backup/Dockerfile, the CronJob's runAsUser).
const BACKUP_UID: u32 = 70;
const CYCLONEDX_VERSION: &str = "0.5.9";

/// One image build's result.
#[derive(Debug)]
struct Built {
    id: String,
    time: Duration,
}

pub(crate) fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let started = Instant::now();
    ensure_programs(
        ctx,
        &[
            ("buildah", "buildah"),
            ("podman", "podman"),
            ("runc", "runc"),
            ("debootstrap", "debootstrap"),
            // debootstrap checks Debian's signatures with it (not preinstalled elsewhere).
            (
                "/usr/share/keyrings/debian-archive-keyring.gpg",
                "debian-archive-keyring",
            ),
        ],
    )?;
    let work = ctx.target_dir.join(WORK_DIR);
    fs::create_dir_all(&work).with_context(|| format!("creating {}", ctx.show(&work)))?;
    let engine = Engine::new(ctx, &work)?;

    let clock = Instant::now();
    let debian = debian_base(ctx, &engine, &work)?;
    let rust = rust_base(ctx, &engine, &debian)?;
    let bases_time = clock.elapsed();

    let revision = cmd!(ctx.sh, "git rev-parse HEAD")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_else(|_| "unknown".to_owned());
    let app_args = [
        format!("RUST_IMAGE={rust}"),
        format!("VERSION={}", env!("CARGO_PKG_VERSION")),
        format!("REVISION={revision}"),
    ];
    let dockerfile = Path::new("docker/Dockerfile");
    // The dependency stage gets a tag of its own, so pruning below keeps it (and what it
    // stands on) while every other untagged layer goes.
    build(
        ctx,
        &engine,
        &work,
        "server-deps",
        dockerfile,
        Path::new("."),
        &app_args,
        &Stage::Only(DEPS_STAGE, DEPS_TAG),
    )?;
    let app = build(
        ctx,
        &engine,
        &work,
        "server",
        dockerfile,
        Path::new("."),
        &app_args,
        &Stage::Last(APP_TAG),
    )?;
    let backup = build(
        ctx,
        &engine,
        &work,
        "backup",
        Path::new("deploy/backup/Dockerfile"),
        Path::new("deploy/backup"),
        &[format!("DEBIAN_IMAGE={debian}")],
        &Stage::Last(BACKUP_TAG),
    )?;
    prune(ctx, &engine);

    let app_config = engine.inspect_image(ctx, &app.id)?;
    let backup_config = engine.inspect_image(ctx, &backup.id)?;
    let app_size = image_size(&app_config)?;
    let backup_size = image_size(&backup_config)?;
    let app_uid = numeric_user(&app_config, "server")?;
    let healthcheck = healthcheck_test(&app_config)?;
    say!(
        "server image {APP_TAG} ({}): {}, user {app_uid}, HEALTHCHECK {healthcheck}",
        short(&app.id),
        megabytes(app_size)
    );
    say!(
        "backup image {BACKUP_TAG} ({}): {}",
        short(&backup.id),
        megabytes(backup_size)
    );
    if app_size > MAX_IMAGE_BYTES {
        bail!(
            "the server image is {}, above the limit of {}",
            megabytes(app_size),
            megabytes(MAX_IMAGE_BYTES)
        );
    }

    let clock = Instant::now();
    let sbom = sbom(ctx, &engine, &work, &app.id, &revision)?;
    let sbom_time = clock.elapsed();

    let clock = Instant::now();
    let options = Options {
        fresh: true,
        tls: Some(TlsOptions::default()),
        ..Options::default()
    };
    let cluster = db::start_cluster_with(ctx, &ctx.target_dir.join(CLUSTER_DIR), options, "image")?;
    let result = exercise(ctx, &engine, &work, &cluster, &app.id, app_uid, &backup.id);
    db::stop_cluster(ctx, cluster);
    let checks = result?;
    let run_time = clock.elapsed();

    say!("");
    say!("image summary:");
    say!(
        "  server image  {APP_TAG:<28} {:>9}  built in {}",
        megabytes(app_size),
        seconds(app.time)
    );
    say!(
        "  backup image  {BACKUP_TAG:<28} {:>9}  built in {}",
        megabytes(backup_size),
        seconds(backup.time)
    );
    for line in &checks {
        say!("  PASS  {line}");
    }
    say!("  SBOM (CycloneDX JSON): {}", ctx.show(&sbom));
    say!(
        "  times: base images {}, builds {} + {}, SBOM {}, runs {}; total {}",
        seconds(bases_time),
        seconds(app.time),
        seconds(backup.time),
        seconds(sbom_time),
        seconds(run_time),
        seconds(started.elapsed())
    );
    Ok(())
}

fn short(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_a_numeric_non_root_user_passes() {
        let config = |user: &str| json!({ "Config": { "User": user } });

        assert_eq!(numeric_user(&config("65532:65532"), "x").unwrap(), 65532);
        assert_eq!(numeric_user(&config("70"), "x").unwrap(), 70);
        assert!(numeric_user(&config("0:0"), "x").is_err());
        assert!(numeric_user(&config("nonroot"), "x").is_err());
        assert!(numeric_user(&config("65532:nonroot"), "x").is_err());
        assert!(numeric_user(&config(""), "x").is_err());
    }

    #[test]
    fn a_dpkg_record_becomes_a_component_with_a_package_url() {
        let record = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n\
                      Version: 2.36-9+deb12u13\nDescription: GNU C Library\n";

        let component = deb_component(record).unwrap();

        assert_eq!(component["name"], "libc6");
        assert_eq!(component["version"], "2.36-9+deb12u13");
        assert_eq!(
            component["purl"],
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u13?arch=amd64&distro=debian-12"
        );
        assert!(deb_component("Package: x\n").is_err());
    }

    #[test]
    fn the_healthcheck_comes_from_the_image() {
        let config = json!({ "Healthcheck": { "Test": ["CMD", "equoria", "healthcheck"] } });

        assert_eq!(
            healthcheck_test(&config).unwrap(),
            "CMD equoria healthcheck"
        );
        assert!(healthcheck_test(&json!({ "Config": {} })).is_err());
    }
}
