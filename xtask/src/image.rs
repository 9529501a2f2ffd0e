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
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt as _, chown};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use equoria_pg_cluster::{Cluster, Options, TlsOptions};
use serde_json::{Value, json};
use xshell::{Cmd, Shell, cmd};

use crate::backup_drill::{self, APP, MIGRATOR, URL_PASSWORD};
use crate::process::{Background, ensure_programs};
use crate::staging::{log_tail, random_secret, wait_until_ready};
use crate::{Ctx, db, http, say};

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

pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
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

/// buildah and podman with the flags this machine needs, on the project's own storage.
#[derive(Debug)]
struct Engine {
    root: PathBuf,
    runroot: PathBuf,
    conf: PathBuf,
}

impl Engine {
    fn new(ctx: &Ctx, work: &Path) -> anyhow::Result<Engine> {
        // Without default_ulimits = [] podman fails here with `setrlimit ... Operation not
        // permitted`; the file events log needs no journald.
        let conf = work.join("containers.conf");
        fs::write(
            &conf,
            "[containers]\ndefault_ulimits = []\n\n[engine]\nevents_logger = \"file\"\n",
        )
        .with_context(|| format!("writing {}", ctx.show(&conf)))?;
        let root = db::env_var("EQUORIA_IMAGE_STORAGE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(STORAGE_ROOT));
        let runroot = if root == Path::new(STORAGE_ROOT) {
            PathBuf::from(RUN_ROOT)
        } else {
            root.join("run")
        };
        say!(
            "container storage: {} (vfs), run state {}",
            root.display(),
            runroot.display()
        );
        Ok(Engine {
            root,
            runroot,
            conf,
        })
    }

    fn buildah<'a>(&self, sh: &'a Shell) -> Cmd<'a> {
        let (root, runroot) = (&self.root, &self.runroot);
        cmd!(
            sh,
            "buildah --root {root} --runroot {runroot} --storage-driver vfs"
        )
        .env("CONTAINERS_CONF", &self.conf)
    }

    fn podman<'a>(&self, sh: &'a Shell) -> Cmd<'a> {
        let (root, runroot) = (&self.root, &self.runroot);
        cmd!(
            sh,
            "podman --root {root} --runroot {runroot} --storage-driver vfs --runtime runc --cgroup-manager cgroupfs"
        )
        .env("CONTAINERS_CONF", &self.conf)
    }

    fn image_exists(&self, ctx: &Ctx, image: &str) -> bool {
        self.podman(&ctx.sh)
            .args(["image", "exists", image])
            .quiet()
            .ignore_stderr()
            .run()
            .is_ok()
    }

    /// `podman image inspect`: the image's configuration as JSON.
    fn inspect_image(&self, ctx: &Ctx, image: &str) -> anyhow::Result<Value> {
        let text = read(ctx, self.podman(&ctx.sh).args(["image", "inspect", image]))?;
        let mut all: Vec<Value> = serde_json::from_str(&text)
            .with_context(|| format!("`podman image inspect {image}` printed no JSON list"))?;
        all.pop()
            .ok_or_else(|| anyhow!("`podman image inspect {image}` printed an empty list"))
    }

    /// A working container from `image`, removed when the guard drops.
    fn working_container<'a>(
        &'a self,
        ctx: &'a Ctx,
        image: &str,
    ) -> anyhow::Result<WorkingContainer<'a>> {
        let name = read(
            ctx,
            self.buildah(&ctx.sh)
                .args(["from", "--pull-never", "--quiet", image]),
        )?;
        Ok(WorkingContainer {
            engine: self,
            ctx,
            name: name.trim().to_owned(),
        })
    }
}

/// A buildah working container; `buildah rm` on drop.
#[derive(Debug)]
struct WorkingContainer<'a> {
    engine: &'a Engine,
    ctx: &'a Ctx,
    name: String,
}

impl WorkingContainer<'_> {
    fn buildah(&self, args: &[&str]) -> anyhow::Result<()> {
        self.ctx
            .run(self.engine.buildah(&self.ctx.sh).args(args).arg(&self.name))
    }

    /// Mounts its file system and returns where.
    fn mount(&self) -> anyhow::Result<PathBuf> {
        let cmd = self
            .engine
            .buildah(&self.ctx.sh)
            .args(["mount", &self.name]);
        Ok(PathBuf::from(read(self.ctx, cmd)?.trim()))
    }

    fn commit(&self, tag: &str) -> anyhow::Result<()> {
        self.ctx.run(
            self.engine
                .buildah(&self.ctx.sh)
                .args(["commit", "--quiet", "--format", "docker", &self.name, tag])
                .ignore_stdout(),
        )
    }
}

impl Drop for WorkingContainer<'_> {
    fn drop(&mut self) {
        let _ = self
            .engine
            .buildah(&self.ctx.sh)
            .args(["rm", &self.name])
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run();
    }
}

