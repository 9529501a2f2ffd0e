//! buildah and podman on the project's own storage, and the local base images.

use super::*;

/// buildah and podman with the flags this machine needs, on the project's own storage.
#[derive(Debug)]
pub(super) struct Engine {
    root: PathBuf,
    runroot: PathBuf,
    conf: PathBuf,
}

impl Engine {
    pub(super) fn new(ctx: &Ctx, work: &Path) -> anyhow::Result<Engine> {
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

    pub(super) fn buildah<'a>(&self, sh: &'a Shell) -> Cmd<'a> {
        let (root, runroot) = (&self.root, &self.runroot);
        cmd!(
            sh,
            "buildah --root {root} --runroot {runroot} --storage-driver vfs"
        )
        .env("CONTAINERS_CONF", &self.conf)
    }

    pub(super) fn podman<'a>(&self, sh: &'a Shell) -> Cmd<'a> {
        let (root, runroot) = (&self.root, &self.runroot);
        cmd!(
            sh,
            "podman --root {root} --runroot {runroot} --storage-driver vfs --runtime runc --cgroup-manager cgroupfs"
        )
        .env("CONTAINERS_CONF", &self.conf)
    }

    pub(super) fn image_exists(&self, ctx: &Ctx, image: &str) -> bool {
        self.podman(&ctx.sh)
            .args(["image", "exists", image])
            .quiet()
            .ignore_stderr()
            .run()
            .is_ok()
    }

    /// `podman image inspect`: the image's configuration as JSON.
    pub(super) fn inspect_image(&self, ctx: &Ctx, image: &str) -> anyhow::Result<Value> {
        let text = read(ctx, self.podman(&ctx.sh).args(["image", "inspect", image]))?;
        let mut all: Vec<Value> = serde_json::from_str(&text)
            .with_context(|| format!("`podman image inspect {image}` printed no JSON list"))?;
        all.pop()
            .ok_or_else(|| anyhow!("`podman image inspect {image}` printed an empty list"))
    }

    /// A working container from `image`, removed when the guard drops.
    pub(super) fn working_container<'a>(
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
pub(super) struct WorkingContainer<'a> {
    engine: &'a Engine,
    ctx: &'a Ctx,
    name: String,
}

impl WorkingContainer<'_> {
    pub(super) fn buildah(&self, args: &[&str]) -> anyhow::Result<()> {
        self.ctx
            .run(self.engine.buildah(&self.ctx.sh).args(args).arg(&self.name))
    }

    /// Mounts its file system and returns where.
    pub(super) fn mount(&self) -> anyhow::Result<PathBuf> {
        let cmd = self
            .engine
            .buildah(&self.ctx.sh)
            .args(["mount", &self.name]);
        Ok(PathBuf::from(read(self.ctx, cmd)?.trim()))
    }

    pub(super) fn commit(&self, tag: &str) -> anyhow::Result<()> {
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
pub(super) fn read(ctx: &Ctx, cmd: Cmd<'_>) -> anyhow::Result<String> {
    ctx.check_interrupted()?;
    eprintln!("$ {cmd}");
    let shown = cmd.to_string();
    cmd.quiet()
        .read()
        .with_context(|| format!("`{shown}` failed"))
}

/// The stand-in for `debian:bookworm-slim`: `debootstrap --variant=minbase`, with the apt
/// sources of the official image (release, updates, security). Made once per storage.
pub(super) fn debian_base(ctx: &Ctx, engine: &Engine, work: &Path) -> anyhow::Result<String> {
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
pub(super) fn remove_rootfs(ctx: &Ctx, rootfs: &Path) -> anyhow::Result<()> {
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
pub(super) fn clear_files(dir: &Path) -> anyhow::Result<()> {
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
pub(super) fn rust_base(ctx: &Ctx, engine: &Engine, debian: &str) -> anyhow::Result<String> {
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
