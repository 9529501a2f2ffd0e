//! Where the PostgreSQL server programs are installed.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where Debian and Ubuntu install one `bin/` per PostgreSQL major version.
pub(crate) const DEBIAN_VERSIONS_ROOT: &str = "/usr/lib/postgresql";

/// The directory holding `initdb` and `pg_ctl`: the first `initdb` on `PATH` (symlinks resolved,
/// so `/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb` yields the real `bin/`, where
/// `psql` of the same version also lives), else the highest version under
/// `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Result<PathBuf> {
    find_bin_dir_in(
        std::env::var_os("PATH").as_deref(),
        Path::new(DEBIAN_VERSIONS_ROOT),
    )
}

/// [`find_bin_dir`] with the search places as parameters, for tests.
pub(crate) fn find_bin_dir_in(path_var: Option<&OsStr>, versions_root: &Path) -> Result<PathBuf> {
    let mut searched = Vec::new();
    if let Some(path_var) = path_var {
        for dir in std::env::split_paths(path_var) {
            if dir.as_os_str().is_empty() {
                continue;
            }
            let initdb = dir.join("initdb");
            if is_executable(&initdb) {
                // Resolve symlinks so the companion tools come from the same installation.
                let real_dir = fs::canonicalize(&initdb)
                    .ok()
                    .and_then(|real| real.parent().map(Path::to_path_buf))
                    .unwrap_or_else(|| dir.clone());
                for candidate in [real_dir, dir.clone()] {
                    if has_server_tools(&candidate) {
                        return Ok(candidate);
                    }
                }
            }
            searched.push(dir);
        }
    }

    let mut versions: Vec<(Vec<u32>, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(versions_root) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(version) = parse_version(&name) else {
                continue;
            };
            let bin = entry.path().join("bin");
            if has_server_tools(&bin) {
                versions.push((version, bin));
            } else {
                searched.push(bin);
            }
        }
    }
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => {
            searched.push(versions_root.join("*").join("bin"));
            Err(Error::BinariesNotFound { searched })
        }
    }
}

/// "15" -> [15], "9.6" -> [9, 6]; anything else is not a version directory.
fn parse_version(name: &OsStr) -> Option<Vec<u32>> {
    let name = name.to_str()?;
    name.split('.').map(|part| part.parse().ok()).collect()
}

fn has_server_tools(dir: &Path) -> bool {
    is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"))
}

pub(crate) fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