/// Echoes `cmd`, runs it and returns its standard output.
fn read(ctx: &Ctx, cmd: Cmd<'_>) -> anyhow::Result<String> {
    ctx.check_interrupted()?;
    eprintln!("$ {cmd}");
    let shown = cmd.to_string();
    cmd.quiet()
        .read()
        .with_context(|| format!("`{shown}` failed"))
}

/// The stand-in for `debian:bookworm-slim`: `debootstrap --variant=minbase`, with the apt
/// sources of the official image (release, updates, security). Made once per storage.
fn debian_base(ctx: &Ctx, engine: &Engine, work: &Path) -> anyhow::Result<String> {
    if engine.image_exists(ctx, DEBIAN_BASE) {
        say!("base image {DEBIAN_BASE} exists");
        return Ok(DEBIAN_BASE.to_owned());
    }
    say!("making {DEBIAN_BASE} with debootstrap (once per storage; a few minutes)");
    let rootfs = work.join("debootstrap-rootfs");
    remove_rootfs(ctx, &rootfs)?;
    let log = work.join("debootstrap.log");
    let sh = &ctx.sh;
    wait_logged(
        ctx,
        cmd!(sh, "debootstrap --variant=minbase {DEBIAN_SUITE} {rootfs}"),
        &log,
    )?;
    // debootstrap writes the release's line; the official image also has updates and security.
    let sources = rootfs.join("etc/apt/sources.list");
    let written =
        fs::read_to_string(&sources).with_context(|| format!("reading {}", ctx.show(&sources)))?;
    let mirror = written
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow!("no mirror in debootstrap's sources.list: {written:?}"))?
        .to_owned();
    let mut lines =
        format!("deb {mirror} {DEBIAN_SUITE} main\ndeb {mirror} {DEBIAN_SUITE}-updates main\n");
    if mirror.trim_end_matches('/').ends_with("/debian") {
        let security = format!("{}-security", mirror.trim_end_matches('/'));
        let _ = writeln!(lines, "deb {security} {DEBIAN_SUITE}-security main");
    }
    fs::write(&sources, lines).with_context(|| format!("writing {}", ctx.show(&sources)))?;
    for dir in ["var/lib/apt/lists", "var/cache/apt/archives"] {
        clear_files(&rootfs.join(dir))?;
    }

    let container = engine.working_container(ctx, "scratch")?;
    let mount = container.mount()?;
    ctx.run(cmd!(sh, "cp -a {rootfs}/. {mount}/"))?;
    container.buildah(&[
        "config",
        "--env",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--cmd",
        "bash",
    ])?;
    container.commit(DEBIAN_BASE)?;
    remove_rootfs(ctx, &rootfs)?;
    Ok(DEBIAN_BASE.to_owned())
}

/// Removes a debootstrap tree, unmounting what an interrupted debootstrap may have left.
fn remove_rootfs(ctx: &Ctx, rootfs: &Path) -> anyhow::Result<()> {
    if !rootfs.exists() {
        return Ok(());
    }
    for mount in ["proc", "sys", "dev/pts"] {
        let _ = cmd!(ctx.sh, "umount {rootfs}/{mount}")
            .quiet()
            .ignore_stderr()
            .run();
    }
    fs::remove_dir_all(rootfs).with_context(|| format!("removing {}", ctx.show(rootfs)))
}

