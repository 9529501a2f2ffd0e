//! The CycloneDX SBOM of the server image.

use super::*;

/// The CycloneDX SBOM of the server image: cargo-cyclonedx's description of the server crate
/// (every crate compiled into the binary, with licences and checksums), the image as the
/// described component, and a component per Debian package whose dpkg record the image holds.
pub(super) fn sbom(
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
pub(super) fn deb_component(record: &str) -> anyhow::Result<Value> {
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
pub(super) fn image_files(root: &Path) -> anyhow::Result<Vec<String>> {
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
