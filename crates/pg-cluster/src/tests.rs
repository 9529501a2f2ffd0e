#![expect(clippy::unwrap_used)]

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;
use crate::binaries::find_bin_dir_in;
use crate::cluster::{percent_encode_path, read_from, tail_lines};
use crate::command::describe;
use crate::config::parse_pid_file_port;
use crate::databases::check_database_name;
use crate::ports::free_port;
use crate::server_user::{parse_effective_uid, sanitize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A new empty directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "equoria-pg-cluster-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Creates `relative` as an executable (or not) empty file.
    fn file(&self, relative: &str, executable: bool) -> PathBuf {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "#!/bin/sh\n").unwrap();
        let mode = if executable { 0o755 } else { 0o644 };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn free_port_returns_a_port_that_can_be_bound() {
    let port = free_port().unwrap();
    assert_ne!(port, 0);
    TcpListener::bind(("127.0.0.1", port)).unwrap();
}

#[test]
fn bin_dir_is_taken_from_path_first() {
    let scratch = Scratch::new();
    scratch.file("onpath/initdb", true);
    scratch.file("onpath/pg_ctl", true);
    scratch.file("versions/16/bin/initdb", true);
    scratch.file("versions/16/bin/pg_ctl", true);
    let path_var =
        std::env::join_paths([scratch.0.join("empty"), scratch.0.join("onpath")]).unwrap();

    let found = find_bin_dir_in(Some(&path_var), &scratch.0.join("versions")).unwrap();

    assert_eq!(found, fs::canonicalize(scratch.0.join("onpath")).unwrap());
}

#[test]
fn a_symlinked_initdb_on_path_resolves_to_its_real_bin_dir() {
    let scratch = Scratch::new();
    let real_initdb = scratch.file("pg/15/bin/initdb", true);
    scratch.file("pg/15/bin/pg_ctl", true);
    fs::create_dir_all(scratch.0.join("local/bin")).unwrap();
    std::os::unix::fs::symlink(&real_initdb, scratch.0.join("local/bin/initdb")).unwrap();
    let path_var = scratch.0.join("local/bin").into_os_string();

    let found = find_bin_dir_in(Some(&path_var), &scratch.0.join("none")).unwrap();

    assert_eq!(
        found,
        fs::canonicalize(scratch.0.join("pg/15/bin")).unwrap()
    );
}

#[test]
fn without_path_the_highest_installed_version_is_chosen() {
    let scratch = Scratch::new();
    for version in ["9.6", "10", "15"] {
        scratch.file(&format!("versions/{version}/bin/initdb"), true);
        scratch.file(&format!("versions/{version}/bin/pg_ctl"), true);
    }
    // Incomplete or non-version directories are ignored.
    scratch.file("versions/17/bin/initdb", true);
    scratch.file("versions/latest/bin/initdb", true);
    scratch.file("versions/latest/bin/pg_ctl", true);

    let found = find_bin_dir_in(None, &scratch.0.join("versions")).unwrap();

    assert_eq!(found, scratch.0.join("versions/15/bin"));
}

#[test]
fn missing_binaries_give_an_error_that_says_what_to_install() {
    let scratch = Scratch::new();
    scratch.file("onpath/initdb", false); // not executable
    let path_var = scratch.0.join("onpath").into_os_string();

    let error = find_bin_dir_in(Some(&path_var), &scratch.0.join("versions")).unwrap_err();

    assert!(matches!(error, Error::BinariesNotFound { .. }));
    let message = error.to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
    assert!(message.contains("onpath"), "{message}");
}

#[test]
fn effective_uid_is_the_second_uid_field() {
    let status = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
    assert_eq!(parse_effective_uid(status), Some(0));
}

#[test]
fn the_port_is_read_from_the_fourth_line_of_postmaster_pid() {
    let contents = "4242\n/data\n1700000000\n54321\n\n127.0.0.1\n  1234  5678\nready   \n";
    assert_eq!(parse_pid_file_port(contents), Some(54321));
    assert_eq!(parse_pid_file_port("4242\n/data\n"), None);
}

#[test]
fn database_names_that_could_break_sql_are_refused() {
    for good in ["equoria_dev", "_x", "Test1"] {
        assert!(check_database_name(good).is_ok(), "{good}");
    }
    let too_long = "a".repeat(64);
    for bad in ["", "1db", "a-b", "a\"b", "a'; drop", too_long.as_str()] {
        let error = check_database_name(bad).unwrap_err();
        assert!(
            matches!(error, Error::InvalidDatabaseName { ref name } if name == bad),
            "{bad}"
        );
    }
}

#[test]
fn tail_keeps_the_last_lines() {
    assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
    assert_eq!(tail_lines("a", 5), "a");
}

#[test]
fn reading_from_an_offset_skips_older_runs() {
    let scratch = Scratch::new();
    let log = scratch.0.join("postgres.log");
    fs::write(&log, "old run\nnew run\n").unwrap();
    assert_eq!(read_from(&log, 8), "new run\n");
    assert_eq!(read_from(&log, 1000), "old run\nnew run\n");
    assert_eq!(read_from(&scratch.0.join("missing"), 0), "");
}

#[test]
fn commands_are_described_ready_to_paste() {
    let mut command = Command::new("pg_ctl");
    command.args(["-o", "-p 5 -c x=''", "start"]);
    assert_eq!(
        describe(&command),
        r#"pg_ctl -o '-p 5 -c x='\'''\''' start"#
    );
}

#[test]
fn paths_in_urls_are_percent_encoded() {
    assert_eq!(
        percent_encode_path(Path::new("/a b/c&d=é.pem")),
        "/a%20b/c%26d%3D%C3%A9.pem"
    );
}

#[test]
fn sanitized_paths_make_file_names() {
    assert_eq!(sanitize(Path::new("/a/b c/d")), "-a-b-c-d");
}