/// Deletes the files directly in `dir` (apt's downloaded lists and packages).
fn clear_files(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_file() {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// The stand-in for `rust:<version>-bookworm`: the Debian base plus gcc and libc6-dev (the C
/// toolchain build scripts use), CA certificates, and this machine's Rust toolchain (the one
/// rustup selects in the workspace), laid out as the official image lays it out.
fn rust_base(ctx: &Ctx, engine: &Engine, debian: &str) -> anyhow::Result<String> {
    let sh = &ctx.sh;
    let sysroot = PathBuf::from(cmd!(sh, "rustc --print sysroot").quiet().read()?.trim());
    let verbose = cmd!(sh, "rustc -vV").quiet().read()?;
    let field = |name: &str| {
        verbose
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_owned())
            .ok_or_else(|| anyhow!("`rustc -vV` printed no `{name}` line"))
    };
    let version = field("release:")?;
    let host = field("host:")?;
    let tag = format!("localhost/equoria-local/rust:{version}-{DEBIAN_SUITE}-{RUST_BASE_RECIPE}");
    if engine.image_exists(ctx, &tag) {
        say!("base image {tag} exists");
        return Ok(tag);
    }
    say!(
        "making {tag} from {debian} and the toolchain in {}",
        sysroot.display()
    );
    let container = engine.working_container(ctx, debian)?;
    let install = "apt-get update -q && apt-get install -y -q --no-install-recommends \
                   ca-certificates gcc libc6-dev make pkg-config \
                   && rm -rf /var/lib/apt/lists/*";
    ctx.run(
        engine
            .buildah(sh)
            .args(["run", "--isolation", "chroot", &container.name])
            .args(["--", "sh", "-c", install])
            .ignore_stdout(),
    )?;
    let mount = container.mount()?;
    let toolchain_dir = format!("usr/local/rustup/toolchains/{version}-{host}");
    let toolchain = mount.join(&toolchain_dir);
    let cargo_bin = mount.join("usr/local/cargo/bin");
    fs::create_dir_all(&toolchain).context("creating the toolchain directory")?;
    fs::create_dir_all(&cargo_bin).context("creating /usr/local/cargo/bin")?;
    // No share/: documentation only.
    for part in ["bin", "lib", "libexec"] {
        let from = sysroot.join(part);
        if from.exists() {
            ctx.run(cmd!(sh, "cp -a {from} {toolchain}/"))?;
        }
    }
    for program in ["cargo", "rustc", "rustdoc"] {
        std::os::unix::fs::symlink(
            format!("/{toolchain_dir}/bin/{program}"),
            cargo_bin.join(program),
        )
        .with_context(|| format!("linking {program} into /usr/local/cargo/bin"))?;
    }
    let bundle = mount.join(BUILD_CA_BUNDLE.trim_start_matches('/'));
    if let Some(parent) = bundle.parent() {
        fs::create_dir_all(parent).context("creating the build CA directory")?;
    }
    fs::copy("/etc/ssl/certs/ca-certificates.crt", &bundle)
        .context("copying this machine's CA bundle (/etc/ssl/certs/ca-certificates.crt)")?;
    container.buildah(&[
        "config",
        "--env",
        "RUSTUP_HOME=/usr/local/rustup",
        "--env",
        "CARGO_HOME=/usr/local/cargo",
        "--env",
        "PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--env",
        &format!("RUST_VERSION={version}"),
        "--env",
        &format!("CARGO_HTTP_CAINFO={BUILD_CA_BUNDLE}"),
    ])?;
    container.commit(&tag)?;
    Ok(tag)
}

/// Which stage of a Dockerfile a build produces, and its tag.
#[derive(Debug)]
enum Stage<'a> {
    /// The last stage: the image that ships.
    Last(&'a str),
    /// `--target STAGE`, tagged so that [`prune`] keeps it as a cache.
    Only(&'a str, &'a str),
}

/// Removes untagged images: the layers of earlier builds and the intermediate layers of this
/// one. With the vfs driver every layer is a full copy of its file system (GBs for the Rust
/// build stages), so without this the storage grows by several GB per source change. What is
/// tagged stays: the local bases, the dependency stage ([`DEPS_TAG`]) and the two images.
/// A failure here only costs disk, so it is reported, not fatal.
fn prune(ctx: &Ctx, engine: &Engine) {
    say!("removing untagged layers from the container storage");
    let pruned = engine
        .buildah(&ctx.sh)
        .args(["rmi", "--prune"])
        .quiet()
        .ignore_stdout()
        .run();
    if let Err(error) = pruned {
        say!("WARNING: pruning the container storage failed: {error}");
    }
}

/// `buildah bud` of `dockerfile` with `context`, output in a log; returns the image id.
#[expect(
    clippy::too_many_arguments,
    reason = "one call per image, every value named"
)]
fn build(
    ctx: &Ctx,
    engine: &Engine,
    work: &Path,
    name: &str,
    dockerfile: &Path,
    context: &Path,
    build_args: &[String],
    stage: &Stage<'_>,
) -> anyhow::Result<Built> {
    let log = work.join(format!("build-{name}.log"));
    let iid = work.join(format!("{name}.iid"));
    let _ = fs::remove_file(&iid);
    say!(
        "building the {name} image from {} (output in {})",
        dockerfile.display(),
        ctx.show(&log)
    );
    let mut cmd = engine.buildah(&ctx.sh).args([
        "bud",
        "--isolation",
        "chroot",
        "--layers",
        // One stage at a time: fewer full vfs copies on disk at once. (After "Successfully
        // tagged" buildah still removes its intermediate containers, several GB each with vfs:
        // that takes minutes on a busy machine, and is not a hang.)
        "--jobs",
        "1",
        "--pull-never",
        "--format",
        "docker",
    ]);
    for arg in build_args {
        cmd = cmd.arg("--build-arg").arg(arg);
    }
    let tag = match *stage {
        Stage::Last(tag) => tag,
        Stage::Only(target, tag) => {
            cmd = cmd.arg("--target").arg(target);
            tag
        }
    };
    let cmd = cmd
        .arg("--iidfile")
        .arg(&iid)
        .arg("--file")
        .arg(dockerfile)
        .arg("--tag")
        .arg(tag)
        .arg(context);
    let clock = Instant::now();
    wait_logged(ctx, cmd, &log)?;
    let time = clock.elapsed();
    let id = fs::read_to_string(&iid)
        .with_context(|| format!("buildah wrote no image id to {}", ctx.show(&iid)))?;
    let id = id.trim().trim_start_matches("sha256:").to_owned();
    say!("built the {name} image {} in {}", short(&id), seconds(time));
    Ok(Built { id, time })
}

