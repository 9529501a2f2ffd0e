//! Running the images against a throwaway PostgreSQL and checking them from the outside.

use super::*;

/// Where the cluster's CA certificate is mounted in the server container.
pub(super) const CA_IN_CONTAINER: &str = "/etc/equoria-db-ca.pem";

/// The DATABASE_URL the containers use for `role` and `database`: the ONE place that decides
/// how they connect. The containers share the host's network, so the cluster is on 127.0.0.1;
/// it serves TLS only. The server image checks the certificate fully (`verify-full` against
/// the cluster's CA, mounted at [`CA_IN_CONTAINER`] by [`ServerEnv::apply`]); the backup
/// image's psql/pg_dump get `sslmode=require` (encrypted, as a managed database without its
/// CA at hand). The cluster trusts local connections; the password is there so the image's
/// URL handling runs.
pub(super) fn database_url(cluster: &Cluster, role: &str, database: &str, tls: DbTls) -> String {
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
pub(super) enum DbTls {
    VerifyFull,
    Require,
}

/// The superuser's URL, for roles.sql, the comparison and `restore.sh --new`.
pub(super) fn superuser_url(cluster: &Cluster, database: &str) -> String {
    database_url(cluster, "postgres", database, DbTls::Require)
}

/// Everything that runs the images. Returns one line per check passed.
pub(super) fn exercise(
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
        port: equoria_pg_cluster::free_port().context("picking a free port")?,
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
pub(super) fn container_name(what: &str) -> String {
    format!("equoria-image-{what}-{}", std::process::id())
}

/// Removes the container on drop (it may have exited or not).
#[derive(Debug)]
pub(super) struct Container<'a> {
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
pub(super) struct ServerEnv {
    database_url: String,
    /// The cluster's CA, mounted read-only at [`CA_IN_CONTAINER`].
    ca_file: PathBuf,
    port: u16,
    secret: String,
    refresh_secret: String,
}

impl ServerEnv {
    /// Adds the `--env` options (before the image name) and their values.
    pub(super) fn apply<'a>(&self, cmd: Cmd<'a>) -> Cmd<'a> {
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

pub(super) fn serve(
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
    let mut server = Server::spawn(ctx, "the server image", cmd, port, &log)?;
    let outcome = check_server(ctx, engine, &mut server, &name, uid);
    drop(server);
    drop(container);
    outcome.map_err(|error| with_log_tail(ctx, &log, &error))
}

pub(super) fn check_server(
    ctx: &Ctx,
    engine: &Engine,
    server: &mut Server,
    name: &str,
    uid: u32,
) -> anyhow::Result<Vec<String>> {
    let sh = &ctx.sh;
    let port = server.port();
    let mut passed = Vec::new();
    server.wait_until_ready(ctx, Ready::Ok)?;

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
pub(super) fn backup_and_restore(
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
