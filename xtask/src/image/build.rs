//! `buildah bud` of the Dockerfiles, pruning, and reading what was built.

use super::*;

/// Which stage of a Dockerfile a build produces, and its tag.
#[derive(Debug)]
pub(super) enum Stage<'a> {
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
pub(super) fn prune(ctx: &Ctx, engine: &Engine) {
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
pub(super) fn build(
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
pub(super) fn wait_logged(ctx: &Ctx, cmd: Cmd<'_>, log: &Path) -> anyhow::Result<()> {
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

pub(super) fn image_size(config: &Value) -> anyhow::Result<u64> {
    config
        .get("Size")
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("the image's inspection has no Size"))
}

/// The image's configured user, which must be a numeric uid:gid other than root (Kubernetes'
/// runAsNonRoot can only check a number). Returns the uid.
pub(super) fn numeric_user(config: &Value, what: &str) -> anyhow::Result<u32> {
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
pub(super) fn healthcheck_test(config: &Value) -> anyhow::Result<String> {
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