/// Runs `cmd` with its output in `log` and waits; on failure the error holds the log's tail.
fn wait_logged(ctx: &Ctx, cmd: Cmd<'_>, log: &Path) -> anyhow::Result<()> {
    let mut child = ctx.spawn_logged(cmd, log)?;
    let status = child.wait_for_exit(Duration::from_secs(3600))?;
    ctx.check_interrupted()?;
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => bail!(
            "failed ({status})\n--- end of {} ---\n{}",
            ctx.show(log),
            log_tail(log)
        ),
        None => bail!("still running after an hour: {}", ctx.show(log)),
    }
}

fn image_size(config: &Value) -> anyhow::Result<u64> {
    config
        .get("Size")
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("the image's inspection has no Size"))
}

/// The image's configured user, which must be a numeric uid:gid other than root (Kubernetes'
/// runAsNonRoot can only check a number). Returns the uid.
fn numeric_user(config: &Value, what: &str) -> anyhow::Result<u32> {
    let user = config
        .pointer("/Config/User")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let uid = user.split(':').next().unwrap_or_default();
    match uid.parse::<u32>() {
        Ok(0) => bail!("the {what} image runs as root (USER {user})"),
        Ok(uid) if user.split(':').all(|part| part.parse::<u32>().is_ok()) => Ok(uid),
        _ => bail!("the {what} image's USER is {user:?}, not a numeric uid:gid"),
    }
}

/// The image's HEALTHCHECK command, which must be there.
fn healthcheck_test(config: &Value) -> anyhow::Result<String> {
    let test = config
        .pointer("/Healthcheck/Test")
        .or_else(|| config.pointer("/Config/Healthcheck/Test"))
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("the server image has no HEALTHCHECK"))?;
    Ok(test
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" "))
}

/// Where the cluster's CA certificate is mounted in the server container.
const CA_IN_CONTAINER: &str = "/etc/equoria-db-ca.pem";

/// The DATABASE_URL the containers use for `role` and `database`: the ONE place that decides
/// how they connect. The containers share the host's network, so the cluster is on 127.0.0.1;
/// it serves TLS only. The server image checks the certificate fully (`verify-full` against
/// the cluster's CA, mounted at [`CA_IN_CONTAINER`] by [`ServerEnv::apply`]); the backup
/// image's psql/pg_dump get `sslmode=require` (encrypted, as a managed database without its
/// CA at hand). The cluster trusts local connections; the password is there so the image's
/// URL handling runs.
fn database_url(cluster: &Cluster, role: &str, database: &str, tls: DbTls) -> String {
    let mode = match tls {
        DbTls::VerifyFull => format!("sslmode=verify-full&sslrootcert={CA_IN_CONTAINER}"),
        DbTls::Require => "sslmode=require".to_owned(),
    };
    format!(
        "postgres://{role}:{URL_PASSWORD}@127.0.0.1:{}/{database}?{mode}",
        cluster.port()
    )
}

/// How a container checks the cluster's certificate.
#[derive(Debug, Clone, Copy)]
enum DbTls {
    VerifyFull,
    Require,
}

/// The superuser's URL, for roles.sql, the comparison and `restore.sh --new`.
fn superuser_url(cluster: &Cluster, database: &str) -> String {
    database_url(cluster, "postgres", database, DbTls::Require)
}

/// Everything that runs the images. Returns one line per check passed.
fn exercise(
    ctx: &Ctx,
    engine: &Engine,
    work: &Path,
    cluster: &Cluster,
    app_image: &str,
    app_uid: u32,
    backup_image: &str,
) -> anyhow::Result<Vec<String>> {
    let sh = &ctx.sh;
    let mut passed = Vec::new();
    let pg_bin = equoria_pg_cluster::find_bin_dir()
        .context("the image run needs the PostgreSQL client programs (psql, pg_dump)")?;
    let psql = pg_bin.join("psql");
    let admin = superuser_url(cluster, "postgres");

    say!("roles and database as in production (deploy/postgres/roles.sql)");
    backup_drill::apply_roles(ctx, &psql, &admin, DATABASE)?;
    let app_url = database_url(cluster, APP, DATABASE, DbTls::VerifyFull);
    let migrator_url = database_url(cluster, MIGRATOR, DATABASE, DbTls::VerifyFull);
    let backup_url = database_url(cluster, MIGRATOR, DATABASE, DbTls::Require);

    let server_env = ServerEnv {
        database_url: app_url,
        ca_file: cluster
            .tls_ca_file()
            .context("the image cluster was started with TLS but has no CA")?
            .to_owned(),
        port: free_port()?,
        secret: random_secret()?,
        refresh_secret: random_secret()?,
    };

    say!("`equoria migrate run` in the server image, as {MIGRATOR}");
    ctx.run(
        server_env
            .apply(
                engine
                    .podman(sh)
                    .args(["run", "--rm", "--network", "host", "--read-only"])
                    .args(["--env", "MIGRATION_DATABASE_URL"]),
            )
            .args([app_image, "equoria", "migrate", "run"])
            .env("MIGRATION_DATABASE_URL", &migrator_url),
    )?;
    backup_drill::apply_roles(ctx, &psql, &admin, DATABASE)?;
    passed.push(format!(
        "server image: `equoria migrate run` as {MIGRATOR} (--read-only)"
    ));

    passed.extend(serve(ctx, engine, work, app_image, app_uid, &server_env)?);

    say!("seeding {DATABASE} as {APP} for the backup");
    let seed = work.join("seed.sql");
    fs::write(&seed, backup_drill::SEED_SQL)
        .with_context(|| format!("writing {}", ctx.show(&seed)))?;
    let seed_url = format!("postgres://{APP}@127.0.0.1:{}/{DATABASE}", cluster.port());
    ctx.run(cmd!(sh, "{psql} -X -q -d {seed_url} -f {seed}"))?;
    passed.extend(backup_and_restore(
        ctx,
        engine,
        work,
        cluster,
        &pg_bin,
        backup_image,
        &backup_url,
    )?);
    Ok(passed)
}

/// A container name of this run.
fn container_name(what: &str) -> String {
    format!("equoria-image-{what}-{}", std::process::id())
}

/// Removes the container on drop (it may have exited or not).
#[derive(Debug)]
struct Container<'a> {
    engine: &'a Engine,
    ctx: &'a Ctx,
    name: String,
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self
            .engine
            .podman(&self.ctx.sh)
            .args(["rm", "--force", "--time", "5", &self.name])
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run();
    }
}

/// Serves from the server image and checks it from the outside.
/// The server's production settings for `podman run` (the image's NODE_ENV, production,
/// stays). The values travel in podman's environment (`--env NAME`), so no secret is on a
/// command line.
#[derive(Debug)]
struct ServerEnv {
    database_url: String,
    /// The cluster's CA, mounted read-only at [`CA_IN_CONTAINER`].
    ca_file: PathBuf,
    port: u16,
    secret: String,
    refresh_secret: String,
}

impl ServerEnv {
    /// Adds the `--env` options (before the image name) and their values.
    fn apply<'a>(&self, cmd: Cmd<'a>) -> Cmd<'a> {
        let ca = format!("{}:{CA_IN_CONTAINER}:ro", self.ca_file.display());
        cmd.args(["--volume", &ca])
            .args([
                "--env",
                "HOST=127.0.0.1",
                "--env",
                &format!("PORT={}", self.port),
            ])
            .args(["--env", "ALLOWED_ORIGINS=https://image.equoria.test"])
            .args(["--env", "DATABASE_URL", "--env", "JWT_SECRET"])
            .args(["--env", "JWT_REFRESH_SECRET"])
            .env("DATABASE_URL", &self.database_url)
            .env("JWT_SECRET", &self.secret)
            .env("JWT_REFRESH_SECRET", &self.refresh_secret)
    }
}

fn serve(
    ctx: &Ctx,
    engine: &Engine,
    work: &Path,
    image: &str,
    uid: u32,
    server_env: &ServerEnv,
) -> anyhow::Result<Vec<String>> {
    let sh = &ctx.sh;
    let port = server_env.port;
    let name = container_name("server");
    let container = Container {
        engine,
        ctx,
        name: name.clone(),
    };
    let log = work.join("server.log");
    // The HEALTHCHECK is run on demand below (`--health-interval disable`: no systemd timer,
    // which needs a systemd that is not here).
    let cmd = server_env
        .apply(
            engine
                .podman(sh)
                .args(["run", "--name", &name, "--network", "host", "--read-only"])
                .args(["--health-interval", "disable"]),
        )
        .arg(image);
    say!(
        "starting the server image on 127.0.0.1:{port} (NODE_ENV=production from the image), output in {}",
        ctx.show(&log)
    );
    let mut server = ctx.spawn_logged(cmd, &log)?;
    let outcome = check_server(ctx, engine, &mut server, &name, port, uid);
    drop(server);
    drop(container);
    outcome.map_err(|error| {
        anyhow!(
            "{error:#}\n--- end of {} ---\n{}",
            ctx.show(&log),
            log_tail(&log)
        )
    })
}

fn check_server(
    ctx: &Ctx,
    engine: &Engine,
    server: &mut Background,
    name: &str,
    port: u16,
    uid: u32,
) -> anyhow::Result<Vec<String>> {
    let sh = &ctx.sh;
    let mut passed = Vec::new();
    wait_until_ready(ctx, server, port)?;

    let pid = read(
        ctx,
        engine
            .podman(sh)
            .args(["inspect", "--format", "{{.State.Pid}}", name]),
    )?;
    let pid = pid.trim();
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status of the container's process"))?;
    for field in ["Uid:", "Gid:"] {
        let ids: Vec<&str> = status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .map(|rest| rest.split_whitespace().collect())
            .unwrap_or_default();
        if ids.is_empty() || ids.iter().any(|id| *id != uid.to_string()) {
            bail!("the server's process has {field} {ids:?}, expected {uid} throughout");
        }
    }
    say!("the server's process (pid {pid}) runs as uid and gid {uid}");
    passed.push(format!(
        "server image: runs as numeric uid {uid} (USER, /proc/{pid}/status)"
    ));

    let mountinfo = fs::read_to_string(format!("/proc/{pid}/mountinfo"))
        .with_context(|| format!("reading /proc/{pid}/mountinfo"))?;
    let root = mountinfo
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.get(4) == Some(&"/"))
        .ok_or_else(|| anyhow!("no root mount in /proc/{pid}/mountinfo"))?;
    let options = root.get(5).copied().unwrap_or_default();
    if !options.split(',').any(|option| option == "ro") {
        bail!("the container's root file system is mounted {options:?}, not read-only");
    }
    say!("the container's root file system is mounted {options}");
    passed.push("server image: read-only root file system (--read-only; mountinfo)".to_owned());

    let health = engine
        .podman(sh)
        .args(["healthcheck", "run", name])
        .ignore_status()
        .output()
        .context("running `podman healthcheck run`")?;
    let said = String::from_utf8_lossy(&health.stdout).trim().to_owned()
        + String::from_utf8_lossy(&health.stderr).trim();
    if !health.status.success() {
        bail!("the image's HEALTHCHECK failed ({}): {said}", health.status);
    }
    say!("`podman healthcheck run {name}`: {said}");
    passed.push("server image: its HEALTHCHECK passes (podman healthcheck run)".to_owned());

    let response = http::get(port, "/health", Duration::from_secs(5))?;
    let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    let database = body.get("database").and_then(Value::as_str);
    if response.status != 200 || database != Some("connected") {
        bail!(
            "GET /health answered {} with database {database:?}: {}",
            response.status,
            response.body
        );
    }
    say!("GET /health: 200, database connected");
    passed.push(format!(
        "server image: GET /health 200, database connected (as {APP}, TLS with sslmode=verify-full)"
    ));

    say!("`podman stop --time {STOP_GRACE_SECS}` (the image's STOPSIGNAL, SIGTERM)");
    let sent = Instant::now();
    let grace = STOP_GRACE_SECS.to_string();
    ctx.run(
        engine
            .podman(sh)
            .args(["stop", "--time", &grace, name])
            .ignore_stdout(),
    )?;
    let took = sent.elapsed();
    let code = read(
        ctx,
        engine
            .podman(sh)
            .args(["inspect", "--format", "{{.State.ExitCode}}", name]),
    )?;
    let code = code.trim();
    let exited = server.wait_for_exit(Duration::from_secs(10))?;
    if code != "0" {
        bail!("after SIGTERM the container exited with code {code}, expected 0");
    }
    if took >= Duration::from_secs(STOP_GRACE_SECS) {
        bail!(
            "the container needed {} after SIGTERM: podman killed it at the end of the {STOP_GRACE_SECS} s grace period",
            seconds(took)
        );
    }
    if exited.is_none_or(|status| !status.success()) {
        bail!("`podman run` did not end with 0 after the container stopped ({exited:?})");
    }
    say!(
        "the container exited with 0, {} after SIGTERM",
        seconds(took)
    );
    passed.push(format!(
        "server image: SIGTERM -> exit 0 after {} (grace {STOP_GRACE_SECS} s)",
        seconds(took)
    ));
    Ok(passed)
}

/// A backup with the backup image's entrypoint (backup.sh) and a restore with its restore.sh,
/// then the comparison of `cargo xtask backup-drill`.
fn backup_and_restore(
    ctx: &Ctx,
    engine: &Engine,
    work: &Path,
    cluster: &Cluster,
    pg_bin: &Path,
    image: &str,
    migrator_url: &str,
) -> anyhow::Result<Vec<String>> {
    let sh = &ctx.sh;
    let backups = work.join("backups");
    if backups.exists() {
        fs::remove_dir_all(&backups).with_context(|| format!("removing {}", ctx.show(&backups)))?;
    }
    fs::create_dir_all(&backups).with_context(|| format!("creating {}", ctx.show(&backups)))?;
    // The image's uid must be able to write there, and only it.
    chown(&backups, Some(BACKUP_UID), Some(BACKUP_UID))
        .with_context(|| format!("giving {} to uid {BACKUP_UID}", ctx.show(&backups)))?;
    fs::set_permissions(&backups, fs::Permissions::from_mode(0o700))?;
    let volume = format!("{}:/backups", backups.display());

    say!("backup.sh in the backup image (its entrypoint), as {MIGRATOR}");
    let clock = Instant::now();
    ctx.run(
        engine
            .podman(sh)
            .args(["run", "--rm", "--network", "host", "--read-only"])
            .args(["--volume", &volume, "--env", "BACKUP_DIR=/backups"])
            .args(["--env", "BACKUP_DATABASE_URL", image])
            .env("BACKUP_DATABASE_URL", migrator_url)
            .ignore_stdout(),
    )?;
    let backup_time = clock.elapsed();
    let dump = backup_drill::only_dump(&backups)?;
    let owner = std::os::unix::fs::MetadataExt::uid(
        &fs::metadata(&dump).with_context(|| format!("reading {}", dump.display()))?,
    );
    if owner != BACKUP_UID {
        bail!("the dump belongs to uid {owner}: the backup image did not run as uid {BACKUP_UID}");
    }
    let file_name = dump
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| anyhow!("odd dump file name {}", dump.display()))?;

    say!("restore.sh --new in the backup image, into {RESTORED_DATABASE}");
    let clock = Instant::now();
    ctx.run(
        engine
            .podman(sh)
            .args(["run", "--rm", "--network", "host", "--read-only"])
            .args(["--volume", &format!("{volume}:ro")])
            .args(["--env", "RESTORE_DATABASE_URL"])
            .args(["--env", &format!("RESTORE_DB_OWNER={MIGRATOR}")])
            .args(["--entrypoint", "/usr/local/bin/restore.sh", image])
            .args(["--new", &format!("/backups/{file_name}")])
            .env(
                "RESTORE_DATABASE_URL",
                superuser_url(cluster, RESTORED_DATABASE),
            ),
    )?;
    let restore_time = clock.elapsed();
    let psql = pg_bin.join("psql");
    backup_drill::apply_roles(
        ctx,
        &psql,
        &superuser_url(cluster, "postgres"),
        RESTORED_DATABASE,
    )?;

    let source = backup_drill::figures(ctx, pg_bin, &superuser_url(cluster, DATABASE))?;
    let restored = backup_drill::figures(ctx, pg_bin, &superuser_url(cluster, RESTORED_DATABASE))?;
    let rows: u64 = source.tables.values().map(|(rows, _)| rows).sum();
    if source != restored {
        let mut differences: Vec<String> = source
            .tables
            .iter()
            .filter(|(table, figures)| restored.tables.get(*table) != Some(figures))
            .map(|(table, _)| table.clone())
            .collect();
        if source.sequences != restored.sequences {
            differences.push("sequence positions".to_owned());
        }
        if source.schema != restored.schema {
            differences.push("schema, owners or grants".to_owned());
        }
        bail!(
            "the database restored through the backup image differs: {}",
            differences.join(", ")
        );
    }
    say!(
        "restored through the image: {} tables, {rows} rows, sequences and schema equal",
        source.tables.len()
    );
    Ok(vec![
        format!(
            "backup image: backup.sh as uid {BACKUP_UID} (--read-only) in {}",
            seconds(backup_time)
        ),
        format!(
            "backup image: restore.sh --new in {}; {} tables, {rows} rows, sequences, schema equal",
            seconds(restore_time),
            source.tables.len()
        ),
    ])
}

/// A port nothing listens on now (the server binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The CycloneDX SBOM of the server image: cargo-cyclonedx's description of the server crate
/// (every crate compiled into the binary, with licences and checksums), the image as the
/// described component, and a component per Debian package whose dpkg record the image holds.
fn sbom(
    ctx: &Ctx,
    engine: &Engine,
    work: &Path,
    image: &str,
    revision: &str,
) -> anyhow::Result<PathBuf> {
    let sh = &ctx.sh;
    let installed = cmd!(sh, "cargo cyclonedx --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok();
    if !installed {
        say!("cargo-cyclonedx is missing: installing version {CYCLONEDX_VERSION} from crates.io");
        ctx.run(cmd!(
            sh,
            "cargo install --locked cargo-cyclonedx --version {CYCLONEDX_VERSION}"
        ))?;
    }
    let crates_file = "equoria-server.cdx";
    let written = ctx
        .root
        .join("crates/server")
        .join(format!("{crates_file}.json"));
    let _ = fs::remove_file(&written);
    ctx.run(cmd!(
        sh,
        "cargo cyclonedx --manifest-path crates/server/Cargo.toml --format json --spec-version 1.5 --override-filename {crates_file} --no-build-deps"
    ))?;
    // cargo-cyclonedx writes next to the manifest of every workspace member; the server's
    // belongs under target/, the others are not wanted.
    let crates_bom = work.join("equoria-server-crates.cdx.json");
    fs::rename(&written, &crates_bom)
        .with_context(|| format!("moving {} to target/", written.display()))?;
    let crates_dir = ctx.root.join("crates");
    let members = fs::read_dir(&crates_dir)
        .with_context(|| format!("listing {}", crates_dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .chain([ctx.root.join("xtask"), ctx.root.clone()]);
    for member in members {
        let _ = fs::remove_file(member.join(format!("{crates_file}.json")));
    }
    let text = fs::read_to_string(&crates_bom)?;
    let mut bom: Value = serde_json::from_str(&text).context("cargo-cyclonedx's output")?;

    let container = engine.working_container(ctx, image)?;
    let mount = container.mount()?;
    let status_dir = mount.join("var/lib/dpkg/status.d");
    let mut packages = Vec::new();
    for entry in fs::read_dir(&status_dir)
        .with_context(|| format!("the image has no {}", "/var/lib/dpkg/status.d"))?
    {
        let record = fs::read_to_string(entry?.path())?;
        packages.push(deb_component(&record)?);
    }
    let files = image_files(&mount)?;
    drop(container);
    if packages.is_empty() {
        bail!("the image holds no dpkg records: its libraries' packages are unknown");
    }

    let server = bom
        .pointer("/metadata/component")
        .cloned()
        .ok_or_else(|| anyhow!("cargo-cyclonedx wrote no metadata.component"))?;
    let components = bom
        .get_mut("components")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| anyhow!("cargo-cyclonedx wrote no components"))?;
    let crates = components.len();
    let server_ref = server.get("bom-ref").cloned().unwrap_or(Value::Null);
    components.insert(0, server);
    components.extend(packages.iter().cloned());
    let digest = image.strip_prefix("sha256:").unwrap_or(image);
    let image_ref = format!("equoria-image@sha256:{digest}");
    let contents: Vec<Value> = std::iter::once(server_ref)
        .chain(
            packages
                .iter()
                .filter_map(|package| package.get("bom-ref").cloned()),
        )
        .collect();
    if let Some(dependencies) = bom.get_mut("dependencies").and_then(Value::as_array_mut) {
        dependencies.push(json!({ "ref": image_ref, "dependsOn": contents }));
    }
    bom["metadata"]["component"] = json!({
        "type": "container",
        "bom-ref": image_ref,
        "name": "equoria",
        "version": revision,
        "description": "Equoria API server image (docker/Dockerfile, runtime stage FROM scratch)",
        "hashes": [{ "alg": "SHA-256", "content": digest }],
        "properties": [
            { "name": "equoria:image:files", "value": files.join(" ") },
        ],
    });
    let path = work.join("equoria-image.cdx.json");
    fs::write(&path, serde_json::to_string_pretty(&bom)?)
        .with_context(|| format!("writing {}", ctx.show(&path)))?;
    say!(
        "SBOM of the server image: {} ({crates} crates, {} Debian packages: {})",
        ctx.show(&path),
        packages.len(),
        packages
            .iter()
            .filter_map(|package| package.get("name").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(path)
}

/// A CycloneDX component for a dpkg status record (`Package:`, `Version:`, `Architecture:`).
fn deb_component(record: &str) -> anyhow::Result<Value> {
    let field = |name: &str| {
        record
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_owned())
            .ok_or_else(|| anyhow!("a dpkg record without {name}: {record:?}"))
    };
    let (name, version, arch) = (
        field("Package:")?,
        field("Version:")?,
        field("Architecture:")?,
    );
    let purl = format!(
        "pkg:deb/debian/{name}@{}?arch={arch}&distro=debian-12",
        version.replace('+', "%2B").replace(':', "%3A")
    );
    Ok(json!({
        "type": "library",
        "bom-ref": purl,
        "name": name,
        "version": version,
        "purl": purl,
    }))
}

/// Every regular file of the image, as `/path:bytes`.
fn image_files(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let inside = path.strip_prefix(root).unwrap_or(&path);
                files.push(format!("/{}:{}", inside.display(), entry.metadata()?.len()));
            }
        }
    }
    files.sort();
    Ok(files)
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
    #![allow(clippy::unwrap_used)]

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
